using Tessera.Pki.X509;

namespace Tessera.Pki;

/// <summary>
/// Keeps a server certificate's OCSP staple right: a response is stapled only when it is a current answer
/// about the certificate (good, or revoked: the client must learn it), signed for its issuer (<see cref="TryStaple"/>), and <see cref="StartAsync"/> fetches
/// one from the certificate's responder (authorityInfoAccess, http) and fetches again halfway to its nextUpdate,
/// retrying failed queries every minute; a staple whose nextUpdate passes is dropped rather than sent.
/// </summary>
public sealed class OcspStapler : IDisposable
{
    private const int MaxResponseBytes = 64 * 1024;
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan Retry = TimeSpan.FromMinutes(1);

    private readonly TlsCertificate _certificate;
    private readonly TimeProvider _time;
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    /// <summary>Creates a stapler for <paramref name="certificate"/>, whose chain must hold the issuer after the leaf.</summary>
    /// <param name="certificate">The certificate whose <see cref="TlsCertificate.OcspResponse"/> this stapler sets.</param>
    /// <param name="timeout">How long one query may take (default 10 s).</param>
    /// <param name="timeProvider">The clock (default: the system's).</param>
    public OcspStapler(TlsCertificate certificate, TimeSpan? timeout = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (certificate.Chain.Count < 2)
        {
            throw new ArgumentException("Stapling needs the issuer: the chain holds only the end-entity certificate.", nameof(certificate));
        }

        _certificate = certificate;
        _time = timeProvider ?? TimeProvider.System;
        _http = new HttpClient { Timeout = timeout ?? TimeSpan.FromSeconds(10), MaxResponseContentBufferSize = MaxResponseBytes };
    }

    /// <summary>Called with a one-line message on each staple, failed query or dropped response (for logs; no secrets).</summary>
    public Action<string>? Log { get; init; }

    /// <summary>The nextUpdate of the response stapled now, if any.</summary>
    public DateTimeOffset? NextUpdate { get; private set; }

    /// <summary>
    /// Checks <paramref name="response"/> and staples it when it is a current, signed answer (good or revoked) about the certificate;
    /// otherwise leaves the staple as it was and says why in <paramref name="reason"/>.
    /// </summary>
    public bool TryStaple(byte[] response, out string reason)
    {
        ArgumentNullException.ThrowIfNull(response);
        OcspSingleResponse? single;
        try
        {
            single = OcspResponse.Parse(response).StatusOf(Certificate.Parse(_certificate.Chain[0]), Certificate.Parse(_certificate.Chain[1]),
                _time.GetUtcNow(), ClockSkew, out reason);
        }
        catch (CertificateFormatException ex)
        {
            reason = ex.Message;
            return false;
        }

        if (single is null)
        {
            return false;
        }

        if (single.Status == OcspCertificateStatus.Unknown)
        {
            reason = "the responder does not know the certificate";
            return false;
        }

        _certificate.OcspResponse = response;
        NextUpdate = single.NextUpdate;
        reason = $"{single.Status.ToString().ToLowerInvariant()}, next update {single.NextUpdate?.ToString("u", System.Globalization.CultureInfo.InvariantCulture) ?? "none"}";
        return true;
    }

    /// <summary>The certificate's http:// OCSP responder, or null.</summary>
    public Uri? Responder =>
        Certificate.Parse(_certificate.Chain[0]).OcspResponders.FirstOrDefault(u => u.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) is { } url
        && Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri : null;

    /// <summary>Queries the responder once and staples a usable answer; false (with the reason logged) otherwise.</summary>
    public async Task<bool> RefreshAsync(CancellationToken cancellationToken = default)
    {
        var responder = Responder ?? throw new InvalidOperationException("The certificate names no http:// OCSP responder (authorityInfoAccess).");
        string reason;
        try
        {
            var request = OcspCertificateId.For(Certificate.Parse(_certificate.Chain[0]), Certificate.Parse(_certificate.Chain[1])).ToRequest();
            using var content = new ByteArrayContent(request);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/ocsp-request");
            using var reply = await _http.PostAsync(responder, content, cancellationToken).ConfigureAwait(false);
            reply.EnsureSuccessStatusCode();
            var body = await reply.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            if (TryStaple(body, out reason))
            {
                Log?.Invoke($"stapling the OCSP response from {responder} ({reason})");
                return true;
            }
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is HttpRequestException or TaskCanceledException or IOException)
        {
            reason = ex.Message;
        }

        Log?.Invoke($"OCSP query to {responder} failed: {reason}");
        DropIfExpired();
        return false;
    }

    /// <summary>
    /// Fetches a first response (false when none could be had; the loop goes on retrying), then keeps refreshing it
    /// in the background until disposed.
    /// </summary>
    public async Task<bool> StartAsync(CancellationToken cancellationToken = default)
    {
        if (_loop is not null)
        {
            throw new InvalidOperationException("The stapler is already running.");
        }

        bool first = await RefreshAsync(cancellationToken).ConfigureAwait(false);
        _loop = Task.Run(() => RefreshLoopAsync(_stop.Token), CancellationToken.None);
        return first;
    }

    private async Task RefreshLoopAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(NextRefreshDelay(), _time, stop).ConfigureAwait(false);
                await RefreshAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>Halfway from now to nextUpdate (at least a minute); a minute when nothing good is stapled.</summary>
    internal TimeSpan NextRefreshDelay()
    {
        if (_certificate.OcspResponse is null || NextUpdate is not { } next)
        {
            return Retry;
        }

        var half = (next - _time.GetUtcNow()) / 2;
        return half > Retry ? half : Retry;
    }

    private void DropIfExpired()
    {
        if (NextUpdate is { } next && next <= _time.GetUtcNow())
        {
            _certificate.OcspResponse = null;
            NextUpdate = null;
            Log?.Invoke("the stapled OCSP response has expired and is no longer sent");
        }
    }

    /// <summary>Stops refreshing (the current staple stays; it stops being sent at its nextUpdate).</summary>
    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _loop?.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }

        _stop.Dispose();
        _http.Dispose();
    }
}
