using Tessera.Pki.X509;

namespace Tessera.Pki;

/// <summary>
/// The default <see cref="ICertificateVerifier"/>: Tessera's own path validation
/// (<see cref="CertificateValidator"/>), identical on every OS, against the configured roots or the
/// system's; the server's name is checked against subjectAltName, and the usage (serverAuth or
/// clientAuth) against extendedKeyUsage; revocation against the CRLs it is given, when asked.
/// </summary>
public sealed class X509CertificateVerifier : ICertificateVerifier
{
    private readonly CertificateValidator _validator;

    /// <summary>Creates a verifier. With <paramref name="trustedRoots"/> null the system's trust store is used.</summary>
    public X509CertificateVerifier(IEnumerable<byte[]>? trustedRoots = null, bool checkHostName = true)
        : this(trustedRoots is null ? TrustStore.System : TrustStore.FromDer(trustedRoots), null, checkHostName)
    {
    }

    /// <summary>Creates a verifier over a trust store and a policy.</summary>
    public X509CertificateVerifier(TrustStore trustStore, ValidationPolicy? policy = null, bool checkHostName = true)
    {
        ArgumentNullException.ThrowIfNull(trustStore);
        _validator = new CertificateValidator(trustStore.Anchors, policy);
        CheckHostName = checkHostName;
    }

    /// <summary>Whether the server's name is checked against the certificate.</summary>
    public bool CheckHostName { get; }

    /// <summary>CRLs to check chains against (no network fetch happens).</summary>
    public IReadOnlyList<CertificateRevocationList> Crls { get; init; } = [];

    /// <summary>Off (the default), soft-fail or hard-fail.</summary>
    public RevocationMode Revocation { get; init; } = RevocationMode.Off;

    /// <inheritdoc />
    public ValueTask<CertificateVerificationResult> VerifyAsync(CertificateVerificationContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ValueTask.FromResult(Verify(context));
    }

    /// <summary>The full validation result (path, error and failing depth), for tools such as <c>tessera verify</c>.</summary>
    public ValidationResult Validate(CertificateVerificationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Chain.Count == 0)
        {
            return new ValidationResult(ValidationError.Malformed, "no certificate", 0, []);
        }

        var certificates = new List<Certificate>();
        for (int i = 0; i < context.Chain.Count; i++)
        {
            try
            {
                certificates.Add(Certificate.Parse(context.Chain[i]));
            }
            catch (CertificateFormatException ex)
            {
                return new ValidationResult(ValidationError.Malformed, ex.Message, i, []);
            }
        }

        return _validator.Validate(certificates[0], certificates.Skip(1), new ValidationContext
        {
            Time = context.Now,
            ExpectedName = context.IsServerCertificate && CheckHostName ? context.HostName : null,
            Usage = context.IsServerCertificate ? CertificateUsage.Server : CertificateUsage.Client,
            Crls = Crls,
            Revocation = Revocation,
        });
    }

    private CertificateVerificationResult Verify(CertificateVerificationContext context)
    {
        var result = Validate(context);
        return result.IsValid
            ? CertificateVerificationResult.Valid
            : CertificateVerificationResult.Fail(result.Alert, result.FailingDepth > 0 ? $"{result.Reason} (at depth {result.FailingDepth})" : result.Reason);
    }
}
