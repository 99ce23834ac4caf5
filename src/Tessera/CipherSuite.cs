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
    /// <summary>TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 (0xC02B), TLS 1.2.</summary>
    TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 = 0xC02B,
    /// <summary>TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 (0xC02C), TLS 1.2.</summary>
    TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 = 0xC02C,
    /// <summary>TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 (0xC02F), TLS 1.2.</summary>
    TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 = 0xC02F,
    /// <summary>TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 (0xC030), TLS 1.2.</summary>
    TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 = 0xC030,
    /// <summary>TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 (0xCCA8), TLS 1.2 (RFC 7905).</summary>
    TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 = 0xCCA8,
    /// <summary>TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 (0xCCA9), TLS 1.2 (RFC 7905).</summary>
    TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 = 0xCCA9,

    /// <summary>TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA (0xC009), legacy: CBC.</summary>
    TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA = 0xC009,
    /// <summary>TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA (0xC00A), legacy: CBC.</summary>
    TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA = 0xC00A,
    /// <summary>TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA (0xC013), legacy: CBC.</summary>
    TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA = 0xC013,
    /// <summary>TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA (0xC014), legacy: CBC.</summary>
    TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA = 0xC014,
    /// <summary>TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 (0xC023), legacy: CBC.</summary>
    TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 = 0xC023,
    /// <summary>TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384 (0xC024), legacy: CBC.</summary>
    TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384 = 0xC024,
    /// <summary>TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 (0xC027), legacy: CBC.</summary>
    TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 = 0xC027,
    /// <summary>TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384 (0xC028), legacy: CBC.</summary>
    TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384 = 0xC028,
    /// <summary>TLS_RSA_WITH_AES_128_GCM_SHA256 (0x009C), legacy: RSA key exchange.</summary>
    TLS_RSA_WITH_AES_128_GCM_SHA256 = 0x009C,
    /// <summary>TLS_RSA_WITH_AES_256_GCM_SHA384 (0x009D), legacy: RSA key exchange.</summary>
    TLS_RSA_WITH_AES_256_GCM_SHA384 = 0x009D,
    /// <summary>TLS_RSA_WITH_AES_128_CBC_SHA (0x002F), legacy: RSA key exchange, CBC.</summary>
    TLS_RSA_WITH_AES_128_CBC_SHA = 0x002F,
    /// <summary>TLS_RSA_WITH_AES_256_CBC_SHA (0x0035), legacy: RSA key exchange, CBC.</summary>
    TLS_RSA_WITH_AES_256_CBC_SHA = 0x0035,
    /// <summary>TLS_RSA_WITH_AES_128_CBC_SHA256 (0x003C), legacy: RSA key exchange, CBC.</summary>
    TLS_RSA_WITH_AES_128_CBC_SHA256 = 0x003C,
    /// <summary>TLS_RSA_WITH_AES_256_CBC_SHA256 (0x003D), legacy: RSA key exchange, CBC.</summary>
    TLS_RSA_WITH_AES_256_CBC_SHA256 = 0x003D,
    /// <summary>TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 (0x009E), legacy: DHE (RFC 7919 groups).</summary>
    TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 = 0x009E,
    /// <summary>TLS_DHE_RSA_WITH_AES_256_GCM_SHA384 (0x009F), legacy: DHE (RFC 7919 groups).</summary>
    TLS_DHE_RSA_WITH_AES_256_GCM_SHA384 = 0x009F,
    /// <summary>TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256 (0xCCAA), legacy: DHE (RFC 7919 groups).</summary>
    TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256 = 0xCCAA,
    /// <summary>TLS_DHE_RSA_WITH_AES_128_CBC_SHA (0x0033), legacy: DHE, CBC.</summary>
    TLS_DHE_RSA_WITH_AES_128_CBC_SHA = 0x0033,
    /// <summary>TLS_DHE_RSA_WITH_AES_256_CBC_SHA (0x0039), legacy: DHE, CBC.</summary>
    TLS_DHE_RSA_WITH_AES_256_CBC_SHA = 0x0039,
    /// <summary>TLS_DHE_RSA_WITH_AES_128_CBC_SHA256 (0x0067), legacy: DHE, CBC.</summary>
    TLS_DHE_RSA_WITH_AES_128_CBC_SHA256 = 0x0067,
    /// <summary>TLS_DHE_RSA_WITH_AES_256_CBC_SHA256 (0x006B), legacy: DHE, CBC.</summary>
    TLS_DHE_RSA_WITH_AES_256_CBC_SHA256 = 0x006B,
}

/// <summary>How a TLS 1.2 suite agrees on the premaster secret.</summary>
public enum TlsKeyExchange
{
    /// <summary>TLS 1.3: the key_share extension.</summary>
    Any,
    /// <summary>Ephemeral elliptic-curve Diffie-Hellman (RFC 8422).</summary>
    Ecdhe,
    /// <summary>Ephemeral finite-field Diffie-Hellman with the RFC 7919 groups (legacy).</summary>
    Dhe,
    /// <summary>The premaster secret encrypted to the server's RSA key: no forward secrecy (legacy).</summary>
    Rsa,
}

/// <summary>How records are authenticated: by the AEAD, or (CBC suites) by an HMAC.</summary>
public enum TlsMacAlgorithm
{
    /// <summary>The AEAD's tag.</summary>
    Aead,
    /// <summary>HMAC-SHA1.</summary>
    HmacSha1,
    /// <summary>HMAC-SHA256.</summary>
    HmacSha256,
    /// <summary>HMAC-SHA384.</summary>
    HmacSha384,
}

/// <summary>
/// The legacy features Tessera implements but never uses unless asked: the single switch for all of
/// them (<see cref="TlsOptions.Legacy"/>). SSL 2.0/3.0, export, NULL, anonymous, RC4, DES/3DES and
/// compression are not here because they are never available.
/// </summary>
[Flags]
public enum LegacyPolicy
{
    /// <summary>Nothing legacy (the default).</summary>
    None = 0,
    /// <summary>AES-CBC suites with HMAC (encrypt_then_mac preferred, RFC 7366).</summary>
    CbcSuites = 1,
    /// <summary>TLS_RSA_WITH_* suites: RSA key exchange, no forward secrecy.</summary>
    RsaKeyExchange = 2,
    /// <summary>TLS_DHE_RSA_WITH_* suites over the RFC 7919 ffdhe groups.</summary>
    DheKeyExchange = 4,
    /// <summary>TLS 1.0 and 1.1 (RFC 2246, RFC 4346; deprecated by RFC 8996), with the CBC-SHA suites, when <see cref="TlsOptions.MinProtocolVersion"/> allows them too.</summary>
    Tls10And11 = 8,
    /// <summary>Every legacy feature above.</summary>
    All = CbcSuites | RsaKeyExchange | DheKeyExchange | Tls10And11,
}

/// <summary>How a TLS 1.2 suite authenticates the server; TLS 1.3 suites leave it to the certificate.</summary>
public enum SuiteAuthentication
{
    /// <summary>TLS 1.3: any certificate type.</summary>
    Any,
    /// <summary>ECDSA certificate.</summary>
    Ecdsa,
    /// <summary>RSA certificate (signature with PSS or PKCS#1 v1.5).</summary>
    Rsa,
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
    /// <summary>SHA-1 (legacy: the TLS 1.0/1.1 PRF and signatures, HMAC-SHA1 record MACs).</summary>
    Sha1,
    /// <summary>MD5 (legacy: half of the TLS 1.0/1.1 PRF only).</summary>
    Md5,
    /// <summary>MD5 ‖ SHA-1 (legacy: the TLS 1.0/1.1 handshake hash, and their PRF).</summary>
    Md5Sha1,
}

/// <summary>One row of the cipher-suite table.</summary>
/// <param name="Suite">The code point.</param>
/// <param name="Name">The IANA name.</param>
/// <param name="Aead">The record-protection AEAD.</param>
/// <param name="Hash">The HKDF and transcript hash.</param>
/// <param name="KeyLength">AEAD key length in bytes.</param>
/// <param name="Version">The protocol version the suite belongs to (TLS 1.3 suites are not used in 1.2, nor the reverse).</param>
/// <param name="Authentication">For TLS 1.2 ECDHE suites, the certificate type it requires.</param>
/// <param name="OpenSslName">The name OpenSSL's <c>-cipher</c> uses (TLS 1.2), or the IANA name (TLS 1.3).</param>
/// <remarks>For CBC suites <paramref name="Aead"/> names the AES key size only (GCM is not used); <see cref="Mac"/> says how records are authenticated.</remarks>
public sealed record CipherSuiteInfo(CipherSuite Suite, string Name, AeadAlgorithm Aead, TlsHashAlgorithm Hash, int KeyLength,
    TlsProtocolVersion Version, SuiteAuthentication Authentication, string OpenSslName)
{
    /// <summary>TLS 1.2: how the premaster secret is agreed.</summary>
    public TlsKeyExchange KeyExchange { get; init; } = Version == TlsProtocolVersion.Tls13 ? TlsKeyExchange.Any : TlsKeyExchange.Ecdhe;

    /// <summary>TLS 1.2: the record MAC (<see cref="TlsMacAlgorithm.Aead"/> for AEAD suites).</summary>
    public TlsMacAlgorithm Mac { get; init; } = TlsMacAlgorithm.Aead;

    /// <summary>True for AES-CBC suites with an HMAC.</summary>
    public bool IsCbc => Mac != TlsMacAlgorithm.Aead;

    /// <summary>The legacy feature this suite needs, or <see cref="LegacyPolicy.None"/>.</summary>
    public LegacyPolicy RequiredLegacy =>
        (IsCbc ? LegacyPolicy.CbcSuites : LegacyPolicy.None) |
        KeyExchange switch { TlsKeyExchange.Rsa => LegacyPolicy.RsaKeyExchange, TlsKeyExchange.Dhe => LegacyPolicy.DheKeyExchange, _ => LegacyPolicy.None };

    /// <summary>
    /// Whether the suite can be used at <paramref name="version"/>: TLS 1.3 suites in 1.3 only, the others in
    /// 1.2, and in TLS 1.0/1.1 only the CBC suites with HMAC-SHA1 (the rest came with TLS 1.2).
    /// </summary>
    public bool UsableIn(TlsProtocolVersion version) => version switch
    {
        TlsProtocolVersion.Tls13 => Version == TlsProtocolVersion.Tls13,
        TlsProtocolVersion.Tls12 => Version == TlsProtocolVersion.Tls12,
        TlsProtocolVersion.Tls11 or TlsProtocolVersion.Tls10 => Version == TlsProtocolVersion.Tls12 && Mac == TlsMacAlgorithm.HmacSha1,
        _ => false,
    };

    /// <summary>HMAC key and output length of <see cref="Mac"/> (0 for AEAD suites).</summary>
    public int MacLength => Mac switch { TlsMacAlgorithm.HmacSha1 => 20, TlsMacAlgorithm.HmacSha256 => 32, TlsMacAlgorithm.HmacSha384 => 48, _ => 0 };

    /// <summary>Length of the per-record nonce/IV (RFC 8446 §5.3: 12 bytes for every suite here).</summary>
    public int IvLength => 12;

    /// <summary>TLS 1.2: the fixed part of the nonce from the key block (4 bytes for GCM, RFC 5288; 12 for ChaCha20, RFC 7905; none for CBC).</summary>
    public int FixedIvLength12 => IsCbc ? 0 : Aead == AeadAlgorithm.ChaCha20Poly1305 ? 12 : 4;

    /// <summary>TLS 1.2: the explicit nonce carried in each record (8 bytes for GCM, none for ChaCha20, a 16-byte IV for CBC).</summary>
    public int RecordIvLength12 => IsCbc ? 16 : Aead == AeadAlgorithm.ChaCha20Poly1305 ? 0 : 8;

    /// <summary>Length of the AEAD authentication tag.</summary>
    public int TagLength => 16;

    /// <summary>Output length of <see cref="Hash"/>.</summary>
    public int HashLength => Hash == TlsHashAlgorithm.Sha384 ? 48 : 32;
}

/// <summary>The cipher-suite registry: the single table every other part consults.</summary>
public static class CipherSuites
{
    private const TlsProtocolVersion V13 = TlsProtocolVersion.Tls13;
    private const TlsProtocolVersion V12 = TlsProtocolVersion.Tls12;

    private static readonly CipherSuiteInfo[] Table =
    [
        new(CipherSuite.TLS_AES_128_GCM_SHA256, "TLS_AES_128_GCM_SHA256", AeadAlgorithm.Aes128Gcm, TlsHashAlgorithm.Sha256, 16, V13, SuiteAuthentication.Any, "TLS_AES_128_GCM_SHA256"),
        new(CipherSuite.TLS_AES_256_GCM_SHA384, "TLS_AES_256_GCM_SHA384", AeadAlgorithm.Aes256Gcm, TlsHashAlgorithm.Sha384, 32, V13, SuiteAuthentication.Any, "TLS_AES_256_GCM_SHA384"),
        new(CipherSuite.TLS_CHACHA20_POLY1305_SHA256, "TLS_CHACHA20_POLY1305_SHA256", AeadAlgorithm.ChaCha20Poly1305, TlsHashAlgorithm.Sha256, 32, V13, SuiteAuthentication.Any, "TLS_CHACHA20_POLY1305_SHA256"),
        new(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", AeadAlgorithm.Aes128Gcm, TlsHashAlgorithm.Sha256, 16, V12, SuiteAuthentication.Ecdsa, "ECDHE-ECDSA-AES128-GCM-SHA256"),
        new(CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", AeadAlgorithm.Aes128Gcm, TlsHashAlgorithm.Sha256, 16, V12, SuiteAuthentication.Rsa, "ECDHE-RSA-AES128-GCM-SHA256"),
        new(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", AeadAlgorithm.Aes256Gcm, TlsHashAlgorithm.Sha384, 32, V12, SuiteAuthentication.Ecdsa, "ECDHE-ECDSA-AES256-GCM-SHA384"),
        new(CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", AeadAlgorithm.Aes256Gcm, TlsHashAlgorithm.Sha384, 32, V12, SuiteAuthentication.Rsa, "ECDHE-RSA-AES256-GCM-SHA384"),
        new(CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", AeadAlgorithm.ChaCha20Poly1305, TlsHashAlgorithm.Sha256, 32, V12, SuiteAuthentication.Ecdsa, "ECDHE-ECDSA-CHACHA20-POLY1305"),
        new(CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", AeadAlgorithm.ChaCha20Poly1305, TlsHashAlgorithm.Sha256, 32, V12, SuiteAuthentication.Rsa, "ECDHE-RSA-CHACHA20-POLY1305"),

        // Legacy, by opt-in only (LegacyPolicy). CBC suites name the AES size through Aead; the PRF is SHA-256 unless the suite says SHA384.
        Cbc(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 16, TlsMacAlgorithm.HmacSha1, SuiteAuthentication.Ecdsa, "ECDHE-ECDSA-AES128-SHA"),
        Cbc(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", 32, TlsMacAlgorithm.HmacSha1, SuiteAuthentication.Ecdsa, "ECDHE-ECDSA-AES256-SHA"),
        Cbc(CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 16, TlsMacAlgorithm.HmacSha1, SuiteAuthentication.Rsa, "ECDHE-RSA-AES128-SHA"),
        Cbc(CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", 32, TlsMacAlgorithm.HmacSha1, SuiteAuthentication.Rsa, "ECDHE-RSA-AES256-SHA"),
        Cbc(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", 16, TlsMacAlgorithm.HmacSha256, SuiteAuthentication.Ecdsa, "ECDHE-ECDSA-AES128-SHA256"),
        Cbc(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", 32, TlsMacAlgorithm.HmacSha384, SuiteAuthentication.Ecdsa, "ECDHE-ECDSA-AES256-SHA384"),
        Cbc(CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", 16, TlsMacAlgorithm.HmacSha256, SuiteAuthentication.Rsa, "ECDHE-RSA-AES128-SHA256"),
        Cbc(CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", 32, TlsMacAlgorithm.HmacSha384, SuiteAuthentication.Rsa, "ECDHE-RSA-AES256-SHA384"),
        new(CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256, "TLS_RSA_WITH_AES_128_GCM_SHA256", AeadAlgorithm.Aes128Gcm, TlsHashAlgorithm.Sha256, 16, V12, SuiteAuthentication.Rsa, "AES128-GCM-SHA256") { KeyExchange = TlsKeyExchange.Rsa },
        new(CipherSuite.TLS_RSA_WITH_AES_256_GCM_SHA384, "TLS_RSA_WITH_AES_256_GCM_SHA384", AeadAlgorithm.Aes256Gcm, TlsHashAlgorithm.Sha384, 32, V12, SuiteAuthentication.Rsa, "AES256-GCM-SHA384") { KeyExchange = TlsKeyExchange.Rsa },
        Cbc(CipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA, "TLS_RSA_WITH_AES_128_CBC_SHA", 16, TlsMacAlgorithm.HmacSha1, SuiteAuthentication.Rsa, "AES128-SHA", TlsKeyExchange.Rsa),
        Cbc(CipherSuite.TLS_RSA_WITH_AES_256_CBC_SHA, "TLS_RSA_WITH_AES_256_CBC_SHA", 32, TlsMacAlgorithm.HmacSha1, SuiteAuthentication.Rsa, "AES256-SHA", TlsKeyExchange.Rsa),
        Cbc(CipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA256, "TLS_RSA_WITH_AES_128_CBC_SHA256", 16, TlsMacAlgorithm.HmacSha256, SuiteAuthentication.Rsa, "AES128-SHA256", TlsKeyExchange.Rsa),
        Cbc(CipherSuite.TLS_RSA_WITH_AES_256_CBC_SHA256, "TLS_RSA_WITH_AES_256_CBC_SHA256", 32, TlsMacAlgorithm.HmacSha256, SuiteAuthentication.Rsa, "AES256-SHA256", TlsKeyExchange.Rsa),
        new(CipherSuite.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", AeadAlgorithm.Aes128Gcm, TlsHashAlgorithm.Sha256, 16, V12, SuiteAuthentication.Rsa, "DHE-RSA-AES128-GCM-SHA256") { KeyExchange = TlsKeyExchange.Dhe },
        new(CipherSuite.TLS_DHE_RSA_WITH_AES_256_GCM_SHA384, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", AeadAlgorithm.Aes256Gcm, TlsHashAlgorithm.Sha384, 32, V12, SuiteAuthentication.Rsa, "DHE-RSA-AES256-GCM-SHA384") { KeyExchange = TlsKeyExchange.Dhe },
        new(CipherSuite.TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", AeadAlgorithm.ChaCha20Poly1305, TlsHashAlgorithm.Sha256, 32, V12, SuiteAuthentication.Rsa, "DHE-RSA-CHACHA20-POLY1305") { KeyExchange = TlsKeyExchange.Dhe },
        Cbc(CipherSuite.TLS_DHE_RSA_WITH_AES_128_CBC_SHA, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", 16, TlsMacAlgorithm.HmacSha1, SuiteAuthentication.Rsa, "DHE-RSA-AES128-SHA", TlsKeyExchange.Dhe),
        Cbc(CipherSuite.TLS_DHE_RSA_WITH_AES_256_CBC_SHA, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", 32, TlsMacAlgorithm.HmacSha1, SuiteAuthentication.Rsa, "DHE-RSA-AES256-SHA", TlsKeyExchange.Dhe),
        Cbc(CipherSuite.TLS_DHE_RSA_WITH_AES_128_CBC_SHA256, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", 16, TlsMacAlgorithm.HmacSha256, SuiteAuthentication.Rsa, "DHE-RSA-AES128-SHA256", TlsKeyExchange.Dhe),
        Cbc(CipherSuite.TLS_DHE_RSA_WITH_AES_256_CBC_SHA256, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", 32, TlsMacAlgorithm.HmacSha256, SuiteAuthentication.Rsa, "DHE-RSA-AES256-SHA256", TlsKeyExchange.Dhe),
    ];

    private static CipherSuiteInfo Cbc(CipherSuite suite, string name, int keyLength, TlsMacAlgorithm mac, SuiteAuthentication authentication, string openSslName,
        TlsKeyExchange keyExchange = TlsKeyExchange.Ecdhe) =>
        new(suite, name, keyLength == 16 ? AeadAlgorithm.Aes128Gcm : AeadAlgorithm.Aes256Gcm,
            mac == TlsMacAlgorithm.HmacSha384 ? TlsHashAlgorithm.Sha384 : TlsHashAlgorithm.Sha256, keyLength, V12, authentication, openSslName)
        {
            Mac = mac,
            KeyExchange = keyExchange,
        };

    /// <summary>The legacy suites, strongest first; each is usable only when <see cref="TlsOptions.Legacy"/> allows what it needs.</summary>
    public static IReadOnlyList<CipherSuite> Legacy { get; } =
    [
        CipherSuite.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, CipherSuite.TLS_DHE_RSA_WITH_AES_256_GCM_SHA384, CipherSuite.TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384, CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
        CipherSuite.TLS_DHE_RSA_WITH_AES_128_CBC_SHA256, CipherSuite.TLS_DHE_RSA_WITH_AES_256_CBC_SHA256,
        CipherSuite.TLS_DHE_RSA_WITH_AES_128_CBC_SHA, CipherSuite.TLS_DHE_RSA_WITH_AES_256_CBC_SHA,
        CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256, CipherSuite.TLS_RSA_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA256, CipherSuite.TLS_RSA_WITH_AES_256_CBC_SHA256,
        CipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA, CipherSuite.TLS_RSA_WITH_AES_256_CBC_SHA,
    ];

    /// <summary>Every TLS 1.3 suite Tessera implements, in the default preference order.</summary>
    public static IReadOnlyList<CipherSuite> Tls13Defaults { get; } =
        [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_CHACHA20_POLY1305_SHA256];

    /// <summary>The TLS 1.2 suites on by default (ECDHE with AEAD only), in preference order.</summary>
    public static IReadOnlyList<CipherSuite> Tls12Defaults { get; } =
    [
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ];

    /// <summary>Every suite on by default: TLS 1.3 first, then TLS 1.2.</summary>
    public static IReadOnlyList<CipherSuite> Defaults { get; } = [.. Tls13Defaults, .. Tls12Defaults];

    /// <summary>The table row for a suite, or null when Tessera does not implement it.</summary>
    public static CipherSuiteInfo? Find(CipherSuite suite) => ByCode.GetValueOrDefault((ushort)suite);

    // Indexed once: lookups sit on every handshake's path.
    private static readonly Dictionary<ushort, CipherSuiteInfo> ByCode = Table.ToDictionary(r => (ushort)r.Suite);

    /// <summary>The table row for a suite that must exist.</summary>
    public static CipherSuiteInfo Get(CipherSuite suite) => Find(suite) ?? throw new ArgumentOutOfRangeException(nameof(suite));

    /// <summary>The IANA name of any code point; unknown ones print as hex.</summary>
    public static string NameOf(ushort code) => Find((CipherSuite)code)?.Name ?? KnownLegacyName(code) ?? $"0x{code:X4}";

    /// <summary>Looks up a suite by IANA name or OpenSSL name (case-insensitive).</summary>
    public static CipherSuite? FromName(string name) =>
        Array.Find(Table, r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase) ||
                               string.Equals(r.OpenSslName, name, StringComparison.OrdinalIgnoreCase))?.Suite;

    private static string? KnownLegacyName(ushort code) => code switch
    {
        0x00FF => "TLS_EMPTY_RENEGOTIATION_INFO_SCSV",
        0x5600 => "TLS_FALLBACK_SCSV",
        _ => null,
    };
}
