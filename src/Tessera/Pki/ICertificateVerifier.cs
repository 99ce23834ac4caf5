namespace Tessera.Pki;

/// <summary>What a verifier is asked to check.</summary>
/// <param name="Chain">The peer's certificates as sent (DER), end-entity first.</param>
/// <param name="HostName">For a server certificate, the name the client asked for (SNI or the configured name); null skips the name check.</param>
/// <param name="IsServerCertificate">True when the client verifies the server; false when the server verifies a client.</param>
/// <param name="Now">The time to validate against (from the connection's <see cref="TimeProvider"/>).</param>
/// <param name="OcspResponse">A stapled OCSP response, if the peer sent one.</param>
public sealed record CertificateVerificationContext(
    IReadOnlyList<ReadOnlyMemory<byte>> Chain,
    string? HostName,
    bool IsServerCertificate,
    DateTimeOffset Now,
    ReadOnlyMemory<byte>? OcspResponse = null);

/// <summary>A verifier's answer.</summary>
/// <param name="IsValid">True when the chain is acceptable.</param>
/// <param name="Alert">The alert to send when it is not (bad_certificate, unknown_ca, certificate_expired, ...).</param>
/// <param name="Reason">A one-line reason, for logs and the CLI.</param>
public sealed record CertificateVerificationResult(bool IsValid, AlertDescription Alert, string Reason)
{
    /// <summary>An accepting result.</summary>
    public static CertificateVerificationResult Valid { get; } = new(true, AlertDescription.CloseNotify, "ok");

    /// <summary>A rejecting result.</summary>
    public static CertificateVerificationResult Fail(AlertDescription alert, string reason) => new(false, alert, reason);
}

/// <summary>
/// Decides whether a peer's certificate chain is acceptable. Both roles use it. Asynchronous so
/// that revocation checking may go to the network; the engine waits for it without blocking.
/// </summary>
public interface ICertificateVerifier
{
    /// <summary>Checks the chain in <paramref name="context"/>.</summary>
    ValueTask<CertificateVerificationResult> VerifyAsync(CertificateVerificationContext context, CancellationToken cancellationToken = default);
}
