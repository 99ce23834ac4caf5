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
    private readonly ParsedCertificateCache _parsed = new();

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

    /// <summary>Check the end entity's revocation only, not the CAs' above it (as <c>openssl -crl_check</c> without <c>_all</c>).</summary>
    public bool RevocationLeafOnly { get; init; }

    /// <summary>
    /// When set (and <see cref="Revocation"/> is not off), OCSP answers or CRLs the certificates point to are fetched
    /// over the network, with the fetcher's timeouts and cache. Null (the default): nothing is fetched.
    /// </summary>
    public RevocationFetcher? Fetcher { get; init; }

    /// <inheritdoc />
    public ValueTask<CertificateVerificationResult> VerifyAsync(CertificateVerificationContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Fetcher is null || Revocation == RevocationMode.Off
            ? ValueTask.FromResult(Verify(context))
            : new ValueTask<CertificateVerificationResult>(VerifyFetchingAsync(context, cancellationToken));
    }

    /// <summary>Validates once without revocation to find the path, fetches what its certificates point to, and validates again with it.</summary>
    private async Task<CertificateVerificationResult> VerifyFetchingAsync(CertificateVerificationContext context, CancellationToken cancellationToken)
    {
        var first = Validate(context, fetchedCrls: [], fetchedOcsp: [], revocation: RevocationMode.Off);
        if (!first.IsValid)
        {
            return ToResult(first);
        }

        var crls = new List<CertificateRevocationList>();
        var ocsp = new List<OcspResponse>();
        for (int i = 0; i < (RevocationLeafOnly ? Math.Min(1, first.Path.Count - 1) : first.Path.Count - 1); i++)
        {
            if (await Fetcher!.FetchOcspAsync(first.Path[i], first.Path[i + 1], cancellationToken).ConfigureAwait(false) is { } response)
            {
                ocsp.Add(response);
            }
            else if (await Fetcher.FetchCrlAsync(first.Path[i], cancellationToken).ConfigureAwait(false) is { } crl)
            {
                crls.Add(crl);
            }
        }

        return ToResult(Validate(context, crls, ocsp, Revocation));
    }

    private static CertificateVerificationResult ToResult(ValidationResult result) => result.IsValid
        ? CertificateVerificationResult.Valid
        : CertificateVerificationResult.Fail(result.Alert, result.FailingDepth > 0 ? $"{result.Reason} (at depth {result.FailingDepth})" : result.Reason);

    /// <summary>The full validation result (path, error and failing depth), for tools such as <c>tessera verify</c>; nothing is fetched.</summary>
    public ValidationResult Validate(CertificateVerificationContext context) => Validate(context, [], [], Revocation);

    private ValidationResult Validate(CertificateVerificationContext context, IReadOnlyList<CertificateRevocationList> fetchedCrls, IReadOnlyList<OcspResponse> fetchedOcsp, RevocationMode revocation)
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
                certificates.Add(_parsed.Parse(context.Chain[i]));
            }
            catch (CertificateFormatException ex)
            {
                return new ValidationResult(ValidationError.Malformed, ex.Message, i, []);
            }
        }

        OcspResponse? staple = null;
        // An empty staple counts as none (a null byte[] silently becomes an empty ReadOnlyMemory on the way in).
        if (context.OcspResponse is { Length: > 0 } stapled)
        {
            try
            {
                staple = OcspResponse.Parse(stapled);
            }
            catch (CertificateFormatException ex)
            {
                return new ValidationResult(ValidationError.BadOcspResponse, $"the stapled OCSP response is malformed: {ex.Message}", 0, []);
            }
        }

        var result = _validator.Validate(certificates[0], certificates.Skip(1), new ValidationContext
        {
            Time = context.Now,
            ExpectedName = context.IsServerCertificate && CheckHostName ? context.HostName : null,
            Usage = context.IsServerCertificate ? CertificateUsage.Server : CertificateUsage.Client,
            Crls = [.. Crls, .. fetchedCrls],
            OcspResponses = staple is null ? fetchedOcsp : [staple, .. fetchedOcsp],
            Revocation = staple is not null && revocation == RevocationMode.Off ? RevocationMode.SoftFail : revocation,
            RevocationLeafOnly = RevocationLeafOnly || (staple is not null && revocation == RevocationMode.Off),
        });
        if (!result.IsValid || result.Path.Count < 2)
        {
            return result;
        }

        var leaf = result.Path[0];
        var stapleStatus = staple?.StatusOf(leaf, result.Path[1], context.Now, TimeSpan.FromMinutes(5), out _);
        if (staple is not null && stapleStatus is null)
        {
            // A staple that is not an authentic, current answer about this certificate is a protocol error (RFC 8446 §4.4.2.1).
            staple.StatusOf(leaf, result.Path[1], context.Now, TimeSpan.FromMinutes(5), out var why);
            return new ValidationResult(ValidationError.BadOcspResponse, $"the stapled OCSP response does not vouch for the certificate: {why}", 0, []);
        }

        if (leaf.MustStaple && EnforceMustStaple && stapleStatus?.Status != OcspCertificateStatus.Good)
        {
            // RFC 7633 §4.2.3.1: a Must-Staple certificate without a good staple is refused.
            return new ValidationResult(ValidationError.BadOcspResponse, "the certificate requires a stapled OCSP response (Must-Staple) and none was given", 0, []);
        }

        return result;
    }

    /// <summary>Refuse Must-Staple certificates (RFC 7633) that come without a good stapled OCSP response. On by default.</summary>
    public bool EnforceMustStaple { get; init; } = true;

    private CertificateVerificationResult Verify(CertificateVerificationContext context) => ToResult(Validate(context));
}
