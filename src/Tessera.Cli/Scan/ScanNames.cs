namespace Tessera.Cli.Scan;

/// <summary>Names a scan prints for versions, SSL 2.0 cipher kinds and probe lists.</summary>
internal static class ScanNames
{
    public const ushort Ssl2 = 0x0002;
    public const ushort Ssl3 = 0x0300;
    public const ushort Tls10 = 0x0301;
    public const ushort Tls11 = 0x0302;
    public const ushort Tls12 = 0x0303;
    public const ushort Tls13 = 0x0304;

    /// <summary>The protocol versions a scan tries, oldest first.</summary>
    public static IReadOnlyList<ushort> Versions { get; } = [Ssl2, Ssl3, Tls10, Tls11, Tls12, Tls13];

    public static string Version(ushort version) => version switch
    {
        Ssl2 => "SSL 2.0",
        Ssl3 => "SSL 3.0",
        Tls10 => "TLS 1.0",
        Tls11 => "TLS 1.1",
        Tls12 => "TLS 1.2",
        Tls13 => "TLS 1.3",
        _ => $"0x{version:X4}",
    };

    /// <summary>SSL 2.0 cipher kinds (draft-hickman-netscape-ssl-00, appendix C).</summary>
    public static IReadOnlyDictionary<int, string> Ssl2Ciphers { get; } = new Dictionary<int, string>
    {
        [0x010080] = "SSL_CK_RC4_128_WITH_MD5",
        [0x020080] = "SSL_CK_RC4_128_EXPORT40_WITH_MD5",
        [0x030080] = "SSL_CK_RC2_128_CBC_WITH_MD5",
        [0x040080] = "SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5",
        [0x050080] = "SSL_CK_IDEA_128_CBC_WITH_MD5",
        [0x060040] = "SSL_CK_DES_64_CBC_WITH_MD5",
        [0x0700C0] = "SSL_CK_DES_192_EDE3_CBC_WITH_MD5",
    };

    /// <summary>Signature schemes a scan offers: the registry's, plus DSA and SHA-224 ones old servers still use.</summary>
    public static IReadOnlyList<ushort> SignatureSchemes { get; } =
    [
        0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806, 0x0809, 0x080A, 0x080B,
        0x0401, 0x0501, 0x0601, 0x0301, 0x0303, 0x0201, 0x0203, 0x0202, 0x0302, 0x0402, 0x0502, 0x0602,
    ];

    public static string SignatureScheme(ushort code) => code switch
    {
        0x0301 => "rsa_pkcs1_sha224",
        0x0303 => "ecdsa_sha224",
        0x0202 => "dsa_sha1",
        0x0302 => "dsa_sha224",
        0x0402 => "dsa_sha256",
        0x0502 => "dsa_sha384",
        0x0602 => "dsa_sha512",
        _ => Tessera.SignatureSchemes.NameOf(code),
    };

    /// <summary>The groups a scan asks about, in no particular order of merit.</summary>
    public static IReadOnlyList<ushort> Groups { get; } = [.. NamedGroups.All.Select(g => (ushort)g.Group)];

    /// <summary>Elliptic curves usable for ECDHE in TLS ≤ 1.2.</summary>
    public static IReadOnlyList<ushort> EcCurves { get; } = [29, 30, 23, 24, 25, 21, 26, 27, 28];

    public static string Group(ushort code) => NamedGroups.NameOf(code);

    /// <summary>ALPN protocols a scan asks about (IANA ALPN Protocol IDs most servers use).</summary>
    public static IReadOnlyList<string> AlpnProtocols { get; } =
        ["h2", "http/1.1", "http/1.0", "spdy/3.1", "acme-tls/1", "dot", "imap", "pop3", "managesieve", "xmpp-client", "xmpp-server", "mqtt", "ftp", "smb", "irc", "postgresql", "coap"];
}
