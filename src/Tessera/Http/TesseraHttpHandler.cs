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
/// Connections are pooled by inner <see cref="SocketsHttpHandler"/>s, one per ALPN offer (http/1.1; h2; both), whose
/// connect callbacks run Tessera's handshake with that offer and nothing else; plain http goes to a fourth one that
/// never speaks TLS, so a cleartext connection can never carry an https request. Those handlers only leave TLS alone
/// for http URIs, so each https request is handed to one as the same URI with the http scheme and an explicit port,
/// the Host header kept; HTTP/2 connections rewrite the one HPACK byte that names the scheme so the server still sees
/// <c>:scheme https</c>. The request object gets its URI, version, policy and headers back before
/// <see cref="SendAsync"/> returns.
/// </para>
/// <para>
/// The request's <see cref="HttpRequestMessage.Version"/> and <see cref="HttpRequestMessage.VersionPolicy"/> decide the
/// ALPN offer as they do for <see cref="SocketsHttpHandler"/>: HTTP/1.1 with <see cref="HttpVersionPolicy.RequestVersionOrLower"/>
/// (the default) offers http/1.1; HTTP/2 exact offers h2 and fails without it; HTTP/2 or lower (or 1.1 or higher)
/// offers both and remembers per origin, for the handler's lifetime, what the server chose. HTTP/3 is not supported.
/// </para>
/// <para>
/// Redirects (301, 302, 303, 307, 308) are followed here, never from https to http; cookies are kept in
/// <see cref="CookieContainer"/> when one is set. Proxies are not supported. HttpClient's own metrics and traces
/// (System.Net.Http) see the inner, rewritten request and so report <c>url.scheme</c> http; Tessera's own
/// (<see cref="Diagnostics.TlsTelemetry"/>) describe the TLS connections.
/// </para>
/// </remarks>
public sealed class TesseraHttpHandler : HttpMessageHandler
{
    private static readonly string[] OfferHttp11 = ["http/1.1"];
    private static readonly string[] OfferHttp2 = ["h2"];
    private static readonly string[] OfferBoth = ["h2", "http/1.1"];

    private readonly SocketsHttpHandler _plain;
    private readonly SocketsHttpHandler _http11;
    private readonly SocketsHttpHandler _http2;
    private readonly SocketsHttpHandler _negotiable;
    private readonly HttpMessageInvoker _plainInvoker;
    private readonly HttpMessageInvoker _http11Invoker;
    private readonly HttpMessageInvoker _http2Invoker;
    private readonly HttpMessageInvoker _negotiableInvoker;
    private readonly ConcurrentDictionary<(string Host, int Port), bool> _originSpeaksHttp2 = new();
    private readonly ConcurrentDictionary<(string Host, int Port), ParkedConnection> _parked = new();
    private volatile bool _disposed;

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
        _plain = Pool(connect: null);
        _http11 = Pool((context, token) => ConnectAsync(OfferHttp11, context, token));
        _http2 = Pool((context, token) => ConnectAsync(OfferHttp2, context, token));
        _negotiable = Pool((context, token) => ConnectAsync(OfferBoth, context, token));
        _plainInvoker = new HttpMessageInvoker(_plain, disposeHandler: false);
        _http11Invoker = new HttpMessageInvoker(_http11, disposeHandler: false);
        _http2Invoker = new HttpMessageInvoker(_http2, disposeHandler: false);
        _negotiableInvoker = new HttpMessageInvoker(_negotiable, disposeHandler: false);
    }

    /// <summary>How long a connection the server made http/1.1 waits for the HTTP/1.1 retry before it is closed.</summary>
    internal TimeSpan ParkedLifetime { get; set; } = TimeSpan.FromSeconds(30);

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
    public TimeSpan ConnectTimeout { get => _plain.ConnectTimeout; set => Each(pool => pool.ConnectTimeout = value); }

    /// <summary>How long a pooled connection may be used before a new one is made (new handshakes pick up DNS and certificate changes). Default 10 minutes.</summary>
    public TimeSpan PooledConnectionLifetime { get => _plain.PooledConnectionLifetime; set => Each(pool => pool.PooledConnectionLifetime = value); }

    /// <summary>How long an idle pooled connection is kept. Default one minute.</summary>
    public TimeSpan PooledConnectionIdleTimeout { get => _plain.PooledConnectionIdleTimeout; set => Each(pool => pool.PooledConnectionIdleTimeout = value); }

    /// <summary>The most HTTP/1.1 connections to one server at a time. Default unlimited.</summary>
    public int MaxConnectionsPerServer { get => _plain.MaxConnectionsPerServer; set => Each(pool => pool.MaxConnectionsPerServer = value); }

    /// <summary>Whether more HTTP/2 connections are opened when one reaches the server's stream limit. Default false.</summary>
    public bool EnableMultipleHttp2Connections { get => _plain.EnableMultipleHttp2Connections; set => Each(pool => pool.EnableMultipleHttp2Connections = value); }

    /// <summary>Which response encodings are decompressed. Default none.</summary>
    public DecompressionMethods AutomaticDecompression { get => _plain.AutomaticDecompression; set => Each(pool => pool.AutomaticDecompression = value); }

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
            Each(pool => pool.Dispose());
            foreach (var key in _parked.Keys)
            {
                if (_parked.TryRemove(key, out var parked))
                {
                    parked.Dispose();
                }
            }
        }

        base.Dispose(disposing);
    }

    private SocketsHttpHandler Pool(Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>>? connect) => new()
    {
        ConnectCallback = connect,
        UseProxy = false,
        UseCookies = false,
        AllowAutoRedirect = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(10),
    };

    private void Each(Action<SocketsHttpHandler> apply)
    {
        apply(_plain);
        apply(_http11);
        apply(_http2);
        apply(_negotiable);
    }

    private async Task<HttpResponseMessage> SendOneAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri!;
        var addedCookie = AddCookies(request, uri);
        try
        {
            if (!uri.Scheme.Equals(Uri.UriSchemeHttps, StringComparison.OrdinalIgnoreCase))
            {
                if (!uri.Scheme.Equals(Uri.UriSchemeHttp, StringComparison.OrdinalIgnoreCase))
                {
                    throw new NotSupportedException($"The '{uri.Scheme}' scheme is not supported.");
                }

                var plain = await _plainInvoker.SendAsync(request, cancellationToken).ConfigureAwait(false);
                StoreCookies(plain, uri);
                return plain;
            }

            return await SendHttpsAsync(request, uri, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (addedCookie)
            {
                request.Headers.Remove("Cookie");
            }
        }
    }

    private async Task<HttpResponseMessage> SendHttpsAsync(HttpRequestMessage request, Uri uri, CancellationToken cancellationToken)
    {
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

        // An HTTP/1.1 connection offers http/1.1 alone: a server choosing h2 for it could not be spoken to.
        var pool = !canHttp2 ? _http11Invoker
            : !canHttp11 ? _http2Invoker
            : _originSpeaksHttp2.GetValueOrDefault(origin, true) ? _negotiableInvoker
            : _http11Invoker;
        var addedHost = request.Headers.Host is null;
        if (addedHost)
        {
            request.Headers.Host = HostHeader(uri);
        }

        request.RequestUri = InnerUri(uri);
        request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
        try
        {
            HttpResponseMessage response;
            try
            {
                request.Version = pool == _http11Invoker ? http11Version : HttpVersion.Version20;
                response = await pool.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException ex) when (pool == _negotiableInvoker && Find<Http11FallbackException>(ex) is not null)
            {
                // The server chose http/1.1: the connection it made is parked for this retry to take.
                _originSpeaksHttp2[origin] = false;
                request.Version = http11Version;
                response = await _http11Invoker.SendAsync(request, cancellationToken).ConfigureAwait(false);
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
            if (addedHost)
            {
                request.Headers.Host = null;
            }
        }
    }

    /// <summary>The Host header for <paramref name="uri"/> (RFC 9110 §7.2): an IPv6 literal in brackets, the port when not 443.</summary>
    /// <remarks>An IPv6 zone (<c>fe80::1%eth0</c>) means something only on this host and is left out (RFC 6874 §4).</remarks>
    internal static string HostHeader(Uri uri)
    {
        var host = uri.HostNameType == UriHostNameType.IPv6 ? $"[{uri.DnsSafeHost.Split('%')[0]}]" : uri.IdnHost;
        return uri.IsDefaultPort ? host : $"{host}:{uri.Port}";
    }

    /// <summary>What the inner handler is given for an https URI: the same with the http scheme and an explicit port (an IPv6 zone kept).</summary>
    internal static Uri InnerUri(Uri uri)
    {
        if (uri.HostNameType == UriHostNameType.IPv6 && uri.DnsSafeHost.Contains('%', StringComparison.Ordinal))
        {
            // UriBuilder drops the zone, without which a link-local address goes nowhere: the host is kept as Uri has it.
            return new Uri($"http://[{uri.DnsSafeHost}]:{uri.Port}{uri.PathAndQuery}");
        }

        return new UriBuilder(uri) { Scheme = Uri.UriSchemeHttp, Port = uri.Port }.Uri;
    }

    /// <summary>
    /// The connect callback of the pool that offers <paramref name="offer"/>: what it does depends on that offer alone,
    /// never on the request that happened to open the connection (which may be cancelled and changed back meanwhile).
    /// </summary>
    private async ValueTask<Stream> ConnectAsync(string[] offer, SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var endpoint = context.DnsEndPoint;
        var origin = (endpoint.Host, endpoint.Port);
        if (offer == OfferHttp11 && _parked.TryRemove(origin, out var parked))
        {
            return new TlsHttpTransportStream(parked.Take(), http2: false);
        }

        if (offer == OfferBoth && _originSpeaksHttp2.TryGetValue(origin, out var speaksHttp2) && !speaksHttp2)
        {
            // Learnt meanwhile (requests queued for the first HTTP/2 connection): straight to HTTP/1.1, no handshake.
            throw new Http11FallbackException();
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
        if (offer == OfferBoth && !negotiatedHttp2)
        {
            _originSpeaksHttp2[origin] = false;   // before the next queued attempt can start
            Park(origin, tls);
            throw new Http11FallbackException();
        }

        if (offer == OfferHttp2 && !negotiatedHttp2)
        {
            var chosen = tls.NegotiatedApplicationProtocol ?? "no protocol";
            await tls.DisposeAsync().ConfigureAwait(false);
            throw new AlpnMismatchException($"{endpoint.Host}:{endpoint.Port} did not choose HTTP/2 in ALPN ({chosen}), and the request allows no other version.");
        }

        if (offer == OfferHttp11 && negotiatedHttp2)
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

    /// <summary>Keeps a connection the server made http/1.1 for the retry to take; it is closed if not taken in time.</summary>
    private void Park((string Host, int Port) origin, TlsStream tls)
    {
        var entry = new ParkedConnection(tls);
        if (_parked.TryRemove(origin, out var previous))
        {
            previous.Dispose();
        }

        if (!_parked.TryAdd(origin, entry))
        {
            entry.Dispose();   // another connection for the same origin was parked meanwhile: that one is taken
            return;
        }

        entry.ExpireAfter(ParkedLifetime, () =>
        {
            if (_parked.TryRemove(new KeyValuePair<(string, int), ParkedConnection>(origin, entry)))
            {
                entry.Dispose();
            }
        });
        if (_disposed && _parked.TryRemove(origin, out var late))
        {
            late.Dispose();
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

    /// <summary>Adds the container's cookies for <paramref name="uri"/> unless the request carries its own; true when added (and to be removed after this hop).</summary>
    private bool AddCookies(HttpRequestMessage request, Uri uri)
    {
        if (CookieContainer is { } cookies && !request.Headers.Contains("Cookie"))
        {
            var header = cookies.GetCookieHeader(uri);
            if (header.Length > 0)
            {
                return request.Headers.TryAddWithoutValidation("Cookie", header);
            }
        }

        return false;
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

    /// <summary>A TLS connection waiting for the HTTP/1.1 retry, with the timer that closes it if no retry comes.</summary>
    private sealed class ParkedConnection(TlsStream stream) : IDisposable
    {
        private Timer? _expiry;

        public void ExpireAfter(TimeSpan lifetime, Action expire) =>
            _expiry = new Timer(_ => expire(), null, lifetime, Timeout.InfiniteTimeSpan);

        public TlsStream Take()
        {
            _expiry?.Dispose();
            return stream;
        }

        public void Dispose()
        {
            _expiry?.Dispose();
            stream.Dispose();
        }
    }

    /// <summary>The server chose http/1.1 for a connection opened for HTTP/2; the request is retried as HTTP/1.1.</summary>
    private sealed class Http11FallbackException() : IOException("The server chose http/1.1 in ALPN; retrying over HTTP/1.1.");

    /// <summary>The server's ALPN choice cannot carry the request's HTTP version.</summary>
    private sealed class AlpnMismatchException(string message) : IOException(message);
}
