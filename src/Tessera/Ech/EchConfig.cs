using Tessera.Crypto.Hpke;
using Tessera.Messages;

namespace Tessera.Ech;

/// <summary>An HPKE KDF/AEAD pair an ECH configuration allows (HpkeSymmetricCipherSuite).</summary>
/// <param name="Kdf">The KDF.</param>
/// <param name="Aead">The AEAD.</param>
public readonly record struct EchCipherSuite(HpkeKdf Kdf, HpkeAead Aead);

/// <summary>One ECHConfigExtension: type and opaque data.</summary>
/// <param name="Type">The extension type; the high bit marks it mandatory.</param>
/// <param name="Data">The extension's data.</param>
public sealed record EchConfigExtension(ushort Type, byte[] Data)
{
    /// <summary>A client that does not understand a mandatory extension must skip the whole configuration.</summary>
    public bool IsMandatory => (Type & 0x8000) != 0;
}

/// <summary>
/// An Encrypted Client Hello configuration (the TLS ECH specification, ECHConfig version 0xfe0d): the server's HPKE
/// public key and suites, the public name the outer ClientHello shows, and the longest inner name to pad for.
/// </summary>
public sealed class EchConfig
{
    /// <summary>The only version this implements (0xfe0d).</summary>
    public const ushort Version = 0xFE0D;

    /// <summary>config_id: picks the key on the server.</summary>
    public byte ConfigId { get; init; }

    /// <summary>kem_id.</summary>
    public HpkeKem Kem { get; init; } = HpkeKem.DhkemX25519HkdfSha256;

    /// <summary>public_key (pkR).</summary>
    public byte[] PublicKey { get; init; } = [];

    /// <summary>cipher_suites, in the server's order of preference.</summary>
    public IReadOnlyList<EchCipherSuite> CipherSuites { get; init; } = [];

    /// <summary>maximum_name_length: the longest server name the inner ClientHello is padded to hide.</summary>
    public byte MaximumNameLength { get; init; }

    /// <summary>public_name: the name in the outer ClientHello's SNI (the client-facing server).</summary>
    public string PublicName { get; init; } = "";

    /// <summary>extensions.</summary>
    public IReadOnlyList<EchConfigExtension> Extensions { get; init; } = [];

    /// <summary>The encoding of this ECHConfig (version, length, contents): the HPKE info and the config list entry.</summary>
    public byte[] Encode()
    {
        var w = new TlsWriter(256);
        w.WriteUInt16(Version);
        int length = w.BeginVector(2);
        w.WriteUInt8(ConfigId);
        w.WriteUInt16((ushort)Kem);
        w.WriteVector16(PublicKey);
        int suites = w.BeginVector(2);
        foreach (var suite in CipherSuites)
        {
            w.WriteUInt16((ushort)suite.Kdf);
            w.WriteUInt16((ushort)suite.Aead);
        }

        w.EndVector(suites);
        w.WriteUInt8(MaximumNameLength);
        w.WriteVector8(System.Text.Encoding.Latin1.GetBytes(PublicName));
        int extensions = w.BeginVector(2);
        foreach (var extension in Extensions)
        {
            w.WriteUInt16(extension.Type);
            w.WriteVector16(extension.Data);
        }

        w.EndVector(extensions);
        w.EndVector(length);
        var bytes = w.ToArray();
        w.Release();
        return bytes;
    }

    /// <summary>
    /// Whether a client here can use this configuration: a KEM and one suite Tessera implements, no unknown mandatory
    /// extension nor one listed twice (§4.2), and a public name that is a DNS host name and cannot be read as an IPv4
    /// address (RFC 9849 §6.1.7).
    /// </summary>
    public bool IsUsable => Kem == HpkeKem.DhkemX25519HkdfSha256 && PublicKey.Length == 32 && IsValidPublicName(PublicName)
        && CipherSuites.Any(s => new HpkeSuite(Kem, s.Kdf, s.Aead) is { IsSupported: true, Aead: not HpkeAead.ExportOnly })
        && !Extensions.Any(e => e.IsMandatory) && Extensions.Select(e => e.Type).Distinct().Count() == Extensions.Count;

    /// <summary>
    /// A dot-separated sequence of LDH labels of at most 63 octets, not starting or ending with a dot, whose last label
    /// is neither all digits nor "0x" and hexadecimal digits (RFC 9849 §6.1.7).
    /// </summary>
    public static bool IsValidPublicName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 253)
        {
            return false;
        }

        var labels = name.Split('.');
        foreach (var label in labels)
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-' || !label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            {
                return false;
            }
        }

        var last = labels[^1];
        return !last.All(char.IsAsciiDigit) &&
            !(last.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && last[2..].All(char.IsAsciiHexDigit));
    }

    /// <summary>The HPKE info both sides use (RFC 9849 §6.1, §7.1): "tls ech", a zero byte, then the encoded ECHConfig.</summary>
    internal static byte[] HpkeInfo(ReadOnlySpan<byte> encodedConfig) => [.. "tls ech"u8, 0, .. encodedConfig];

    /// <summary>The first suite of the server's list that Tessera implements.</summary>
    public HpkeSuite? PreferredSuite => CipherSuites.Select(s => new HpkeSuite(Kem, s.Kdf, s.Aead)).FirstOrDefault(s => s.IsSupported && s.Aead != HpkeAead.ExportOnly);

    /// <summary>Parses one ECHConfig's contents (after version and length).</summary>
    internal static EchConfig ParseContents(ReadOnlySpan<byte> contents)
    {
        var r = new TlsReader(contents);
        byte configId = r.ReadUInt8();
        var kem = (HpkeKem)r.ReadUInt16();
        var publicKey = r.ReadVector16();
        if (publicKey.IsEmpty)
        {
            throw new TlsException(AlertDescription.DecodeError, "ECHConfig with an empty public key");
        }

        var suitesReader = new TlsReader(r.ReadVector16());
        if (suitesReader.Remaining is < 4 || suitesReader.Remaining % 4 != 0)
        {
            throw new TlsException(AlertDescription.DecodeError, "ECHConfig cipher_suites must hold at least one 4-byte suite");
        }

        var suites = new List<EchCipherSuite>();
        while (!suitesReader.IsEmpty)
        {
            suites.Add(new EchCipherSuite((HpkeKdf)suitesReader.ReadUInt16(), (HpkeAead)suitesReader.ReadUInt16()));
        }

        byte maximumNameLength = r.ReadUInt8();
        var publicName = r.ReadVector8();
        if (publicName.IsEmpty)
        {
            throw new TlsException(AlertDescription.DecodeError, "ECHConfig with an empty public_name");
        }

        var extensions = new List<EchConfigExtension>();
        var extensionsReader = new TlsReader(r.ReadVector16());
        while (!extensionsReader.IsEmpty)
        {
            ushort type = extensionsReader.ReadUInt16();
            extensions.Add(new EchConfigExtension(type, extensionsReader.ReadVector16().ToArray()));
        }

        r.EnsureEmpty("ECHConfigContents");
        return new EchConfig
        {
            ConfigId = configId,
            Kem = kem,
            PublicKey = publicKey.ToArray(),
            CipherSuites = suites,
            MaximumNameLength = maximumNameLength,
            PublicName = System.Text.Encoding.Latin1.GetString(publicName),   // opaque: kept byte for byte; IsUsable judges it (§6.1.7)
            Extensions = extensions,
        };
    }
}

/// <summary>An ECHConfigList: what a server publishes (DNS HTTPS record, a file) and sends as retry_configs.</summary>
public static class EchConfigList
{
    /// <summary>
    /// Parses a list. Configurations of other versions are skipped (a client must ignore them); a malformed list is a
    /// <see cref="TlsException"/> with decode_error.
    /// </summary>
    public static IReadOnlyList<EchConfig> Parse(ReadOnlySpan<byte> list)
    {
        var outer = new TlsReader(list);
        var body = new TlsReader(outer.ReadVector16());
        outer.EnsureEmpty("ECHConfigList");
        if (body.IsEmpty)
        {
            throw new TlsException(AlertDescription.DecodeError, "empty ECHConfigList");
        }

        var configs = new List<EchConfig>();
        while (!body.IsEmpty)
        {
            ushort version = body.ReadUInt16();
            var contents = body.ReadVector16();
            if (version == EchConfig.Version)
            {
                configs.Add(EchConfig.ParseContents(contents));
            }
        }

        return configs;
    }

    /// <summary>Encodes configurations as an ECHConfigList.</summary>
    public static byte[] Encode(IEnumerable<EchConfig> configs)
    {
        ArgumentNullException.ThrowIfNull(configs);
        var w = new TlsWriter(512);
        int list = w.BeginVector(2);
        foreach (var config in configs)
        {
            w.WriteBytes(config.Encode());
        }

        w.EndVector(list);
        var bytes = w.ToArray();
        w.Release();
        return bytes;
    }
}
