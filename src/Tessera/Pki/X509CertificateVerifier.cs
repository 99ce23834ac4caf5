using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Tessera.Pki;

/// <summary>
/// The default <see cref="ICertificateVerifier"/>: builds the chain to the configured roots (or the
/// system store) with the platform's chain engine, checks validity, key usage for the role, and the
/// host name against subjectAltName. Revocation is not checked yet.
/// </summary>
public sealed class X509CertificateVerifier : ICertificateVerifier
{
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    private readonly X509Certificate2Collection? _roots;

    /// <summary>Creates a verifier. With <paramref name="trustedRoots"/> null the system's trust store is used.</summary>
    public X509CertificateVerifier(IEnumerable<byte[]>? trustedRoots = null, bool checkHostName = true)
    {
        if (trustedRoots is not null)
        {
            _roots = [];
            foreach (var der in trustedRoots)
            {
                _roots.Add(X509CertificateLoader.LoadCertificate(der));
            }
        }

        CheckHostName = checkHostName;
    }

    /// <summary>Whether the server's name is checked against the certificate.</summary>
    public bool CheckHostName { get; }

    /// <inheritdoc />
    public ValueTask<CertificateVerificationResult> VerifyAsync(CertificateVerificationContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ValueTask.FromResult(Verify(context));
    }

    private CertificateVerificationResult Verify(CertificateVerificationContext context)
    {
        if (context.Chain.Count == 0)
        {
            return CertificateVerificationResult.Fail(AlertDescription.BadCertificate, "no certificate");
        }

        var certificates = new List<X509Certificate2>();
        try
        {
            foreach (var der in context.Chain)
            {
                certificates.Add(X509CertificateLoader.LoadCertificate(der.Span));
            }
        }
        catch (CryptographicException ex)
        {
            certificates.ForEach(c => c.Dispose());
            return CertificateVerificationResult.Fail(AlertDescription.BadCertificate, $"certificate cannot be parsed: {ex.Message}");
        }

        try
        {
            var leaf = certificates[0];
            using var chain = new X509Chain();
            var policy = chain.ChainPolicy;
            policy.RevocationMode = X509RevocationMode.NoCheck;
            policy.VerificationTime = context.Now.UtcDateTime;
            policy.VerificationTimeIgnored = false;
            policy.ApplicationPolicy.Add(new Oid(context.IsServerCertificate ? ServerAuthOid : ClientAuthOid));
            policy.ExtraStore.AddRange(certificates.Skip(1).ToArray());
            if (_roots is not null)
            {
                policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                policy.CustomTrustStore.AddRange(_roots);
            }

            if (!chain.Build(leaf))
            {
                var flags = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (f, s) => f | s.Status);
                var detail = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
                return CertificateVerificationResult.Fail(Classify(flags), $"{Describe(flags)}{(detail.Length > 0 ? $" ({detail})" : "")}");
            }

            if (context.IsServerCertificate && CheckHostName && context.HostName is { Length: > 0 } host && !HostNameMatcher.Matches(leaf, host))
            {
                return CertificateVerificationResult.Fail(AlertDescription.BadCertificate, $"certificate is not valid for '{host}'");
            }

            return CertificateVerificationResult.Valid;
        }
        finally
        {
            certificates.ForEach(c => c.Dispose());
        }
    }

    private static AlertDescription Classify(X509ChainStatusFlags flags)
    {
        if ((flags & X509ChainStatusFlags.Revoked) != 0)
        {
            return AlertDescription.CertificateRevoked;
        }

        if ((flags & (X509ChainStatusFlags.NotTimeValid | X509ChainStatusFlags.NotTimeNested)) != 0)
        {
            return AlertDescription.CertificateExpired;
        }

        if ((flags & (X509ChainStatusFlags.NotSignatureValid | X509ChainStatusFlags.InvalidBasicConstraints | X509ChainStatusFlags.NotValidForUsage |
                      X509ChainStatusFlags.InvalidExtension | X509ChainStatusFlags.HasNotSupportedCriticalExtension | X509ChainStatusFlags.Cyclic)) != 0)
        {
            return AlertDescription.BadCertificate;
        }

        if ((flags & (X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain)) != 0)
        {
            return AlertDescription.UnknownCa;
        }

        return AlertDescription.BadCertificate;
    }

    private static string Describe(X509ChainStatusFlags flags) =>
        (flags & X509ChainStatusFlags.NotTimeValid) != 0 ? "certificate expired or not yet valid"
        : (flags & (X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain)) != 0 && (flags & X509ChainStatusFlags.NotSignatureValid) == 0 ? "chain does not lead to a trusted root"
        : (flags & X509ChainStatusFlags.NotValidForUsage) != 0 ? "certificate is not valid for this use (extended key usage)"
        : (flags & X509ChainStatusFlags.NotSignatureValid) != 0 ? "a signature in the chain does not verify"
        : $"chain is not valid: {flags}";
}
