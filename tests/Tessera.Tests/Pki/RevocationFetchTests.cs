using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Tessera.Pki;
using Tessera.Pki.X509;
using Tessera.Tests.Engine;

namespace Tessera.Tests.Pki;

/// <summary>
/// Network revocation checking, which only happens when a verifier is given a <see cref="RevocationFetcher"/>:
/// OCSP from the certificate's responder, else the CRL from its distribution point, cached, bounded in time,
/// and what a failure means decided by soft-fail or hard-fail. The responder is a tiny HTTP server on 127.0.0.1.
/// </summary>
public sealed class RevocationFetchTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("tessera-fetch-");
    private readonly FileCertificateAuthority _ca;

    public RevocationFetchTests() =>
        _ca = FileCertificateAuthority.Init(Path.Combine(_directory.FullName, "ca"), CertificateKeyType.EcdsaP256, "Fetch Test CA", TimeSpan.FromDays(30));

    public void Dispose() => _directory.Delete(recursive: true);

    private (byte[] Leaf, IssuedCertificate Issued) Issue(string? ocspUrl = null, string? crlUrl = null)
    {
        var issued = _ca.Issue(IssuedCertificateKind.Server, "fetch", ["fetch.test"], CertificateKeyType.EcdsaP256, TimeSpan.FromDays(7), ocspUrl: ocspUrl, crlUrl: crlUrl);
        var leaf = PemEncoding.Find(issued.CertificateChainPem);
        return (Convert.FromBase64String(issued.CertificateChainPem[leaf.Base64Data]), issued);
    }

    private X509CertificateVerifier Verifier(RevocationMode mode, RevocationFetcher? fetcher) =>
        new([_ca.CertificateDer]) { Revocation = mode, Fetcher = fetcher };

    private static Task<CertificateVerificationResult> Verify(X509CertificateVerifier verifier, byte[] leaf) =>
        verifier.VerifyAsync(new CertificateVerificationContext([leaf], "fetch.test", true, DateTimeOffset.UtcNow)).AsTask();

    private Func<HttpExchange, byte[]?> Responder() => exchange => exchange.Method switch
    {
        "POST" when exchange.Path == "/ocsp" => _ca.CreateOcspResponse(exchange.Body, TimeSpan.FromHours(4)),
        "GET" when exchange.Path == "/crl" => _ca.CreateCrl(TimeSpan.FromHours(4)),
        _ => null,
    };

    [Fact]
    public async Task AGoodOcspAnswerIsFetchedOnceAndCached()
    {
        using var server = new TinyHttpServer(Responder());
        var (leaf, _) = Issue(ocspUrl: server.Url("/ocsp"));
        using var fetcher = new RevocationFetcher();
        var verifier = Verifier(RevocationMode.HardFail, fetcher);
        Assert.True((await Verify(verifier, leaf)).IsValid);
        Assert.True((await Verify(verifier, leaf)).IsValid);
        Assert.Equal(1, fetcher.Requests);
        Assert.Equal(1, server.Requests);
    }

    [Fact]
    public async Task ARevokedCertificateIsRefusedByOcspAndByCrl()
    {
        using var server = new TinyHttpServer(Responder());
        var (byOcsp, _) = Issue(ocspUrl: server.Url("/ocsp"));
        var (byCrl, _) = Issue(crlUrl: server.Url("/crl"));
        _ca.Revoke(byOcsp, X509RevocationReason.KeyCompromise);
        _ca.Revoke(byCrl, X509RevocationReason.KeyCompromise);
        using var fetcher = new RevocationFetcher();
        foreach (var leaf in new[] { byOcsp, byCrl })
        {
            var result = await Verify(Verifier(RevocationMode.SoftFail, fetcher), leaf);
            Assert.False(result.IsValid);
            Assert.Equal(AlertDescription.CertificateRevoked, result.Alert);
        }

        Assert.Equal(["GET /crl", "POST /ocsp"], server.Seen.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task NothingIsFetchedWithoutAFetcherOrWithRevocationOff()
    {
        using var server = new TinyHttpServer(Responder());
        var (leaf, _) = Issue(ocspUrl: server.Url("/ocsp"), crlUrl: server.Url("/crl"));
        _ca.Revoke(leaf, X509RevocationReason.KeyCompromise);
        using var fetcher = new RevocationFetcher();
        Assert.True((await Verify(Verifier(RevocationMode.HardFail, fetcher: null), leaf)).IsValid is false);   // hard-fail, nothing known
        Assert.True((await Verify(Verifier(RevocationMode.Off, fetcher), leaf)).IsValid);
        Assert.True((await Verify(Verifier(RevocationMode.SoftFail, fetcher: null), leaf)).IsValid);
        Assert.Equal(0, server.Requests);
        Assert.Equal(0, fetcher.Requests);
    }

    [Fact]
    public async Task AResponderThatNeverAnswersIsBoundedSoftFailPassesHardFailRefuses()
    {
        using var server = new TinyHttpServer(_ => null, hang: true);
        var (leaf, _) = Issue(ocspUrl: server.Url("/ocsp"));
        using var fetcher = new RevocationFetcher(TimeSpan.FromMilliseconds(500));
        var clock = Stopwatch.StartNew();
        Assert.True((await Verify(Verifier(RevocationMode.SoftFail, fetcher), leaf)).IsValid);
        var hard = await Verify(Verifier(RevocationMode.HardFail, fetcher), leaf);
        Assert.False(hard.IsValid);
        Assert.Equal(AlertDescription.CertificateUnknown, hard.Alert);   // revocation status unknown
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task TheCallersCancellationIsNotASoftFailure()
    {
        using var server = new TinyHttpServer(_ => null, hang: true);
        var (leaf, _) = Issue(ocspUrl: server.Url("/ocsp"));
        using var fetcher = new RevocationFetcher(TimeSpan.FromSeconds(30));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Verifier(RevocationMode.SoftFail, fetcher)
            .VerifyAsync(new CertificateVerificationContext([leaf], "fetch.test", true, DateTimeOffset.UtcNow), cancel.Token).AsTask());
    }

    [Fact]
    public async Task AClosedPortAnErrorStatusAndGarbageAllCountAsUnknown()
    {
        int closed;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            closed = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        using var garbage = new TinyHttpServer(_ => Encoding.ASCII.GetBytes("<html>not ocsp</html>"));
        using var missing = new TinyHttpServer(_ => null);
        string[] urls = [$"http://127.0.0.1:{closed}/ocsp", garbage.Url("/ocsp"), missing.Url("/ocsp")];
        using var fetcher = new RevocationFetcher(TimeSpan.FromSeconds(5));
        foreach (var url in urls)
        {
            var (leaf, _) = Issue(ocspUrl: url);
            Assert.True((await Verify(Verifier(RevocationMode.SoftFail, fetcher), leaf)).IsValid, url);
            var hard = await Verify(Verifier(RevocationMode.HardFail, fetcher), leaf);
            Assert.False(hard.IsValid, url);
        }
    }

    [Fact]
    public async Task AnOversizedAnswerIsNotRead()
    {
        using var server = new TinyHttpServer(_ => new byte[200_000]);
        var (leaf, _) = Issue(ocspUrl: server.Url("/ocsp"));
        using var fetcher = new RevocationFetcher();
        Assert.Null(await fetcher.FetchOcspAsync(Certificate.Parse(leaf), Certificate.Parse(_ca.CertificateDer)));
    }

    [Fact]
    public void ThroughTheEngineARevokedServerIsRefusedWithCertificateRevoked()
    {
        using var server = new TinyHttpServer(Responder());
        var (leaf, issued) = Issue(ocspUrl: server.Url("/ocsp"));
        var chain = PemFiles.ParseCertificates(Encoding.ASCII.GetBytes(issued.CertificateChainPem), "issued");
        var certificate = new TlsCertificate(chain, PemFiles.ParsePrivateKey(Encoding.ASCII.GetBytes(issued.PrivateKeyPem), "issued key"));

        AlertDescription? Connect(RevocationFetcher fetcher)
        {
            var options = new TlsServerOptions();
            options.Certificates.Add(certificate);
            using var loop = new Loopback(new TlsClientOptions
            {
                ServerName = "fetch.test",
                CertificateVerifier = Verifier(RevocationMode.HardFail, fetcher),
            }, options);
            try
            {
                loop.Handshake();
                return null;
            }
            catch (TlsException ex)
            {
                return ex.Alert;
            }
        }

        using var fetcher = new RevocationFetcher();
        Assert.Null(Connect(fetcher));
        _ca.Revoke(leaf, X509RevocationReason.KeyCompromise);
        Assert.Null(Connect(fetcher));   // the good answer is cached until its nextUpdate
        using var fresh = new RevocationFetcher();
        Assert.Equal(AlertDescription.CertificateRevoked, Connect(fresh));
        Assert.Equal(2, server.Requests);
    }
}

/// <summary>One HTTP exchange as the tiny server saw it.</summary>
internal sealed record HttpExchange(string Method, string Path, byte[] Body);

/// <summary>
/// A minimal HTTP/1.0 server on 127.0.0.1:0 for tests: one request per connection, answered by a handler
/// (null → 404), or never answered at all (<c>hang</c>).
/// </summary>
internal sealed class TinyHttpServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _held = [];
    private int _requests;

    public TinyHttpServer(Func<HttpExchange, byte[]?> handler, bool hang = false)
    {
        _listener.Start();
        _ = Task.Run(() => AcceptAsync(handler, hang));
    }

    public int Requests => _requests;

    public System.Collections.Concurrent.ConcurrentBag<string> Seen { get; } = [];

    public string Url(string path) => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}{path}";

    private async Task AcceptAsync(Func<HttpExchange, byte[]?> handler, bool hang)
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref _requests);
            if (hang)
            {
                lock (_held)
                {
                    _held.Add(client);
                }

                continue;
            }

            _ = Task.Run(async () =>
            {
                using (client)
                {
                    try
                    {
                        var stream = client.GetStream();
                        var exchange = await ReadRequestAsync(stream);
                        Seen.Add($"{exchange.Method} {exchange.Path}");
                        var body = handler(exchange);
                        var head = body is null
                            ? "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                            : $"HTTP/1.0 200 OK\r\nContent-Length: {body.Length.ToString(CultureInfo.InvariantCulture)}\r\nConnection: close\r\n\r\n";
                        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
                        if (body is not null)
                        {
                            await stream.WriteAsync(body);
                        }
                    }
                    catch (IOException)
                    {
                    }
                }
            });
        }
    }

    private static async Task<HttpExchange> ReadRequestAsync(NetworkStream stream)
    {
        var buffer = new List<byte>();
        var one = new byte[1];
        while (buffer.Count < 16384 && !(buffer.Count >= 4 && buffer[^4] == '\r' && buffer[^3] == '\n' && buffer[^2] == '\r' && buffer[^1] == '\n'))
        {
            if (await stream.ReadAsync(one) == 0)
            {
                throw new IOException("closed");
            }

            buffer.Add(one[0]);
        }

        var lines = Encoding.ASCII.GetString([.. buffer]).Split("\r\n");
        var parts = lines[0].Split(' ');
        int length = lines.Skip(1).Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            .Select(p => int.Parse(p[1].Trim(), CultureInfo.InvariantCulture)).FirstOrDefault();
        var body = new byte[length];
        await stream.ReadExactlyAsync(body);
        return new HttpExchange(parts[0], parts[1], body);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_held)
        {
            foreach (var client in _held)
            {
                client.Dispose();
            }
        }

        _stop.Dispose();
    }
}
