namespace Tessera;

/// <summary>Key-exchange groups (IANA "TLS Supported Groups").</summary>
public enum NamedGroup : ushort
{
    /// <summary>secp256r1 / P-256 (23).</summary>
    Secp256r1 = 23,
    /// <summary>secp384r1 / P-384 (24).</summary>
    Secp384r1 = 24,
    /// <summary>secp521r1 / P-521 (25).</summary>
    Secp521r1 = 25,
    /// <summary>x25519 (29).</summary>
    X25519 = 29,
    /// <summary>x448 (30).</summary>
    X448 = 30,
    /// <summary>ffdhe2048 (256).</summary>
    Ffdhe2048 = 256,
    /// <summary>ffdhe3072 (257).</summary>
    Ffdhe3072 = 257,
    /// <summary>ffdhe4096 (258).</summary>
    Ffdhe4096 = 258,
}

/// <summary>One row of the named-group table.</summary>
/// <param name="Group">The code point.</param>
/// <param name="Name">The IANA name.</param>
/// <param name="OpenSslName">The name OpenSSL's <c>-groups</c> option uses.</param>
/// <param name="Implemented">Whether Tessera's default provider implements it.</param>
public sealed record NamedGroupInfo(NamedGroup Group, string Name, string OpenSslName, bool Implemented);

/// <summary>The named-group registry.</summary>
public static class NamedGroups
{
    private static readonly NamedGroupInfo[] Table =
    [
        new(NamedGroup.X25519, "x25519", "X25519", true),
        new(NamedGroup.Secp256r1, "secp256r1", "P-256", true),
        new(NamedGroup.Secp384r1, "secp384r1", "P-384", true),
        new(NamedGroup.Secp521r1, "secp521r1", "P-521", false),
        new(NamedGroup.X448, "x448", "X448", false),
        new(NamedGroup.Ffdhe2048, "ffdhe2048", "ffdhe2048", true),
        new(NamedGroup.Ffdhe3072, "ffdhe3072", "ffdhe3072", true),
        new(NamedGroup.Ffdhe4096, "ffdhe4096", "ffdhe4096", true),
    ];

    /// <summary>Default client offer and server preference, most preferred first.</summary>
    public static IReadOnlyList<NamedGroup> Defaults { get; } = [NamedGroup.X25519, NamedGroup.Secp256r1, NamedGroup.Secp384r1];

    /// <summary>The RFC 7919 finite-field groups (legacy DHE in TLS 1.2; usable in TLS 1.3 when configured), preferred first.</summary>
    public static IReadOnlyList<NamedGroup> FiniteField { get; } = [NamedGroup.Ffdhe2048, NamedGroup.Ffdhe3072, NamedGroup.Ffdhe4096];

    /// <summary>True for the finite-field (FFDHE) code points, 256-511 (RFC 7919 §2).</summary>
    public static bool IsFiniteField(ushort code) => code is >= 256 and < 512;

    /// <summary>The row for a group, or null.</summary>
    public static NamedGroupInfo? Find(NamedGroup group) => ByCode.GetValueOrDefault((ushort)group);

    // Indexed once: lookups sit on every handshake's path.
    private static readonly Dictionary<ushort, NamedGroupInfo> ByCode = Table.ToDictionary(r => (ushort)r.Group);

    /// <summary>The IANA name of any code point.</summary>
    public static string NameOf(ushort code) => Find((NamedGroup)code)?.Name ?? $"0x{code:X4}";

    /// <summary>Parses an OpenSSL or IANA group name (X25519, P-256, secp256r1, ...), case-insensitive.</summary>
    public static NamedGroup? FromName(string name) => Array.Find(Table, r =>
        string.Equals(r.OpenSslName, name, StringComparison.OrdinalIgnoreCase) ||
        string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase) ||
        (r.Group == NamedGroup.Secp256r1 && string.Equals(name, "prime256v1", StringComparison.OrdinalIgnoreCase)))?.Group;
}
