using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Tessera.Sessions;

namespace Tessera.Http;

/// <summary>
/// An <see cref="HttpMessageHandler"/> that makes <see cref="HttpClient"/> speak TLS through Tessera for https URIs
/// (plain http passes through): certificates checked by <see cref="TlsOptions.CertificateVerifier"/> (Tessera.Pki's
/// <see cref="Pki.X509CertificateVerifier"/> with the system roots by default), HTTP/2 or HTTP/1.1 chosen by ALPN, and
/// sessions resumed across connections from <see cref="SessionCache"/>.
/// </summary>
/// <remarks>
/// <para>
/// Connections are pooled by an inner <see cref="SocketsHttpHandler"/> whose connect callback runs Tessera's handshake.
/// That handler only leaves TLS alone for http URIs, so each https request is handed to it as the same URI with the
/// http scheme and an explicit port, the Host header kept; HTTP/2 connections rewrite the one HPACK byte that names
/// the scheme so the server still sees <c>:scheme https</c>. The request object gets its URI, version and policy back
/// before <see cref="SendAsync"/> returns.
/// </para>
/// <para>
/// The request's <see cref="HttpRequestMessage.Version"/> and <see cref="HttpRequestMessage.VersionPolicy"/> decide the
/// ALPN offer as they do for <see cref="SocketsHttpHandler"/>: HTTP/1.1 with <see cref="HttpVersionPolicy.RequestVersionOrLower"/>
/// (the default) offers http/1.1; HTTP/2 exact offers h2 and fails without it; HTTP/2 or lower (or 1.1 or higher)
/// offers both and remembers per origin, for the handler's lifetime, what the server chose. HTTP/3 is not supported.
/// </para>
/// <para>
/// Redirects (301, 302, 303, 307, 308) are followed here, never from https to http; cookies are kept in
/// <see cref="CookieContainer"/> when one is set. Proxies are not supported.
/// </para>
/// </remarks>
public sealed class TesseraHttpHandler : DelegatingHandler
{
    private static readonly HttpRequestOptionsKey<string[]> OfferKey = new("Tessera.ApplicationProtocols");
    private static readonly string[] OfferHttp11 = ["http/1.1"];
    private static readonly string[] OfferHttp2 = ["h2"];
    private static readonly string[] OfferBoth = ["h2", "http/1.1"];
    private static readonly TimeSpan ParkedLifetime = TimeSpan.FromSeconds(30);

    private readonly SocketsHttpHandler _pool;
    private readonly ConcurrentDictionary<(string Host, int Port), bool> _originSpeaksHttp2 = new();
    private readonly ConcurrentDictionary<(string Host, int Port), (TlsStream Stream, long Timestamp)> _parked = new();
    private bool _disposed;

    /// <summary>Creates a handler with default TLS settings (TLS 1.2 and 1.3, the system's trusted roots).</summary>
    public TesseraHttpHandler()
        : this(new TlsClientOptions())
    {
    }

    /// <summary>Creates a handler whose connections use <paramref name="options"/> as their template.</summary>
    /// <param name="options">
    /// Versions, suites, groups, verifier, client certificate, key log, logger... <see cref="TlsClientOptions.ServerName"/>
    /// and <see cref="TlsOptions.ApplicationProtocols"/> are set per connection from the request; when
    /// <see cref="TlsClientOptions.SessionCache"/> is null a cache is made for this handler.
    /// </param>
    public TesseraHttpHandler(TlsClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ClientOptions = options;
        SessionCache = options.SessionCache ?? new TlsClientSessionCache();
        _pool = new SocketsHttpHandler
        {
            ConnectCallback = ConnectAsync,
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
        };
        InnerHandler = _pool;
    }

    /// <summary>The template of every connection's TLS settings.</summary>
    public TlsClientOptions ClientOptions { get; }

    /// <summary>Where tickets are kept between connections, by server name: a new connection to a server resumes.</summary>
    public TlsClientSessionCache SessionCache { get; }

    /// <summary>Whether redirect responses are followed (https never to http). Default true.</summary>
    public bool AllowAutoRedirect { get; set; } = true;

    /// <summary>How many redirects one request may follow. Default 50.</summary>
    public int MaxAutomaticRedirections { get; set; } = 50;

    /// <summary>When set, cookies are sent from and stored in this container, matched against the real (https) URI.</summary>
    public CookieContainer? CookieContainer { get; set; }

    /// <summary>How long the TCP connect and the TLS handshake may take together. Default infinite (the request's own timeout applies).</summary>
    public TimeSpan ConnectTimeout { get => _pool.ConnectTimeout; set => _pool.ConnectTimeout = value; }

    /// <summary>How long a pooled connection may be used before a new one is made (new handshakes pick up DNS and certificate changes). Default 10 minutes.</summary>
    public TimeSpan PooledConnectionLifetime { get => _pool.PooledConnectionLifetime; set => _pool.PooledConnectionLifetime = value; }

    /// <summary>How long an idle pooled connection is kept. Default one minute.</summary>
    public TimeSpan PooledConnectionIdleTimeout { get => _pool.PooledConnectionIdleTimeout; set => _pool.PooledConnectionIdleTimeout = value; }

    /// <summary>The most HTTP/1.1 connections to one server at a time. Default unlimited.</summary>
    public int MaxConnectionsPerServer { get => _pool.MaxConnectionsPerServer; set => _pool.MaxConnectionsPerServer = value; }

    /// <summary>Whether more HTTP/2 connections are opened when one reaches the server's stream limit. Default false.</summary>
    public bool EnableMultipleHttp2Connections { get => _pool.EnableMultipleHttp2Connections; set => _pool.EnableMultipleHttp2Connections = value; }

    /// <summary>Which response encodings are decompressed. Default none.</summary>
    public DecompressionMethods AutomaticDecompression { get => _pool.AutomaticDecompression; set => _pool.AutomaticDecompression = value; }

    /// <inheritdoc/>
    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken) =>
        SendAsync(request, cancellationToken).GetAwaiter().GetResult();

    /// <inheritdoc/>
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (request.RequestUri is not { IsAbsoluteUri: true })
        {
            throw new InvalidOperationException("The request needs an absolute URI (set HttpClient.BaseAddress or use an absolute one).");
        }

        var redirects = 0;
        while (true)
        {
            var response = await SendOneAsync(request, cancellationToken).ConfigureAwait(false);
            if (!AllowAutoRedirect || RedirectTarget(request, response) is not Uri target || ++redirects > MaxAutomaticRedirections)
            {
                return response;
            }

            response.Dispose();
            FollowRedirect(request, response.StatusCode, target);
        }
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            foreach (var key in _parked.Keys)
            {
                if (_parked.TryRemove(key, out var parked))
                {
                    parked.Stream.Dispose();
                }
            }
        }

        base.Dispose(disposing);
    }

    private async Task<HttpResponseMessage> SendOneAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri!;
        if (!uri.Scheme.Equals(Uri.UriSchemeHttps, StringComparison.OrdinalIgnoreCase))
        {
            if (!uri.Scheme.Equals(Uri.UriSchemeHttp, StringComparison.OrdinalIgnoreCase))
            {
                throw new NotSupportedException($"The '{uri.Scheme}' scheme is not supported.");
            }

            AddCookies(request, uri);
            var plain = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            StoreCookies(plain, uri);
            return plain;
        }

        var version = request.Version;
        var policy = request.VersionPolicy;
        var canHttp2 = version.Major >= 2 || policy == HttpVersionPolicy.RequestVersionOrHigher;
        var canHttp11 = version.Major < 2 || policy == HttpVersionPolicy.RequestVersionOrLower;
        if (version.Major >= 3 && policy != HttpVersionPolicy.RequestVersionOrLower)
        {
            throw new HttpRequestException(HttpRequestError.VersionNegotiationError, "Tessera's HTTP handler does not support HTTP/3; allow a lower version.");
        }

        var origin = (uri.IdnHost, uri.Port);
        var http11Version = version.Major < 2 ? version : HttpVersion.Version11;
        var useHttp2 = canHttp2 && (!canHttp11 || _originSpeaksHttp2.GetValueOrDefault(origin, true));

        // An HTTP/1.1 connection offers http/1.1 alone: a server choosing h2 for it could not be spoken to.
        var offer = !useHttp2 ? OfferHttp11 : canHttp11 ? OfferBoth : OfferHttp2;

        var addedHost = request.Headers.Host is null;
        if (addedHost)
        {
            request.Headers.Host = uri.IsDefaultPort ? uri.IdnHost : $"{uri.IdnHost}:{uri.Port}";
        }

        AddCookies(request, uri);
        request.RequestUri = new UriBuilder(uri) { Scheme = Uri.UriSchemeHttp, Port = uri.Port }.Uri;
        request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
        request.Options.Set(OfferKey, offer);
        try
        {
            HttpResponseMessage response;
            try
            {
                request.Version = useHttp2 ? HttpVersion.Version20 : http11Version;
                response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException ex) when (useHttp2 && canHttp11 && Find<Http11FallbackException>(ex) is not null)
            {
                // The server chose http/1.1: the connection it made is parked for this retry to take.
                _originSpeaksHttp2[origin] = false;
                request.Version = http11Version;
                request.Options.Set(OfferKey, OfferHttp11);
                response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }

            if (canHttp2 && canHttp11)
            {
                _originSpeaksHttp2[origin] = response.Version.Major >= 2;
            }

            StoreCookies(response, uri);
            return response;
        }
        catch (HttpRequestException ex) when (Find<AlpnMismatchException>(ex) is { } mismatch)
        {
            throw new HttpRequestException(HttpRequestError.VersionNegotiationError, mismatch.Message, ex);
        }
        finally
        {
            request.RequestUri = uri;
            request.Version = version;
            request.VersionPolicy = policy;
            ((IDictionary<string, object?>)request.Options).Remove(OfferKey.Key);
            if (addedHost)
            {
                request.Headers.Host = null;
            }
        }
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var endpoint = context.DnsEndPoint;
        var request = context.InitialRequestMessage;
        var wantsHttp2 = request.Version.Major >= 2;
        var origin = (endpoint.Host, endpoint.Port);
        if (!request.Options.TryGetValue(OfferKey, out var offer))
        {
            return await ConnectTcpAsync(endpoint, cancellationToken).ConfigureAwait(false);   // a plain http request
        }

        DisposeStaleParked();
        if (!wantsHttp2 && _parked.TryRemove(origin, out var parked))
        {
            return new TlsHttpTransportStream(parked.Stream, http2: false);
        }

        var options = ClientOptions.CopyForConnection();
        options.ServerName = endpoint.Host;
        options.ApplicationProtocols = offer;
        options.SessionCache = SessionCache;
        options.ResumeSession = null;

        var tls = new TlsStream(await ConnectTcpAsync(endpoint, cancellationToken).ConfigureAwait(false));
        try
        {
            await tls.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var negotiatedHttp2 = tls.NegotiatedApplicationProtocol == "h2";
        if (wantsHttp2 && !negotiatedHttp2)
        {
            if (offer.Contains("http/1.1"))
            {
                Park(origin, tls);
                throw new Http11FallbackException();
            }

            var chosen = tls.NegotiatedApplicationProtocol ?? "no protocol";
            await tls.DisposeAsync().ConfigureAwait(false);
            throw new AlpnMismatchException($"{endpoint.Host}:{endpoint.Port} did not choose HTTP/2 in ALPN ({chosen}), and the request allows no other version.");
        }

        if (!wantsHttp2 && negotiatedHttp2)
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw new AlpnMismatchException($"{endpoint.Host}:{endpoint.Port} chose h2, which was not offered.");
        }

        return new TlsHttpTransportStream(tls, negotiatedHttp2);
    }

    private static async ValueTask<Stream> ConnectTcpAsync(DnsEndPoint endpoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private void Park((string Host, int Port) origin, TlsStream tls)
    {
        var entry = (tls, Stopwatch.GetTimestamp());
        _parked.AddOrUpdate(origin, entry, (_, previous) =>
        {
            previous.Stream.Dispose();
            return entry;
        });
        if (_disposed && _parked.TryRemove(origin, out var late))
        {
            late.Stream.Dispose();
        }
    }

    private void DisposeStaleParked()
    {
        foreach (var (key, value) in _parked)
        {
            if (Stopwatch.GetElapsedTime(value.Timestamp) > ParkedLifetime && _parked.TryRemove(new KeyValuePair<(string, int), (TlsStream, long)>(key, value)))
            {
                value.Stream.Dispose();
            }
        }
    }

    private static T? Find<T>(Exception? ex)
        where T : Exception
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is T found)
            {
                return found;
            }
        }

        return null;
    }

    private void AddCookies(HttpRequestMessage request, Uri uri)
    {
        if (CookieContainer is { } cookies && !request.Headers.Contains("Cookie"))
        {
            var header = cookies.GetCookieHeader(uri);
            if (header.Length > 0)
            {
                request.Headers.TryAddWithoutValidation("Cookie", header);
            }
        }
    }

    private void StoreCookies(HttpResponseMessage response, Uri uri)
    {
        if (CookieContainer is { } cookies && response.Headers.TryGetValues("Set-Cookie", out var values))
        {
            foreach (var value in values)
            {
                try
                {
                    cookies.SetCookies(uri, value);
                }
                catch (CookieException)
                {
                    // A malformed cookie is dropped, as SocketsHttpHandler does.
                }
            }
        }
    }

    private static Uri? RedirectTarget(HttpRequestMessage request, HttpResponseMessage response)
    {
        if (response.StatusCode is not (HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther
                or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect) ||
            response.Headers.Location is not Uri location)
        {
            return null;
        }

        var current = request.RequestUri!;
        var target = location.IsAbsoluteUri ? location : new Uri(current, location);
        var secure = current.Scheme.Equals(Uri.UriSchemeHttps, StringComparison.OrdinalIgnoreCase);
        if (!target.Scheme.Equals(Uri.UriSchemeHttps, StringComparison.OrdinalIgnoreCase) &&
            (secure || !target.Scheme.Equals(Uri.UriSchemeHttp, StringComparison.OrdinalIgnoreCase)))
        {
            return null;   // never from https to http, never to another scheme
        }

        // RFC 9110 §10.2.2: a Location without a fragment keeps the request's.
        if (target.Fragment.Length == 0 && current.Fragment.Length > 0)
        {
            target = new UriBuilder(target) { Fragment = current.Fragment[1..] }.Uri;
        }

        return target;
    }

    private static void FollowRedirect(HttpRequestMessage request, HttpStatusCode status, Uri target)
    {
        // RFC 9110 §15.4: 303 makes any method but HEAD a GET; 301 and 302 turn POST into GET, as browsers do.
        if ((status == HttpStatusCode.SeeOther && request.Method != HttpMethod.Head) ||
            (status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found && request.Method == HttpMethod.Post))
        {
            request.Method = HttpMethod.Get;
            request.Content = null;
            if (request.Headers.TransferEncodingChunked == true)
            {
                request.Headers.TransferEncodingChunked = false;
            }
        }

        var current = request.RequestUri!;
        if (!string.Equals(current.IdnHost, target.IdnHost, StringComparison.OrdinalIgnoreCase) || current.Port != target.Port ||
            !string.Equals(current.Scheme, target.Scheme, StringComparison.OrdinalIgnoreCase))
        {
            request.Headers.Authorization = null;   // credentials are not carried to another origin
        }

        request.RequestUri = target;
    }

    /// <summary>The server chose http/1.1 for a connection opened for HTTP/2; the request is retried as HTTP/1.1.</summary>
    private sealed class Http11FallbackException() : IOException("The server chose http/1.1 in ALPN; retrying over HTTP/1.1.");

    /// <summary>The server's ALPN choice cannot carry the request's HTTP version.</summary>
    private sealed class AlpnMismatchException(string message) : IOException(message);
}
