using System.Net;
using System.Net.Http;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tessera.Http;
using Tessera.Interop;
using Tessera.Messages;
using Tessera.Pki;

namespace Tessera.AspNetCore.Tests;

/// <summary>
/// HttpClient over Tessera (<see cref="TesseraHttpHandler"/>) against Kestrel over Tessera: HTTP/1.1 and HTTP/2 by ALPN,
/// the https scheme seen by the server, resumption across connections, the fall back to HTTP/1.1, client certificates,
/// certificate errors, redirects and cookies; and against openssl s_server, an independent server.
/// </summary>
[Collection("pem")]
public sealed class TesseraHttpHandlerTests(PemFixture pem)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private sealed class ClientHelloCounter : ITlsObserver
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void OnHandshakeMessage(TrafficDirection direction, HandshakeType type, ReadOnlySpan<byte> message)
        {
            if (direction == TrafficDirection.Received && type == HandshakeType.ClientHello)
            {
                Interlocked.Increment(ref _count);
            }
        }

        public void OnRecord(TrafficDirection direction, in TlsRecordInfo record)
        {
        }

        public void OnSecretDerived(string label)
        {
        }

        public void OnKeyChange(TrafficDirection direction, string description)
        {
        }

        public void OnAlert(TrafficDirection direction, AlertDescription alert)
        {
        }
    }

    /// <summary>How many connections Kestrel has open, counted around the whole connection (outside TLS).</summary>
    private sealed class OpenConnections
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Enter() => Interlocked.Increment(ref _count);

        public void Leave() => Interlocked.Decrement(ref _count);
    }

    private async Task<(WebApplication App, int Port, ClientHelloCounter Hellos)> StartAsync(
        HttpProtocols protocols = HttpProtocols.Http1AndHttp2, Action<TlsServerOptions>? configure = null, OpenConnections? open = null, bool tls = true)
    {
        var hellos = new ClientHelloCounter();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = protocols;
            if (open is not null)
            {
                listen.Use(next => async connection =>
                {
                    open.Enter();
                    try
                    {
                        await next(connection);
                    }
                    finally
                    {
                        open.Leave();
                    }
                });
            }

            if (!tls)
            {
                return;
            }

            listen.UseTessera(options =>
            {
                options.Certificates.Add(pem.Certificates[CertificateKeyType.EcdsaP256]);
                options.Observer = hellos;
                configure?.Invoke(options);
            });
        }));
        var app = builder.Build();
        app.MapGet("/", (HttpContext context) =>
        {
            var tls = context.Features.Get<ITesseraConnectionFeature>()?.Connection;
            return $"{context.Request.Protocol} {context.Request.Scheme} host={context.Request.Host} conn={context.Connection.Id} resumed={tls?.IsResumed} " +
                $"client={context.Connection.ClientCertificate?.Subject ?? "none"} cookie={context.Request.Cookies["session"] ?? "none"}";
        });
        app.MapPost("/echo", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            return $"{context.Request.Protocol} {context.Request.Method} {await reader.ReadToEndAsync()}";
        });
        app.MapGet("/moved", () => Results.Redirect("/?from=moved"));
        app.MapPost("/see-other", () => Results.Redirect("/", permanent: false, preserveMethod: false));
        app.MapGet("/to-http", (HttpContext context) => Results.Redirect($"http://127.0.0.1:{context.Connection.LocalPort}/"));
        app.MapGet("/to-other/{port}", (int port) => Results.Redirect($"https://127.0.0.1:{port}/"));
        app.MapGet("/login", (HttpContext context) =>
        {
            context.Response.Cookies.Append("session", "s3cr3t-id", new CookieOptions { Secure = true, HttpOnly = true });
            return "set";
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return (app, new Uri(address).Port, hellos);
    }

    private TesseraHttpHandler Handler(Action<TlsClientOptions>? configure = null)
    {
        var options = new TlsClientOptions { CertificateVerifier = pem.Verifier() };
        configure?.Invoke(options);
        return new TesseraHttpHandler(options);
    }

    private static HttpRequestMessage Get(string uri, Version version, HttpVersionPolicy policy) =>
        new(HttpMethod.Get, uri) { Version = version, VersionPolicy = policy };

    [Theory]
    [InlineData("1.1", HttpVersionPolicy.RequestVersionExact, "HTTP/1.1")]
    [InlineData("1.1", HttpVersionPolicy.RequestVersionOrLower, "HTTP/1.1")]
    [InlineData("1.1", HttpVersionPolicy.RequestVersionOrHigher, "HTTP/2")]
    [InlineData("2.0", HttpVersionPolicy.RequestVersionExact, "HTTP/2")]
    [InlineData("2.0", HttpVersionPolicy.RequestVersionOrLower, "HTTP/2")]
    [InlineData("3.0", HttpVersionPolicy.RequestVersionOrLower, "HTTP/2")]
    public async Task KestrelOverTessera_ServesHttpClientOverTessera_InTheVersionAlpnChose(string version, HttpVersionPolicy policy, string expected)
    {
        var (app, port, _) = await StartAsync();
        await using var _app = app;
        using var client = new HttpClient(Handler()) { Timeout = Bound };
        var uri = $"https://localhost:{port}/";
        using var request = Get(uri, Version.Parse(version), policy);
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        // The server saw https (HTTP/2's :scheme rewritten), the right Host, and the request object is as it was.
        Assert.StartsWith($"{expected} https host=localhost:{port} ", body, StringComparison.Ordinal);
        Assert.Equal(expected == "HTTP/2" ? 2 : 1, response.Version.Major);
        Assert.Equal(new Uri(uri), request.RequestUri);
        Assert.Equal(Version.Parse(version), request.Version);
        Assert.Equal(policy, request.VersionPolicy);
        Assert.Null(request.Headers.Host);
    }

    [Fact]
    public async Task PostBodies_GoThroughBothVersions()
    {
        var (app, port, _) = await StartAsync();
        await using var _app = app;
        using var client = new HttpClient(Handler()) { Timeout = Bound };
        var payload = new string('x', 100_000);
        foreach (var version in new[] { HttpVersion.Version11, HttpVersion.Version20 })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"https://localhost:{port}/echo")
            {
                Version = version,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                Content = new StringContent(payload),
            };
            using var response = await client.SendAsync(request);
            Assert.Equal($"HTTP/{(version.Major == 2 ? "2" : "1.1")} POST {payload}", await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task NewConnections_ResumeWithTheTicketsOfEarlierOnes()
    {
        var (app, port, hellos) = await StartAsync();
        await using var _app = app;
        using var handler = Handler();
        using var client = new HttpClient(handler) { Timeout = Bound };
        var uri = $"https://localhost:{port}/";
        var first = await client.GetStringAsync(uri);
        Assert.Contains("resumed=False", first, StringComparison.Ordinal);

        // Connection: close makes HttpClient open a new connection for the next request.
        for (var i = 0; i < 3; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            request.Headers.ConnectionClose = true;
            using var response = await client.SendAsync(request);
            Assert.Contains(i == 0 ? "resumed=False" : "resumed=True", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var resumed = await client.GetStringAsync(uri);
        Assert.Contains("resumed=True", resumed, StringComparison.Ordinal);
        Assert.Equal(4, hellos.Count);
    }

    [Fact]
    public async Task AServerWithoutHttp2_GetsHttp11_OverTheOneConnectionAlreadyMade()
    {
        var (app, port, hellos) = await StartAsync(HttpProtocols.Http1);
        await using var _app = app;
        using var client = new HttpClient(Handler()) { Timeout = Bound };
        var uri = $"https://localhost:{port}/";

        using (var request = Get(uri, HttpVersion.Version20, HttpVersionPolicy.RequestVersionOrLower))
        using (var response = await client.SendAsync(request))
        {
            Assert.Equal(1, response.Version.Major);
            Assert.StartsWith("HTTP/1.1 https", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(1, hellos.Count);

        // Remembered: the next negotiable request goes straight to HTTP/1.1 on the pooled connection.
        using (var request = Get(uri, HttpVersion.Version20, HttpVersionPolicy.RequestVersionOrLower))
        using (var response = await client.SendAsync(request))
        {
            Assert.Equal(1, response.Version.Major);
        }

        Assert.Equal(1, hellos.Count);

        // HTTP/2 exactly cannot be had: the server refuses the offer of h2 alone (RFC 7301 §3.2).
        using var exact = Get(uri, HttpVersion.Version20, HttpVersionPolicy.RequestVersionExact);
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.SendAsync(exact));
        Assert.Equal(AlertDescription.NoApplicationProtocol, TlsError(error).Alert);
    }

    [Fact]
    public async Task AServerCertificateFromAnUntrustedCa_FailsTheRequest_WithTheAlert()
    {
        var (app, port, _) = await StartAsync();
        await using var _app = app;

        // The default verifier trusts the system roots, not the test CA.
        using var client = new HttpClient(new TesseraHttpHandler()) { Timeout = Bound };
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetStringAsync($"https://localhost:{port}/"));
        Assert.Equal(AlertDescription.UnknownCa, TlsError(error).Alert);
    }

    [Fact]
    public async Task AServerCertificateForAnotherName_FailsTheRequest()
    {
        var other = pem.Ca.IssueServerCertificate(["other.test"], CertificateKeyType.EcdsaP256);
        var (app, port, _) = await StartAsync(configure: options =>
        {
            options.Certificates.Clear();
            options.Certificates.Add(other);
        });
        await using var _app = app;
        using var client = new HttpClient(Handler()) { Timeout = Bound };
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetStringAsync($"https://localhost:{port}/"));
        var tls = TlsError(error);
        Assert.Equal(AlertDescription.BadCertificate, tls.Alert);
        Assert.Contains("localhost", tls.Reason, StringComparison.Ordinal);
    }

    private static TlsException TlsError(Exception error)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            if (e is TlsException tls)
            {
                return tls;
            }
        }

        throw new Xunit.Sdk.XunitException($"no TlsException in {error}");
    }

    [Fact]
    public async Task ClientCertificates_ReachKestrel()
    {
        var (app, port, _) = await StartAsync(configure: options =>
        {
            options.RequireClientCertificate = true;
            options.CertificateVerifier = pem.Verifier();
        });
        await using var _app = app;
        using var with = new HttpClient(Handler(o => o.ClientCertificate = pem.ClientCertificate)) { Timeout = Bound };
        foreach (var version in new[] { HttpVersion.Version11, HttpVersion.Version20 })
        {
            using var request = Get($"https://localhost:{port}/", version, HttpVersionPolicy.RequestVersionExact);
            using var response = await with.SendAsync(request);
            Assert.Contains("client=CN=interop client", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using var without = new HttpClient(Handler()) { Timeout = Bound };
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => without.GetStringAsync($"https://localhost:{port}/"));
        var tls = TlsError(error);
        Assert.Equal(AlertDescription.CertificateRequired, tls.Alert);
        Assert.Equal(AlertSource.Remote, tls.AlertSource);
    }

    [Fact]
    public async Task Redirects_AreFollowedWithinHttps_AndNeverToHttp()
    {
        var (app, port, _) = await StartAsync();
        await using var _app = app;
        using var handler = Handler();
        using var client = new HttpClient(handler) { Timeout = Bound };
        using (var response = await client.GetAsync($"https://localhost:{port}/moved"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(new Uri($"https://localhost:{port}/?from=moved"), response.RequestMessage!.RequestUri);
        }

        using (var response = await client.PostAsync($"https://localhost:{port}/see-other", new StringContent("form")))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(HttpMethod.Get, response.RequestMessage!.Method);
        }

        using (var response = await client.GetAsync($"https://localhost:{port}/to-http"))
        {
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        }

        handler.AllowAutoRedirect = false;
        using (var response = await client.GetAsync($"https://localhost:{port}/moved"))
        {
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        }
    }

    [Fact]
    public async Task SecureCookies_AreKeptForTheHttpsOrigin()
    {
        var (app, port, _) = await StartAsync();
        await using var _app = app;
        using var handler = Handler();
        handler.CookieContainer = new CookieContainer();
        using var client = new HttpClient(handler) { Timeout = Bound };
        Assert.Equal("set", await client.GetStringAsync($"https://localhost:{port}/login"));
        Assert.Contains("cookie=s3cr3t-id", await client.GetStringAsync($"https://localhost:{port}/"), StringComparison.Ordinal);
        Assert.Equal("s3cr3t-id", handler.CookieContainer.GetCookies(new Uri($"https://localhost:{port}/"))["session"]?.Value);
    }

    [Fact]
    public async Task OpenSslServer_AnswersHttpClientOverTessera()
    {
        using var server = PeerProcess.Start("openssl",
            ["s_server", "-accept", "127.0.0.1:0", "-naccept", "1", "-cert", pem.CertFile(CertificateKeyType.EcdsaP256), "-key", pem.KeyFile(CertificateKeyType.EcdsaP256), "-www"]);
        var port = server.WaitForAcceptPort(Bound);
        using var client = new HttpClient(Handler()) { Timeout = Bound };
        var body = await client.GetStringAsync($"https://localhost:{port}/");
        Assert.Contains("Protocol  : TLSv1.3", body, StringComparison.Ordinal);
        Assert.Equal(0, server.WaitForExit(Bound));
    }

    [Fact]
    public async Task AServerIgnoringAlpn_CannotGiveHttp2Exactly_ButHttp2OrLowerFallsBack()
    {
        // openssl s_server without -alpn answers no protocol at all: HTTP/1.1 by convention.
        using var server = PeerProcess.Start("openssl",
            ["s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.EcdsaP256), "-key", pem.KeyFile(CertificateKeyType.EcdsaP256), "-www"]);
        var port = server.WaitForAcceptPort(Bound);
        using var client = new HttpClient(Handler()) { Timeout = Bound };
        using var exact = Get($"https://localhost:{port}/", HttpVersion.Version20, HttpVersionPolicy.RequestVersionExact);
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.SendAsync(exact));
        Assert.Equal(HttpRequestError.VersionNegotiationError, error.HttpRequestError);
        Assert.Contains("did not choose HTTP/2", error.Message, StringComparison.Ordinal);

        using var orLower = Get($"https://localhost:{port}/", HttpVersion.Version20, HttpVersionPolicy.RequestVersionOrLower);
        using var response = await client.SendAsync(orLower);
        Assert.Equal(1, response.Version.Major);
        Assert.Contains("Protocol  : TLSv1.3", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnHttpsRequest_NeverTakesTheCleartextConnectionOfAnHttpRequestToTheSameOrigin()
    {
        // One port speaking plain HTTP: http:// works, https:// to the same host and port must fail its handshake,
        // not ride the pooled cleartext connection.
        var (app, port, _) = await StartAsync(HttpProtocols.Http1, tls: false);
        await using var _app = app;
        using var client = new HttpClient(Handler()) { Timeout = Bound };
        Assert.StartsWith("HTTP/1.1 http ", await client.GetStringAsync($"http://127.0.0.1:{port}/"), StringComparison.Ordinal);

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetStringAsync($"https://127.0.0.1:{port}/"));
        Assert.NotNull(TlsError(error));
    }

    [Theory]
    [InlineData("https://[::1]:8443/", "[::1]:8443")]
    [InlineData("https://[::1]/", "[::1]")]
    [InlineData("https://[2001:db8::7]:444/x", "[2001:db8::7]:444")]
    [InlineData("https://127.0.0.1:5001/", "127.0.0.1:5001")]
    [InlineData("https://b\u00fccher.example:444/", "xn--bcher-kva.example:444")]
    [InlineData("https://example.com/", "example.com")]
    [InlineData("https://[fe80::1%25eth0]:8443/", "[fe80::1]:8443")]
    public void TheHostHeader_BracketsIpv6Literals_AndCarriesPunycodeAndNonDefaultPorts(string uri, string expected)
    {
        var host = TesseraHttpHandler.HostHeader(new Uri(System.Text.RegularExpressions.Regex.Unescape(uri)));
        Assert.Equal(expected, host);

        // and HttpClient accepts it as a Host header
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://x/");
        request.Headers.Host = host;
        Assert.Equal(expected, request.Headers.Host);
    }

    [Theory]
    [InlineData("https://[fe80::1%eth0]:8443/a?b=c", "http", "fe80::1%eth0", 8443, "/a?b=c")]
    [InlineData("https://[fe80::1%25eth0]:8443/a?b=c", "http", "fe80::1%25eth0", 8443, "/a?b=c")]   // as .NET's Uri keeps it
    [InlineData("https://localhost/x%20y?q=%2F", "http", "localhost", 443, "/x%20y?q=%2F")]
    [InlineData("https://[::1]:5001/", "http", "::1", 5001, "/")]
    public void TheInnerUri_KeepsHostZonePathAndQuery_WithTheHttpSchemeAndAnExplicitPort(string uri, string scheme, string host, int port, string pathAndQuery)
    {
        var inner = TesseraHttpHandler.InnerUri(new Uri(uri));
        Assert.Equal(scheme, inner.Scheme);
        Assert.Equal(host, inner.DnsSafeHost);
        Assert.Equal(port, inner.Port);
        Assert.Equal(pathAndQuery, inner.PathAndQuery);
    }

    [Fact]
    public async Task Cookies_GoOnlyToTheirOrigin_AcrossRedirects_AndAreNotLeftOnTheCallersRequest()
    {
        var (app, port, _) = await StartAsync();
        await using var _app = app;
        var (other, otherPort, _) = await StartAsync();
        await using var _other = other;
        using var handler = Handler();
        handler.CookieContainer = new CookieContainer();
        using var client = new HttpClient(handler) { Timeout = Bound };
        Assert.Equal("set", await client.GetStringAsync($"https://localhost:{port}/login"));

        using var request = new HttpRequestMessage(HttpMethod.Get, $"https://localhost:{port}/to-other/{otherPort}");
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains($"host=127.0.0.1:{otherPort} ", body, StringComparison.Ordinal);
        Assert.Contains("cookie=none", body, StringComparison.Ordinal);
        Assert.False(request.Headers.Contains("Cookie"));

        // The caller's own Cookie header is sent as it is and stays.
        using var own = new HttpRequestMessage(HttpMethod.Get, $"https://localhost:{port}/");
        own.Headers.Add("Cookie", "session=mine");
        using var ownResponse = await client.SendAsync(own);
        Assert.Contains("cookie=mine", await ownResponse.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("session=mine", Assert.Single(own.Headers.GetValues("Cookie")));
    }

    [Fact]
    public async Task ConcurrentFirstRequestsToAnHttp11Server_WasteNoHandshake()
    {
        var open = new OpenConnections();
        var (app, port, hellos) = await StartAsync(HttpProtocols.Http1, open: open);
        await using var _app = app;
        using var client = new HttpClient(Handler()) { Timeout = Bound };
        var bodies = await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            using var request = Get($"https://localhost:{port}/", HttpVersion.Version20, HttpVersionPolicy.RequestVersionOrLower);
            using var response = await client.SendAsync(request);
            return await response.Content.ReadAsStringAsync();
        }));
        Assert.All(bodies, b => Assert.StartsWith("HTTP/1.1 https", b, StringComparison.Ordinal));

        // No handshake was made only to be thrown away: the one HTTP/2 attempt's connection is parked and taken, the
        // attempts queued behind it learn http/1.1 without a handshake, so every connection made is still open (in use
        // or pooled). (Before, each queued attempt made a handshake in turn and the spare ones were closed unused.)
        await Task.Delay(300);
        Assert.InRange(hellos.Count, 1, 16);
        Assert.Equal(hellos.Count, open.Count);
    }

    [Fact]
    public async Task AConnectionMadeForTheHttp11Retry_ButNotTakenByIt_IsClosed()
    {
        var open = new OpenConnections();
        var (app, port, hellos) = await StartAsync(HttpProtocols.Http1, open: open);
        await using var _app = app;
        using var handler = Handler();
        handler.ParkedLifetime = TimeSpan.FromMilliseconds(200);
        using var client = new HttpClient(handler) { Timeout = Bound };
        var uri = $"https://localhost:{port}/";

        // An HTTP/1.1 connection is pooled; then an HTTP/2-or-lower request opens a second connection, the server
        // chooses http/1.1 on it, and the retry takes the pooled one: the second is left over.
        using (var request = Get(uri, HttpVersion.Version11, HttpVersionPolicy.RequestVersionExact))
        using (var response = await client.SendAsync(request))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using (var request = Get(uri, HttpVersion.Version20, HttpVersionPolicy.RequestVersionOrLower))
        using (var response = await client.SendAsync(request))
        {
            Assert.Equal(1, response.Version.Major);
        }

        Assert.Equal(2, hellos.Count);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (open.Count > 1 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Equal(1, open.Count);
    }
}
