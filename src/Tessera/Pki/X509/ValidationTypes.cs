namespace Tessera.Pki.X509;

/// <summary>What the end-entity certificate is for.</summary>
public enum CertificateUsage
{
    /// <summary>A TLS server (id-kp-serverAuth).</summary>
    Server,
    /// <summary>A TLS client (id-kp-clientAuth).</summary>
    Client,
}

/// <summary>Why a path did not validate.</summary>
public enum ValidationError
{
    /// <summary>Valid.</summary>
    None,
    /// <summary>A certificate is not well-formed DER.</summary>
    Malformed,
    /// <summary>A certificate's notAfter is past.</summary>
    Expired,
    /// <summary>A certificate's notBefore is still to come.</summary>
    NotYetValid,
    /// <summary>No chain reaches a trust anchor.</summary>
    UnknownIssuer,
    /// <summary>A signature in the chain does not verify.</summary>
    BadSignature,
    /// <summary>An issuing certificate is not a CA (basicConstraints) or may not sign certificates (keyUsage).</summary>
    NotACa,
    /// <summary>pathLenConstraint is exceeded.</summary>
    PathLengthExceeded,
    /// <summary>The end-entity certificate's keyUsage does not allow TLS.</summary>
    KeyUsage,
    /// <summary>extendedKeyUsage does not allow the usage, on the leaf or on an issuer.</summary>
    ExtendedKeyUsage,
    /// <summary>A name violates an issuer's nameConstraints.</summary>
    NameConstraint,
    /// <summary>A critical extension is not understood.</summary>
    UnknownCriticalExtension,
    /// <summary>A signature uses MD5 or (unless allowed) SHA-1, or an unknown algorithm.</summary>
    WeakSignatureAlgorithm,
    /// <summary>A key is too small or of an unsupported kind.</summary>
    WeakKey,
    /// <summary>The expected DNS name or IP address is not in subjectAltName.</summary>
    NameMismatch,
    /// <summary>A certificate in the path is revoked.</summary>
    Revoked,
    /// <summary>Building the path needed more work than the policy allows.</summary>
    TooComplex,
    /// <summary>A CA certificate is used as the end entity.</summary>
    CaUsedAsEndEntity,
    /// <summary>Hard-fail revocation checking found no usable CRL or OCSP response for a certificate.</summary>
    RevocationUnknown,
    /// <summary>A stapled OCSP response is missing (Must-Staple) or does not vouch for the certificate.</summary>
    BadOcspResponse,
}

/// <summary>How revocation is checked (RFC 5280 §6.3 with the CRLs given to the validation).</summary>
public enum RevocationMode
{
    /// <summary>Not checked.</summary>
    Off,
    /// <summary>A usable CRL or OCSP response that says revoked refuses it; a missing or stale one is ignored.</summary>
    SoftFail,
    /// <summary>Every certificate below the anchor needs a usable CRL or OCSP answer from its issuer, and must not be revoked.</summary>
    HardFail,
}

/// <summary>Limits and choices of a validator; the defaults are the web PKI's.</summary>
public sealed class ValidationPolicy
{
    /// <summary>The most certificates in a path, anchor included.</summary>
    public int MaxDepth { get; init; } = 8;

    /// <summary>The most signature verifications one validation may try (bounds path building on hostile input).</summary>
    public int MaxSignatureChecks { get; init; } = 64;

    /// <summary>The smallest RSA modulus accepted.</summary>
    public int MinimumRsaKeyBits { get; init; } = 2048;

    /// <summary>Accept SHA-1 signatures in the chain (never MD5). Off by default.</summary>
    public bool AllowSha1Signatures { get; init; }

    /// <summary>The default policy.</summary>
    public static ValidationPolicy Default { get; } = new();
}

/// <summary>What one validation checks against.</summary>
public sealed class ValidationContext
{
    /// <summary>The time the certificates must be valid at.</summary>
    public DateTimeOffset Time { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>A DNS name or IP literal the end entity must carry in subjectAltName; null checks no name.</summary>
    public string? ExpectedName { get; init; }

    /// <summary>Server or client.</summary>
    public CertificateUsage Usage { get; init; } = CertificateUsage.Server;

    /// <summary>The longest path accepted, in certificates from the end entity to the anchor inclusive; null uses <see cref="ValidationPolicy.MaxDepth"/>.</summary>
    public int? MaxDepth { get; init; }

    /// <summary>CRLs to check the path against (they are verified before use).</summary>
    public IReadOnlyList<CertificateRevocationList> Crls { get; init; } = [];

    /// <summary>OCSP responses to check the path against (verified before use: signed by the issuer or its delegated responder, current).</summary>
    public IReadOnlyList<OcspResponse> OcspResponses { get; init; } = [];

    /// <summary>Off, soft-fail or hard-fail.</summary>
    public RevocationMode Revocation { get; init; } = RevocationMode.Off;

    /// <summary>Check revocation of the end entity only (as <c>openssl verify -crl_check</c>), not of the CAs above it.</summary>
    public bool RevocationLeafOnly { get; init; }

    /// <summary>How far a CRL's thisUpdate may lie in the future, or its nextUpdate in the past, before it is refused.</summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>The outcome: the validated path (leaf first, anchor last) or the first reason it failed.</summary>
/// <param name="Error">None when valid.</param>
/// <param name="Reason">One line for people.</param>
/// <param name="FailingDepth">0 for the leaf, 1 for its issuer, ...; -1 when valid.</param>
/// <param name="Path">The chain that validated (empty on failure).</param>
public sealed record ValidationResult(ValidationError Error, string Reason, int FailingDepth, IReadOnlyList<Certificate> Path)
{
    /// <summary>True when a path to a trust anchor validated.</summary>
    public bool IsValid => Error == ValidationError.None;

    /// <summary>The TLS alert that reports this failure (RFC 8446 §6.2).</summary>
    public AlertDescription Alert => Error switch
    {
        ValidationError.None => AlertDescription.CloseNotify,
        ValidationError.Expired or ValidationError.NotYetValid => AlertDescription.CertificateExpired,
        ValidationError.UnknownIssuer => AlertDescription.UnknownCa,
        ValidationError.Revoked => AlertDescription.CertificateRevoked,
        ValidationError.RevocationUnknown => AlertDescription.CertificateUnknown,
        ValidationError.BadOcspResponse => AlertDescription.BadCertificateStatusResponse,
        // As OpenSSL: a certificate not for this purpose, or of a kind refused, is "unsupported".
        ValidationError.WeakSignatureAlgorithm or ValidationError.WeakKey or ValidationError.ExtendedKeyUsage => AlertDescription.UnsupportedCertificate,
        _ => AlertDescription.BadCertificate,
    };

    internal static ValidationResult Valid(IReadOnlyList<Certificate> path) => new(ValidationError.None, "OK", -1, path);

    internal static ValidationResult Fail(ValidationError error, int depth, string reason) => new(error, reason, depth, []);
}
