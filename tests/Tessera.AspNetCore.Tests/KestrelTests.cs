using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tessera.AspNetCore;
using Tessera.Interop;
using Tessera.Pki;

namespace Tessera.AspNetCore.Tests;

/// <summary>
/// Kestrel with <c>ListenOptions.UseTessera</c>: .NET's HttpClient (SslStream, OpenSSL underneath) over HTTP/1.1 and
/// HTTP/2 (chosen by ALPN), client certificates surfaced as <c>HttpContext.Connection.ClientCertificate</c>, the TLS
/// handshake feature filled in. Chromium, curl and wget load the sample app's page in <see cref="SampleAppTests"/>.
/// </summary>
[Collection("pem")]
public sealed class KestrelTests(PemFixture pem)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private async Task<(WebApplication App, int Port)> StartAsync(Action<TlsServerOptions>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = HttpProtocols.Http1AndHttp2;
            listen.UseTessera(options =>
            {
                options.Certificates.Add(pem.Certificates[CertificateKeyType.EcdsaP256]);
                configure?.Invoke(options);
            });
        }));
        var app = builder.Build();
        app.MapGet("/", (HttpContext context) =>
        {
            var tls = context.Features.Get<ITlsHandshakeFeature>();
            var group = context.Features.Get<ITesseraConnectionFeature>()?.Connection.NegotiatedGroup;
            return $"{context.Request.Protocol} {tls?.Protocol} {tls?.NegotiatedCipherSuite} sni={tls?.HostName} client={context.Connection.ClientCertificate?.Subject ?? "none"} group={group}";
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return (app, new Uri(address).Port);
    }

    private HttpClient Client(X509Certificate2? clientCertificate = null)
    {
        var root = X509CertificateLoader.LoadCertificate(pem.Ca.RootCertificateDer);
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                {
                    if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
                    {
                        return false;
                    }

                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(root);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return chain.Build(X509CertificateLoader.LoadCertificate(certificate.Export(X509ContentType.Cert)));
                },
                ClientCertificateContext = clientCertificate is null ? null : SslStreamCertificateContext.Create(clientCertificate, additionalCertificates: null, offline: true),
            },
        };
        return new HttpClient(handler) { Timeout = Bound };
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task HttpClientGetsThePageOverHttp1AndHttp2(int major)
    {
        var (app, port) = await StartAsync();
        await using var _ = app;
        using var client = Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"https://localhost:{port}/")
        {
            Version = new Version(major, major == 1 ? 1 : 0),
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(major, response.Version.Major);
        Assert.StartsWith($"HTTP/{(major == 1 ? "1.1" : "2")} Tls13 TLS_AES_128_GCM_SHA256 sni=localhost client=none group=", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientCertificatesReachTheApplication()
    {
        var (app, port) = await StartAsync(options =>
        {
            options.RequireClientCertificate = true;
            options.CertificateVerifier = pem.Verifier();
        });
        await using var _ = app;
        using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(pem.ClientCertFile), File.ReadAllText(pem.ClientKeyFile));
        using var withCertificate = Client(X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null));
        var body = await withCertificate.GetStringAsync($"https://localhost:{port}/");
        Assert.Contains("client=CN=interop client", body, StringComparison.Ordinal);

        using var without = Client();
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => without.GetStringAsync($"https://localhost:{port}/"));
    }

    [Fact]
    public async Task TheCertificateIsChosenBySni()
    {
        var other = pem.Ca.IssueServerCertificate(["other.test"], CertificateKeyType.EcdsaP384);
        var (app, port) = await StartAsync(options => options.Certificates.Add(other));
        await using var _ = app;
        foreach (var name in new[] { "localhost", "other.test" })
        {
            // curl checks the name against the certificate it gets, so a wrong choice fails the fetch.
            using var curl = PeerProcess.Start("curl",
                ["--silent", "--show-error", "--http2", "--cacert", pem.CaFile, "--resolve", $"{name}:{port}:127.0.0.1", $"https://{name}:{port}/"]);
            Assert.True(curl.WaitForExit(Bound) == 0, curl.Stderr);
            Assert.Contains($"sni={name} ", curl.Stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task TheHostsTesseraLogger_GetsHandshakeEvents()
    {
        var provider = new ListLoggerProvider();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Logging.AddProvider(provider);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
            listen.UseTessera(options => options.Certificates.Add(pem.Certificates[CertificateKeyType.EcdsaP256]))));
        await using var app = builder.Build();
        app.MapGet("/", () => "ok");
        await app.StartAsync();
        var port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()).Port;
        using (var client = Client())
        {
            Assert.Equal("ok", await client.GetStringAsync($"https://localhost:{port}/"));
        }

        // Plain HTTP at the TLS port: the handshake fails on the server with an alert, logged with its reason.
        using (var tcp = new System.Net.Sockets.TcpClient())
        {
            await tcp.ConnectAsync(IPAddress.Loopback, port);
            var stream = tcp.GetStream();
            await stream.WriteAsync("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"u8.ToArray());
            var buffer = new byte[64];
            using var timeout = new CancellationTokenSource(Bound);
            while (await stream.ReadAsync(buffer, timeout.Token) > 0)
            {
            }
        }

        await app.StopAsync();
        var events = provider.Entries.Where(e => e.Category == "Tessera").ToList();
        Assert.Contains(events, e => e.EventId == 2 && e.Message.Contains("TLSv1.3", StringComparison.Ordinal));
        var failed = Assert.Single(events, e => e.EventId == 3);
        Assert.StartsWith("TLS server handshake failed: ", failed.Message, StringComparison.Ordinal);
        Assert.Contains("(local)", failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheEndpointsProtocols_DecideTheAlpnOffer_EvenWhenSetAfterUseTessera()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.UseTessera(options => options.Certificates.Add(pem.Certificates[CertificateKeyType.EcdsaP256]));
            listen.Protocols = HttpProtocols.Http1;
        }));
        await using var app = builder.Build();
        app.MapGet("/", (HttpContext context) => context.Request.Protocol);
        await app.StartAsync();
        var port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()).Port;

        // HttpClient offers h2 and http/1.1; an endpoint for HTTP/1.1 only must not choose h2.
        using var client = Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"https://localhost:{port}/")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        using var response = await client.SendAsync(request);
        Assert.Equal("HTTP/1.1", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task OneOptionsObject_ServesTwoEndpoints_WithTheirOwnAlpn_AndIsLeftUnchanged()
    {
        var shared = new TlsServerOptions();
        shared.Certificates.Add(pem.Certificates[CertificateKeyType.EcdsaP256]);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                listen.UseTessera(shared);
            });
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                listen.UseTessera(shared);
            });
        });
        await using var app = builder.Build();
        app.MapGet("/", (HttpContext context) => context.Request.Protocol);
        await app.StartAsync();
        var ports = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a).Port).ToList();
        Assert.Equal(2, ports.Count);

        using var client = Client();
        var seen = new List<string>();
        foreach (var port in ports)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"https://localhost:{port}/")
            {
                Version = HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            };
            using var response = await client.SendAsync(request);
            seen.Add(await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(["HTTP/1.1", "HTTP/2"], seen.Order());
        Assert.Empty(shared.ApplicationProtocols);
        Assert.Null(shared.Logger);
    }

    [Fact]
    public async Task Kestrel_EndsEachConnection_WithCloseNotify()
    {
        var (app, port) = await StartAsync();
        await using var _ = app;

        // Reading to the end succeeds only when the server said close_notify before closing (else: IOException, truncation).
        var (body, error) = await ReadToEndAsync(port, "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        Assert.Null(error);
        Assert.Contains("HTTP/1.1 200 OK", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnHttp10ResponseTheApplicationBrokeOff_EndsWithoutCloseNotify()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
            listen.UseTessera(options => options.Certificates.Add(pem.Certificates[CertificateKeyType.EcdsaP256]))));
        await using var app = builder.Build();
        app.MapGet("/broken", async (HttpContext context) =>
        {
            await context.Response.WriteAsync("part-of-the-body");
            await context.Response.Body.FlushAsync();
            throw new InvalidOperationException("the application failed halfway");
        });
        await app.StartAsync();
        var port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()).Port;

        // HTTP/1.0 without a length: the body ends where the connection does, so close_notify would vouch for half of it.
        var (body, error) = await ReadToEndAsync(port, "GET /broken HTTP/1.0\r\nHost: localhost\r\n\r\n");
        Assert.Contains("part-of-the-body", body, StringComparison.Ordinal);
        Assert.IsType<IOException>(error);
        Assert.Contains("truncated", error!.Message, StringComparison.Ordinal);
    }

    private async Task<(string Body, Exception? Error)> ReadToEndAsync(int port, string request)
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port);
        await using var tls = new TlsStream(new System.Net.Sockets.NetworkStream(socket, ownsSocket: false));
        using var timeout = new CancellationTokenSource(Bound);
        await tls.AuthenticateAsClientAsync(
            new TlsClientOptions { ServerName = "localhost", CertificateVerifier = pem.Verifier(), ApplicationProtocols = ["http/1.1"] }, timeout.Token);
        await tls.WriteAsync(System.Text.Encoding.ASCII.GetBytes(request), timeout.Token);
        using var body = new MemoryStream();
        try
        {
            await tls.CopyToAsync(body, timeout.Token);
            return (System.Text.Encoding.ASCII.GetString(body.ToArray()), null);
        }
        catch (IOException ex)
        {
            return (System.Text.Encoding.ASCII.GetString(body.ToArray()), ex);
        }
    }

    [Fact]
    public async Task ZeroRtt_SetAfterUseTessera_IsRefusedAtStartupToo()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            var options = new TlsServerOptions();
            options.Certificates.Add(pem.Certificates[CertificateKeyType.EcdsaP256]);
            listen.UseTessera(options);
            options.MaxEarlyDataSize = 16384;
        }));
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var app = builder.Build();
            await app.StartAsync();
        });
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            if (e is ArgumentException argument)
            {
                Assert.Contains("RFC 8470", argument.Message, StringComparison.Ordinal);
                return;
            }
        }

        Assert.Fail($"no ArgumentException in {error}");
    }

    [Fact]
    public async Task ZeroRtt_IsRefusedBehindKestrel_WithTheReason()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
            listen.UseTessera(options =>
            {
                options.Certificates.Add(pem.Certificates[CertificateKeyType.EcdsaP256]);
                options.MaxEarlyDataSize = 16384;
            })));
        var error = await Assert.ThrowsAsync<ArgumentException>(async () =>
        {
            await using var app = builder.Build();
            await app.StartAsync();
        });
        Assert.Contains("RFC 8470", error.Message, StringComparison.Ordinal);
    }

    private sealed record LogEntry(string Category, int EventId, string Message);

    private sealed class ListLoggerProvider : ILoggerProvider
    {
        private readonly List<LogEntry> _entries = [];

        public List<LogEntry> Entries
        {
            get
            {
                lock (_entries)
                {
                    return [.. _entries];
                }
            }
        }

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(ListLoggerProvider provider, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (provider._entries)
                {
                    provider._entries.Add(new LogEntry(category, eventId.Id, formatter(state, exception)));
                }
            }
        }
    }
}
