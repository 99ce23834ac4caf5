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
}
