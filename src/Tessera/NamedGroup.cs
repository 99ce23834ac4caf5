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
    /// <summary>ffdhe6144 (259).</summary>
    Ffdhe6144 = 259,
    /// <summary>ffdhe8192 (260).</summary>
    Ffdhe8192 = 260,
    /// <summary>secp224r1 (21), deprecated.</summary>
    Secp224r1 = 21,
    /// <summary>brainpoolP256r1 (26), TLS 1.2 only (RFC 7027).</summary>
    BrainpoolP256r1 = 26,
    /// <summary>brainpoolP384r1 (27), TLS 1.2 only (RFC 7027).</summary>
    BrainpoolP384r1 = 27,
    /// <summary>brainpoolP512r1 (28), TLS 1.2 only (RFC 7027).</summary>
    BrainpoolP512r1 = 28,
    /// <summary>brainpoolP256r1tls13 (31, RFC 8734).</summary>
    BrainpoolP256r1Tls13 = 31,
    /// <summary>brainpoolP384r1tls13 (32, RFC 8734).</summary>
    BrainpoolP384r1Tls13 = 32,
    /// <summary>brainpoolP512r1tls13 (33, RFC 8734).</summary>
    BrainpoolP512r1Tls13 = 33,
    /// <summary>SecP256r1MLKEM768 (0x11EB), hybrid post-quantum (draft-ietf-tls-ecdhe-mlkem).</summary>
    SecP256r1MLKEM768 = 0x11EB,
    /// <summary>X25519MLKEM768 (0x11EC), hybrid post-quantum (draft-ietf-tls-ecdhe-mlkem).</summary>
    X25519MLKEM768 = 0x11EC,
    /// <summary>SecP384r1MLKEM1024 (0x11ED), hybrid post-quantum (draft-ietf-tls-ecdhe-mlkem).</summary>
    SecP384r1MLKEM1024 = 0x11ED,
    /// <summary>X25519Kyber768Draft00 (0x6399), the pre-standard hybrid some clients still offer.</summary>
    X25519Kyber768Draft00 = 0x6399,
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
        new(NamedGroup.Ffdhe6144, "ffdhe6144", "ffdhe6144", false),
        new(NamedGroup.Ffdhe8192, "ffdhe8192", "ffdhe8192", false),
        new(NamedGroup.Secp224r1, "secp224r1", "P-224", false),
        new(NamedGroup.BrainpoolP256r1, "brainpoolP256r1", "brainpoolP256r1", false),
        new(NamedGroup.BrainpoolP384r1, "brainpoolP384r1", "brainpoolP384r1", false),
        new(NamedGroup.BrainpoolP512r1, "brainpoolP512r1", "brainpoolP512r1", false),
        new(NamedGroup.BrainpoolP256r1Tls13, "brainpoolP256r1tls13", "brainpoolP256r1tls13", false),
        new(NamedGroup.BrainpoolP384r1Tls13, "brainpoolP384r1tls13", "brainpoolP384r1tls13", false),
        new(NamedGroup.BrainpoolP512r1Tls13, "brainpoolP512r1tls13", "brainpoolP512r1tls13", false),
        new(NamedGroup.SecP256r1MLKEM768, "SecP256r1MLKEM768", "SecP256r1MLKEM768", true),
        new(NamedGroup.X25519MLKEM768, "X25519MLKEM768", "X25519MLKEM768", true),
        new(NamedGroup.SecP384r1MLKEM1024, "SecP384r1MLKEM1024", "SecP384r1MLKEM1024", true),
        new(NamedGroup.X25519Kyber768Draft00, "X25519Kyber768Draft00", "X25519Kyber768Draft00", false),
    ];

    /// <summary>Default client offer and server preference, most preferred first.</summary>
    public static IReadOnlyList<NamedGroup> Defaults { get; } = [NamedGroup.X25519MLKEM768, NamedGroup.X25519, NamedGroup.Secp256r1, NamedGroup.Secp384r1];

    /// <summary>True for the hybrid post-quantum groups (TLS 1.3 only; never an ECDHE curve in TLS 1.2).</summary>
    public static bool IsHybrid(ushort code) => code is 0x11EB or 0x11EC or 0x11ED or 0x6399;

    /// <summary>The RFC 7919 finite-field groups (legacy DHE in TLS 1.2; usable in TLS 1.3 when configured), preferred first.</summary>
    public static IReadOnlyList<NamedGroup> FiniteField { get; } = [NamedGroup.Ffdhe2048, NamedGroup.Ffdhe3072, NamedGroup.Ffdhe4096];

    /// <summary>True for the finite-field (FFDHE) code points, 256-511 (RFC 7919 §2).</summary>
    public static bool IsFiniteField(ushort code) => code is >= 256 and < 512;

    /// <summary>The row for a group, or null.</summary>
    public static NamedGroupInfo? Find(NamedGroup group) => ByCode.GetValueOrDefault((ushort)group);

    // Indexed once: lookups sit on every handshake's path.
    private static readonly Dictionary<ushort, NamedGroupInfo> ByCode = Table.ToDictionary(r => (ushort)r.Group);

    /// <summary>The IANA name of any code point.</summary>
    public static IReadOnlyList<NamedGroupInfo> All => Table;

    /// <summary>The name used for <paramref name="code"/>, or its number in hex.</summary>
    public static string NameOf(ushort code) => Find((NamedGroup)code)?.Name ?? $"0x{code:X4}";

    /// <summary>Parses an OpenSSL or IANA group name (X25519, P-256, secp256r1, ...), case-insensitive.</summary>
    public static NamedGroup? FromName(string name) => Array.Find(Table, r =>
        string.Equals(r.OpenSslName, name, StringComparison.OrdinalIgnoreCase) ||
        string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase) ||
        (r.Group == NamedGroup.Secp256r1 && string.Equals(name, "prime256v1", StringComparison.OrdinalIgnoreCase)))?.Group;
}
