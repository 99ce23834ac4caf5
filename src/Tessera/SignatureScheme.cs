namespace Tessera;

/// <summary>Signature schemes (RFC 8446 §4.2.3, IANA "TLS SignatureScheme").</summary>
public enum SignatureScheme : ushort
{
    /// <summary>rsa_pkcs1_sha256 (certificates only in TLS 1.3).</summary>
    rsa_pkcs1_sha256 = 0x0401,
    /// <summary>rsa_pkcs1_sha384 (certificates only in TLS 1.3).</summary>
    rsa_pkcs1_sha384 = 0x0501,
    /// <summary>rsa_pkcs1_sha512 (certificates only in TLS 1.3).</summary>
    rsa_pkcs1_sha512 = 0x0601,
    /// <summary>ecdsa_secp256r1_sha256.</summary>
    ecdsa_secp256r1_sha256 = 0x0403,
    /// <summary>ecdsa_secp384r1_sha384.</summary>
    ecdsa_secp384r1_sha384 = 0x0503,
    /// <summary>ecdsa_secp521r1_sha512.</summary>
    ecdsa_secp521r1_sha512 = 0x0603,
    /// <summary>rsa_pss_rsae_sha256.</summary>
    rsa_pss_rsae_sha256 = 0x0804,
    /// <summary>rsa_pss_rsae_sha384.</summary>
    rsa_pss_rsae_sha384 = 0x0805,
    /// <summary>rsa_pss_rsae_sha512.</summary>
    rsa_pss_rsae_sha512 = 0x0806,
    /// <summary>ed25519.</summary>
    ed25519 = 0x0807,
    /// <summary>ed448.</summary>
    ed448 = 0x0808,
    /// <summary>rsa_pss_pss_sha256.</summary>
    rsa_pss_pss_sha256 = 0x0809,
    /// <summary>rsa_pss_pss_sha384.</summary>
    rsa_pss_pss_sha384 = 0x080A,
    /// <summary>rsa_pss_pss_sha512.</summary>
    rsa_pss_pss_sha512 = 0x080B,
    /// <summary>rsa_pkcs1_sha1 (legacy).</summary>
    rsa_pkcs1_sha1 = 0x0201,
    /// <summary>ecdsa_sha1 (legacy; TLS 1.0/1.1 ECDSA signatures).</summary>
    ecdsa_sha1 = 0x0203,
    /// <summary>
    /// Not a code point (the private value BoringSSL also uses, never sent): TLS 1.0/1.1 RSA signatures,
    /// PKCS#1 v1.5 over MD5 ‖ SHA-1 without a DigestInfo (RFC 4346 §4.7).
    /// </summary>
    rsa_pkcs1_md5_sha1 = 0xFF01,
}

/// <summary>The kind of key a signature scheme needs.</summary>
public enum SignatureKeyType
{
    /// <summary>RSA key (rsaEncryption SPKI).</summary>
    Rsa,
    /// <summary>RSA key restricted to PSS (id-RSASSA-PSS SPKI).</summary>
    RsaPss,
    /// <summary>ECDSA key on a NIST curve.</summary>
    Ecdsa,
    /// <summary>Ed25519 key.</summary>
    Ed25519,
    /// <summary>Ed448 key.</summary>
    Ed448,
}

/// <summary>How the signature is computed.</summary>
public enum SignaturePadding
{
    /// <summary>RSASSA-PKCS1-v1_5.</summary>
    Pkcs1,
    /// <summary>RSASSA-PSS with MGF1 and salt length equal to the hash length.</summary>
    Pss,
    /// <summary>ECDSA, DER-encoded signature.</summary>
    Ecdsa,
    /// <summary>EdDSA (pure).</summary>
    EdDsa,
}

/// <summary>One row of the signature-scheme table.</summary>
/// <param name="Scheme">The code point.</param>
/// <param name="KeyType">The key it needs.</param>
/// <param name="Padding">How the signature is computed.</param>
/// <param name="Hash">The digest (ignored for EdDSA).</param>
/// <param name="CurveGroup">For ECDSA in TLS 1.3, the curve the key must be on.</param>
/// <param name="AllowedInTls13Handshake">False for schemes TLS 1.3 allows only in certificates (RFC 8446 §4.2.3).</param>
/// <param name="Implemented">Whether the default provider implements it.</param>
public sealed record SignatureSchemeInfo(
    SignatureScheme Scheme,
    SignatureKeyType KeyType,
    SignaturePadding Padding,
    TlsHashAlgorithm Hash,
    NamedGroup? CurveGroup,
    bool AllowedInTls13Handshake,
    bool Implemented);

/// <summary>The signature-scheme registry.</summary>
public static class SignatureSchemes
{
    private static readonly SignatureSchemeInfo[] Table =
    [
        new(SignatureScheme.ecdsa_secp256r1_sha256, SignatureKeyType.Ecdsa, SignaturePadding.Ecdsa, TlsHashAlgorithm.Sha256, NamedGroup.Secp256r1, true, true),
        new(SignatureScheme.ecdsa_secp384r1_sha384, SignatureKeyType.Ecdsa, SignaturePadding.Ecdsa, TlsHashAlgorithm.Sha384, NamedGroup.Secp384r1, true, true),
        new(SignatureScheme.ecdsa_secp521r1_sha512, SignatureKeyType.Ecdsa, SignaturePadding.Ecdsa, TlsHashAlgorithm.Sha512, NamedGroup.Secp521r1, true, true),
        new(SignatureScheme.ed25519, SignatureKeyType.Ed25519, SignaturePadding.EdDsa, TlsHashAlgorithm.Sha512, null, true, true),
        new(SignatureScheme.rsa_pss_rsae_sha256, SignatureKeyType.Rsa, SignaturePadding.Pss, TlsHashAlgorithm.Sha256, null, true, true),
        new(SignatureScheme.rsa_pss_rsae_sha384, SignatureKeyType.Rsa, SignaturePadding.Pss, TlsHashAlgorithm.Sha384, null, true, true),
        new(SignatureScheme.rsa_pss_rsae_sha512, SignatureKeyType.Rsa, SignaturePadding.Pss, TlsHashAlgorithm.Sha512, null, true, true),
        new(SignatureScheme.rsa_pss_pss_sha256, SignatureKeyType.RsaPss, SignaturePadding.Pss, TlsHashAlgorithm.Sha256, null, true, true),
        new(SignatureScheme.rsa_pss_pss_sha384, SignatureKeyType.RsaPss, SignaturePadding.Pss, TlsHashAlgorithm.Sha384, null, true, true),
        new(SignatureScheme.rsa_pss_pss_sha512, SignatureKeyType.RsaPss, SignaturePadding.Pss, TlsHashAlgorithm.Sha512, null, true, true),
        new(SignatureScheme.rsa_pkcs1_sha256, SignatureKeyType.Rsa, SignaturePadding.Pkcs1, TlsHashAlgorithm.Sha256, null, false, true),
        new(SignatureScheme.rsa_pkcs1_sha384, SignatureKeyType.Rsa, SignaturePadding.Pkcs1, TlsHashAlgorithm.Sha384, null, false, true),
        new(SignatureScheme.rsa_pkcs1_sha512, SignatureKeyType.Rsa, SignaturePadding.Pkcs1, TlsHashAlgorithm.Sha512, null, false, true),
        new(SignatureScheme.ed448, SignatureKeyType.Ed448, SignaturePadding.EdDsa, TlsHashAlgorithm.Sha512, null, true, false),
        // TLS 1.0/1.1 only (legacy opt-in); never in a default list, never accepted for TLS 1.2 or 1.3 handshakes.
        new(SignatureScheme.ecdsa_sha1, SignatureKeyType.Ecdsa, SignaturePadding.Ecdsa, TlsHashAlgorithm.Sha1, null, false, true),
        new(SignatureScheme.rsa_pkcs1_sha1, SignatureKeyType.Rsa, SignaturePadding.Pkcs1, TlsHashAlgorithm.Sha1, null, false, true),
        new(SignatureScheme.rsa_pkcs1_md5_sha1, SignatureKeyType.Rsa, SignaturePadding.Pkcs1, TlsHashAlgorithm.Md5Sha1, null, false, true),
    ];

    /// <summary>The schemes a Tessera endpoint offers for handshake signatures, most preferred first.</summary>
    public static IReadOnlyList<SignatureScheme> Tls13HandshakeDefaults { get; } =
    [
        SignatureScheme.ecdsa_secp256r1_sha256, SignatureScheme.ecdsa_secp384r1_sha384, SignatureScheme.ed25519,
        SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.rsa_pss_rsae_sha384, SignatureScheme.rsa_pss_rsae_sha512,
        SignatureScheme.rsa_pss_pss_sha256, SignatureScheme.rsa_pss_pss_sha384, SignatureScheme.rsa_pss_pss_sha512,
    ];

    /// <summary>
    /// The default signature_algorithms: the TLS 1.3 set, then PKCS#1 v1.5 for TLS 1.2 peers
    /// (a TLS 1.3 handshake never signs with those, RFC 8446 §4.2.3).
    /// </summary>
    public static IReadOnlyList<SignatureScheme> HandshakeDefaults { get; } =
    [
        .. Tls13HandshakeDefaults, SignatureScheme.rsa_pkcs1_sha256, SignatureScheme.rsa_pkcs1_sha384, SignatureScheme.rsa_pkcs1_sha512,
    ];

    /// <summary>The schemes accepted in certificates (signature_algorithms_cert): the handshake set plus PKCS#1 v1.5.</summary>
    public static IReadOnlyList<SignatureScheme> CertificateDefaults { get; } =
    [
        .. Tls13HandshakeDefaults, SignatureScheme.ecdsa_secp521r1_sha512,
        SignatureScheme.rsa_pkcs1_sha256, SignatureScheme.rsa_pkcs1_sha384, SignatureScheme.rsa_pkcs1_sha512,
    ];

    /// <summary>The row for a scheme, or null.</summary>
    public static SignatureSchemeInfo? Find(SignatureScheme scheme) => ByCode.GetValueOrDefault((ushort)scheme);

    // Indexed once: lookups sit on every handshake's path.
    private static readonly Dictionary<ushort, SignatureSchemeInfo> ByCode = Table.ToDictionary(r => (ushort)r.Scheme);

    /// <summary>The RFC name of any code point.</summary>
    public static string NameOf(ushort code) =>
        Enum.IsDefined((SignatureScheme)code) ? ((SignatureScheme)code).ToString() : $"0x{code:X4}";

    /// <summary>Parses an RFC name such as <c>rsa_pss_rsae_sha256</c> (also OpenSSL's <c>ECDSA+SHA256</c>-free forms).</summary>
    public static SignatureScheme? FromName(string name) =>
        Enum.TryParse<SignatureScheme>(name, ignoreCase: true, out var s) && Enum.IsDefined(s) ? s : null;
}
