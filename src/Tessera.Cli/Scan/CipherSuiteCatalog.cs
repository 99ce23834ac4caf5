using System.Globalization;
using System.Reflection;

namespace Tessera.Cli.Scan;

/// <summary>How a suite's bulk cipher protects records.</summary>
internal enum BulkMode
{
    None,
    Stream,
    Cbc,
    Aead,
}

/// <summary>
/// One cipher suite as a scan sees it. The engine's <see cref="CipherSuite"/> table lists what Tessera negotiates;
/// this catalog lists what a server might pick, so that a scan can ask about suites Tessera never uses.
/// </summary>
internal sealed record CatalogSuite(
    ushort Code,
    string Name,
    string KeyExchange,
    string Authentication,
    string Cipher,
    int KeyBits,
    int BlockBits,
    BulkMode Mode,
    string Mac,
    bool Export)
{
    public bool IsTls13 => KeyExchange == "any";

    /// <summary>AEAD and SHA-2 MAC suites exist from TLS 1.2 on (RFC 5246, 5288, 5289); TLS 1.3 suites only in 1.3.</summary>
    public bool RequiresTls12 => IsTls13 || Mode == BulkMode.Aead || Mac is "SHA256" or "SHA384";

    public bool ForwardSecret => IsTls13 || KeyExchange is "ECDHE" or "DHE" or "ECDHE_PSK" or "DHE_PSK";

    public bool Anonymous => Authentication == "anon";

    public bool NullCipher => Cipher == "NULL";

    public bool Rc4 => Cipher == "RC4";

    /// <summary>64-bit blocks: SWEET32 (CVE-2016-2183).</summary>
    public bool SmallBlock => BlockBits == 64;

    public bool UsesRsaKeyTransport => KeyExchange is "RSA" or "RSA_PSK";

    public bool IsDhe => KeyExchange is "DHE" or "DHE_PSK";

    public bool IsEcdhe => KeyExchange is "ECDHE" or "ECDHE_PSK";

    /// <summary>Suites a client can use without a pre-shared key or SRP password.</summary>
    public bool NeedsNoSecret => !KeyExchange.Contains("PSK", StringComparison.Ordinal) && KeyExchange != "SRP";

    /// <summary>Weak on its own: export, NULL, anonymous, RC4, DES, or under 112 bits.</summary>
    public bool Insecure => Export || NullCipher || Anonymous || Rc4 || KeyBits < 112;

    public override string ToString() => Name;
}

/// <summary>The suites a scan probes (<c>Scan/cipher-suites.txt</c>), with attributes read from their IANA names.</summary>
internal static class CipherSuiteCatalog
{
    public static IReadOnlyList<CatalogSuite> All { get; } = Load();

    private static readonly Dictionary<ushort, CatalogSuite> ByCode = All.ToDictionary(s => s.Code);

    public static CatalogSuite? Find(ushort code) => ByCode.GetValueOrDefault(code);

    public static string NameOf(ushort code) => Find(code)?.Name ?? $"0x{code:X4}";

    private static List<CatalogSuite> Load()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Tessera.Cli.Scan.cipher-suites.txt")
            ?? throw new InvalidOperationException("cipher-suites.txt is not embedded");
        using var reader = new StreamReader(stream);
        var suites = new List<CatalogSuite>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            suites.Add(Parse(ushort.Parse(parts[0].AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture), parts[1]));
        }

        return suites;
    }

    /// <summary>Reads a suite's attributes from its IANA name, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256.</summary>
    public static CatalogSuite Parse(ushort code, string name)
    {
        var bare = name.StartsWith("OLD_", StringComparison.Ordinal) ? name[4..] : name;
        int with = bare.IndexOf("_WITH_", StringComparison.Ordinal);
        string keyExchangePart = with < 0 ? "any" : bare[4..with];
        string cipherPart = with < 0 ? bare[4..] : bare[(with + 6)..];

        bool export = keyExchangePart.Contains("EXPORT", StringComparison.Ordinal) || cipherPart.Contains("_40", StringComparison.Ordinal) || cipherPart.StartsWith("DES40", StringComparison.Ordinal);
        var kxTokens = keyExchangePart.Split('_').Where(t => !t.StartsWith("EXPORT", StringComparison.Ordinal)).ToArray();
        (string keyExchange, string authentication) = kxTokens switch
        {
            ["any"] => ("any", "any"),
            ["RSA"] => ("RSA", "RSA"),
            ["PSK"] => ("PSK", "PSK"),
            ["RSA", "PSK"] => ("RSA_PSK", "RSA"),
            ["DHE", "PSK"] or ["PSK", "DHE"] => ("DHE_PSK", "PSK"),
            ["ECDHE", "PSK"] => ("ECDHE_PSK", "PSK"),
            ["SRP", "SHA"] => ("SRP", "SRP"),
            ["SRP", "SHA", var a] => ("SRP", a),
            [var kx, "anon"] => (kx, "anon"),
            [var kx, var a] => (kx, a),
            _ => (keyExchangePart, "?"),
        };

        var c = cipherPart.Split('_');
        string mac = c[^1] is "MD5" or "SHA" or "SHA256" or "SHA384" && !(c.Length >= 2 && c[^2] is "CCM" or "8") ? c[^1] : "AEAD";
        if (c[^1] is "SHA256" or "SHA384" && (cipherPart.Contains("GCM", StringComparison.Ordinal) || cipherPart.Contains("POLY1305", StringComparison.Ordinal) || cipherPart.Contains("CCM", StringComparison.Ordinal)))
        {
            mac = "AEAD";
        }

        (string cipher, int bits, int block, BulkMode mode) = c[0] switch
        {
            "NULL" => ("NULL", 0, 0, BulkMode.None),
            "RC4" => ("RC4", int.Parse(c[1], CultureInfo.InvariantCulture), 0, BulkMode.Stream),
            "RC2" => ("RC2", 40, 64, BulkMode.Cbc),
            "DES40" => ("DES", 40, 64, BulkMode.Cbc),
            "DES" => ("DES", export ? 40 : 56, 64, BulkMode.Cbc),
            "3DES" => ("3DES", 112, 64, BulkMode.Cbc),
            "IDEA" => ("IDEA", 128, 64, BulkMode.Cbc),
            "SEED" => ("SEED", 128, 128, BulkMode.Cbc),
            "CHACHA20" => ("ChaCha20-Poly1305", 256, 0, BulkMode.Aead),
            "AES" or "CAMELLIA" or "ARIA" => (c[0] == "AES" ? "AES" : c[0][0] + c[0][1..].ToLowerInvariant(), int.Parse(c[1], CultureInfo.InvariantCulture), 128,
                c[2] is "GCM" or "CCM" ? BulkMode.Aead : BulkMode.Cbc),
            _ => (c[0], 0, 0, BulkMode.None),
        };
        if (cipher is "AES" or "Camellia" or "Aria")
        {
            // AES-128-GCM, AES-256-CCM-8, Camellia-128-CBC ...
            cipher += $"-{bits}-" + string.Join('-', c[2..^(c[^1] is "SHA" or "SHA256" or "SHA384" or "MD5" ? 1 : 0)]);
        }
        else if (mode == BulkMode.Cbc)
        {
            cipher += "-CBC";
        }

        return new CatalogSuite(code, name, keyExchange, authentication, cipher, bits, block, mode, mac, export);
    }
}
