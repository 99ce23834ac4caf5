namespace Tessera;

/// <summary>TLS cipher suites (IANA "TLS Cipher Suites"). TLS 1.3 suites name only AEAD and hash.</summary>
public enum CipherSuite : ushort
{
    /// <summary>TLS_AES_128_GCM_SHA256 (0x1301).</summary>
    TLS_AES_128_GCM_SHA256 = 0x1301,
    /// <summary>TLS_AES_256_GCM_SHA384 (0x1302).</summary>
    TLS_AES_256_GCM_SHA384 = 0x1302,
    /// <summary>TLS_CHACHA20_POLY1305_SHA256 (0x1303).</summary>
    TLS_CHACHA20_POLY1305_SHA256 = 0x1303,
}

/// <summary>The AEAD algorithms used by record protection.</summary>
public enum AeadAlgorithm
{
    /// <summary>AES-128 in GCM mode.</summary>
    Aes128Gcm,
    /// <summary>AES-256 in GCM mode.</summary>
    Aes256Gcm,
    /// <summary>ChaCha20-Poly1305 (RFC 8439).</summary>
    ChaCha20Poly1305,
}

/// <summary>The hash algorithms TLS 1.3 uses for HKDF and the transcript.</summary>
public enum TlsHashAlgorithm
{
    /// <summary>SHA-256.</summary>
    Sha256,
    /// <summary>SHA-384.</summary>
    Sha384,
    /// <summary>SHA-512 (signatures only).</summary>
    Sha512,
}

/// <summary>One row of the cipher-suite table.</summary>
/// <param name="Suite">The code point.</param>
/// <param name="Name">The IANA name.</param>
/// <param name="Aead">The record-protection AEAD.</param>
/// <param name="Hash">The HKDF and transcript hash.</param>
/// <param name="KeyLength">AEAD key length in bytes.</param>
public sealed record CipherSuiteInfo(CipherSuite Suite, string Name, AeadAlgorithm Aead, TlsHashAlgorithm Hash, int KeyLength)
{
    /// <summary>Length of the per-record nonce/IV (RFC 8446 §5.3: 12 bytes for every suite here).</summary>
    public int IvLength => 12;

    /// <summary>Length of the AEAD authentication tag.</summary>
    public int TagLength => 16;

    /// <summary>Output length of <see cref="Hash"/>.</summary>
    public int HashLength => Hash == TlsHashAlgorithm.Sha384 ? 48 : 32;
}

/// <summary>The cipher-suite registry: the single table every other part consults.</summary>
public static class CipherSuites
{
    private static readonly CipherSuiteInfo[] Table =
    [
        new(CipherSuite.TLS_AES_128_GCM_SHA256, "TLS_AES_128_GCM_SHA256", AeadAlgorithm.Aes128Gcm, TlsHashAlgorithm.Sha256, 16),
        new(CipherSuite.TLS_AES_256_GCM_SHA384, "TLS_AES_256_GCM_SHA384", AeadAlgorithm.Aes256Gcm, TlsHashAlgorithm.Sha384, 32),
        new(CipherSuite.TLS_CHACHA20_POLY1305_SHA256, "TLS_CHACHA20_POLY1305_SHA256", AeadAlgorithm.ChaCha20Poly1305, TlsHashAlgorithm.Sha256, 32),
    ];

    /// <summary>Every TLS 1.3 suite Tessera implements, in the default preference order.</summary>
    public static IReadOnlyList<CipherSuite> Tls13Defaults { get; } =
        [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_CHACHA20_POLY1305_SHA256];

    /// <summary>The table row for a suite, or null when Tessera does not implement it.</summary>
    public static CipherSuiteInfo? Find(CipherSuite suite) => Array.Find(Table, r => r.Suite == suite);

    /// <summary>The table row for a suite that must exist.</summary>
    public static CipherSuiteInfo Get(CipherSuite suite) => Find(suite) ?? throw new ArgumentOutOfRangeException(nameof(suite));

    /// <summary>The IANA name of any code point; unknown ones print as hex.</summary>
    public static string NameOf(ushort code) => Find((CipherSuite)code)?.Name ?? KnownLegacyName(code) ?? $"0x{code:X4}";

    /// <summary>Looks up a suite by IANA name (case-insensitive).</summary>
    public static CipherSuite? FromName(string name) =>
        Array.Find(Table, r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase))?.Suite;

    private static string? KnownLegacyName(ushort code) => code switch
    {
        0x00FF => "TLS_EMPTY_RENEGOTIATION_INFO_SCSV",
        0x5600 => "TLS_FALLBACK_SCSV",
        0xC02B => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        0xC02C => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        0xC02F => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        0xC030 => "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        0xCCA8 => "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        0xCCA9 => "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        0x009E => "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        0x009F => "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        0xC009 => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        0xC00A => "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        0xC013 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        0xC014 => "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        0x009C => "TLS_RSA_WITH_AES_128_GCM_SHA256",
        0x009D => "TLS_RSA_WITH_AES_256_GCM_SHA384",
        0x002F => "TLS_RSA_WITH_AES_128_CBC_SHA",
        0x0035 => "TLS_RSA_WITH_AES_256_CBC_SHA",
        _ => null,
    };
}
