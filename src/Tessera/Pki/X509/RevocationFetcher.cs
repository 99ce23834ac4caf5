using System.Collections.Concurrent;
using System.Text;

namespace Tessera.Pki.X509;

/// <summary>
/// Fetches revocation information over the network, only when a verifier is given one (no fetch happens
/// otherwise): OCSP from the certificate's authorityInfoAccess responder (POST, RFC 6960 Appendix A), else the
/// CRL from its first http:// distribution point. Every request has a timeout and a size limit; answers are
/// cached until their nextUpdate (an hour at most when they have none). A failure yields nothing, and the
/// revocation mode (soft or hard fail) decides what that means.
/// </summary>
public sealed class RevocationFetcher : IDisposable
{
    private const int MaxCacheEntries = 256;
    private const int MaxOcspBytes = 64 * 1024;
    private const int MaxCrlBytes = 10 * 1024 * 1024;

    private readonly HttpClient _http;
    private readonly ConcurrentDictionary<string, (object Value, DateTimeOffset Expires)> _cache = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    /// <summary>Creates a fetcher whose requests give up after <paramref name="timeout"/> (default 5 s).</summary>
    public RevocationFetcher(TimeSpan? timeout = null, TimeProvider? timeProvider = null)
    {
        _http = new HttpClient { Timeout = timeout ?? TimeSpan.FromSeconds(5), MaxResponseContentBufferSize = MaxCrlBytes };
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Network requests made so far (cache hits not counted).</summary>
    public int Requests => _requests;

    private int _requests;

    /// <summary>The OCSP answer about <paramref name="certificate"/>, or null when it has no http responder or the query fails.</summary>
    public async Task<OcspResponse?> FetchOcspAsync(Certificate certificate, Certificate issuer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(issuer);
        var url = certificate.OcspResponders.FirstOrDefault(u => u.StartsWith("http://", StringComparison.OrdinalIgnoreCase));
        if (url is null)
        {
            return null;
        }

        var id = OcspCertificateId.For(certificate, issuer);
        string key = "ocsp " + url + " " + Convert.ToHexString(id.SerialNumber) + Convert.ToHexString(id.IssuerKeyHash);
        if (Cached<OcspResponse>(key) is { } hit)
        {
            return hit;
        }

        try
        {
            Interlocked.Increment(ref _requests);
            using var content = new ByteArrayContent(id.ToRequest());
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/ocsp-request");
            using var reply = await _http.PostAsync(new Uri(url), content, cancellationToken).ConfigureAwait(false);
            var body = await ReadBoundedAsync(reply, MaxOcspBytes, cancellationToken).ConfigureAwait(false);
            var response = OcspResponse.Parse(body);
            var single = response.Responses.FirstOrDefault(r => r.CertificateId.Matches(certificate, issuer));
            if (single is not null)
            {
                Remember(key, response, single.NextUpdate);   // "tryLater" and the like are asked again next time
            }

            return response;
        }
        catch (Exception ex) when (IsFailure(ex, cancellationToken))
        {
            return null;
        }
    }

    /// <summary>The CRL from <paramref name="certificate"/>'s first http:// distribution point, or null.</summary>
    public async Task<CertificateRevocationList?> FetchCrlAsync(Certificate certificate, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var url = certificate.CrlDistributionPoints.FirstOrDefault(u => u.StartsWith("http://", StringComparison.OrdinalIgnoreCase));
        if (url is null)
        {
            return null;
        }

        string key = "crl " + url;
        if (Cached<CertificateRevocationList>(key) is { } hit)
        {
            return hit;
        }

        try
        {
            Interlocked.Increment(ref _requests);
            using var reply = await _http.GetAsync(new Uri(url), HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            var body = await ReadBoundedAsync(reply, MaxCrlBytes, cancellationToken).ConfigureAwait(false);
            var crl = CertificateRevocationList.Parse(Pem(body));
            Remember(key, crl, crl.NextUpdate);
            return crl;
        }
        catch (Exception ex) when (IsFailure(ex, cancellationToken))
        {
            return null;
        }
    }

    /// <summary>What counts as "no answer"; the caller's own cancellation is not one of them and propagates.</summary>
    private static bool IsFailure(Exception ex, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested
        && ex is HttpRequestException or TaskCanceledException or CertificateFormatException or IOException or UriFormatException or FormatException;

    private T? Cached<T>(string key) where T : class =>
        _cache.TryGetValue(key, out var entry) && entry.Expires > _time.GetUtcNow() ? entry.Value as T : null;

    private void Remember(string key, object value, DateTimeOffset? nextUpdate)
    {
        if (_cache.Count >= MaxCacheEntries)
        {
            foreach (var stale in _cache.Where(e => e.Value.Expires <= _time.GetUtcNow()).Select(e => e.Key).ToList())
            {
                _cache.TryRemove(stale, out _);
            }

            if (_cache.Count >= MaxCacheEntries)
            {
                _cache.Clear();
            }
        }

        var hour = _time.GetUtcNow().AddHours(1);
        _cache[key] = (value, nextUpdate is { } next && next < hour ? next : hour);
    }

    private static async Task<byte[]> ReadBoundedAsync(HttpResponseMessage reply, int limit, CancellationToken cancellationToken)
    {
        reply.EnsureSuccessStatusCode();
        if (reply.Content.Headers.ContentLength > limit)
        {
            throw new IOException("revocation data larger than allowed");
        }

        var body = await reply.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        return body.Length <= limit ? body : throw new IOException("revocation data larger than allowed");
    }

    /// <summary>CRLs are served as DER or (sometimes) PEM.</summary>
    private static byte[] Pem(byte[] body)
    {
        var text = Encoding.ASCII.GetString(body);
        int begin = text.IndexOf("-----BEGIN X509 CRL-----", StringComparison.Ordinal);
        int end = text.IndexOf("-----END X509 CRL-----", StringComparison.Ordinal);
        return begin < 0 || end < begin
            ? body
            : Convert.FromBase64String(string.Concat(text[(begin + 24)..end].Where(c => !char.IsWhiteSpace(c))));
    }

    /// <summary>Disposes the HTTP client.</summary>
    public void Dispose() => _http.Dispose();
}
