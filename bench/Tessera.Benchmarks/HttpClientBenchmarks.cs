using System.Net;
using System.Net.Http;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tessera.Http;

namespace Tessera.Benchmarks;

/// <summary>
/// HttpClient over SslStream (SocketsHttpHandler) against HttpClient over Tessera (<see cref="TesseraHttpHandler"/>),
/// both fetching a 1 KB page from the same Kestrel server (its own UseHttps, SslStream) on 127.0.0.1: a request on a
/// pooled connection (HTTP/1.1 and HTTP/2) and a request on a new connection each time (Connection: close, so the
/// handshake, resumed from a ticket, is in the figure). Certificate checks are off on both clients.
/// </summary>
[MemoryDiagnoser]
public class HttpClientBenchmarks
{
    private WebApplication _app = null!;
    private string _uri = null!;
    private HttpClient _sslStream = null!;
    private HttpClient _tessera = null!;

    [GlobalSetup]
    public void Setup()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var certificate = X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = HttpProtocols.Http1AndHttp2;
            listen.UseHttps(certificate);
        }));
        _app = builder.Build();
        var page = new string('x', 1024);
        _app.MapGet("/", () => page);
        _app.StartAsync().GetAwaiter().GetResult();
        _uri = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single().Replace("127.0.0.1", "localhost", StringComparison.Ordinal);

        _sslStream = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = new System.Net.Security.SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        });
        _tessera = new HttpClient(new TesseraHttpHandler(new TlsClientOptions { SkipCertificateVerification = true }));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sslStream.Dispose();
        _tessera.Dispose();
        _app.StopAsync().GetAwaiter().GetResult();
        _app.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private async Task<int> GetAsync(HttpClient client, Version version, bool newConnection)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _uri) { Version = version, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        if (newConnection)
        {
            request.Headers.ConnectionClose = true;
        }

        using var response = await client.SendAsync(request).ConfigureAwait(false);
        return (await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false)).Length;
    }

    [Benchmark(Baseline = true)]
    public Task<int> SslStreamPooledHttp11() => GetAsync(_sslStream, HttpVersion.Version11, newConnection: false);

    [Benchmark]
    public Task<int> TesseraPooledHttp11() => GetAsync(_tessera, HttpVersion.Version11, newConnection: false);

    [Benchmark]
    public Task<int> SslStreamPooledHttp2() => GetAsync(_sslStream, HttpVersion.Version20, newConnection: false);

    [Benchmark]
    public Task<int> TesseraPooledHttp2() => GetAsync(_tessera, HttpVersion.Version20, newConnection: false);

    [Benchmark]
    public Task<int> SslStreamNewConnection() => GetAsync(_sslStream, HttpVersion.Version11, newConnection: true);

    [Benchmark]
    public Task<int> TesseraNewConnection() => GetAsync(_tessera, HttpVersion.Version11, newConnection: true);
}
