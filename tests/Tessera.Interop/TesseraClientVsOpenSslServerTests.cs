using System.Net.Sockets;
using System.Text;
using Tessera.Pki;

namespace Tessera.Interop;

/// <summary>Tessera's client against <c>openssl s_server</c> on 127.0.0.1.</summary>
[Collection("pem")]
public sealed class TesseraClientVsOpenSslServerTests(PemFixture pem)
{
    private static readonly Dictionary<NamedGroup, string> OpenSslGroup = new()
    {
        [NamedGroup.X25519] = "X25519",
        [NamedGroup.Secp256r1] = "P-256",
        [NamedGroup.Secp384r1] = "P-384",
    };

    public static TheoryData<CertificateKeyType, NamedGroup, CipherSuite> Matrix()
    {
        var data = new TheoryData<CertificateKeyType, NamedGroup, CipherSuite>();
        foreach (var key in new[] { CertificateKeyType.EcdsaP256, CertificateKeyType.Rsa2048, CertificateKeyType.Ed25519 })
        {
            foreach (var group in new[] { NamedGroup.X25519, NamedGroup.Secp256r1, NamedGroup.Secp384r1 })
            {
                foreach (var suite in CipherSuites.Tls13Defaults)
                {
                    data.Add(key, group, suite);
                }
            }
        }

        return data;
    }

    private PeerProcess StartServer(CertificateKeyType keyType, params string[] extra) => PeerProcess.StartOpenSsl(
        ["s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(keyType), "-key", pem.KeyFile(keyType), "-tls1_3", "-naccept", "1", .. extra]);

    private async Task<TlsStream> ConnectAsync(int port, TlsClientOptions options)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port).WaitAsync(TimeSpan.FromSeconds(10));
        var stream = new TlsStream(tcp.GetStream());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await stream.AuthenticateAsClientAsync(options, timeout.Token);
        return stream;
    }

    private TlsClientOptions Options(Action<TlsClientOptions>? configure = null)
    {
        var options = new TlsClientOptions { ServerName = "localhost", CertificateVerifier = pem.Verifier() };
        configure?.Invoke(options);
        return options;
    }

    private static async Task<string> ReadAllAsync(Stream stream)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var ms = new MemoryStream();
        var buffer = new byte[4096];
        int n;
        while ((n = await stream.ReadAsync(buffer, timeout.Token)) > 0)
        {
            ms.Write(buffer, 0, n);
        }

        return Encoding.UTF8.GetString(ms.ToArray());
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task HandshakeAndHttpOverEveryCertificateGroupAndSuite(CertificateKeyType keyType, NamedGroup group, CipherSuite suite)
    {
        using var server = StartServer(keyType, "-www", "-groups", OpenSslGroup[group], "-ciphersuites", CipherSuites.Get(suite).Name);
        int port = server.WaitForAcceptPort();
        await using var tls = await ConnectAsync(port, Options(o => { o.Groups = [group]; o.CipherSuites = [suite]; }));
        Assert.Equal(TlsProtocolVersion.Tls13, tls.NegotiatedProtocol);
        Assert.Equal(suite, tls.NegotiatedCipherSuite);
        Assert.Equal(group, tls.NegotiatedGroup);
        Assert.True(tls.Connection.PeerCertificateVerified);
        await tls.WriteAsync("GET / HTTP/1.0\r\n\r\n"u8.ToArray());
        var page = await ReadAllAsync(tls);
        Assert.Contains("HTTP/1.0 200 ok", page, StringComparison.Ordinal);
        Assert.Contains($"Cipher is {CipherSuites.Get(suite).Name}", page, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(CertificateKeyType.RsaPss2048, "rsa_pss_pss_sha256", SignatureScheme.rsa_pss_pss_sha256)]
    [InlineData(CertificateKeyType.Rsa2048, "rsa_pss_rsae_sha512", SignatureScheme.rsa_pss_rsae_sha512)]
    [InlineData(CertificateKeyType.EcdsaP384, "ecdsa_secp384r1_sha384", SignatureScheme.ecdsa_secp384r1_sha384)]
    public async Task OpenSslSignsWithEachSchemeAndTesseraVerifies(CertificateKeyType keyType, string opensslSigalg, SignatureScheme expected)
    {
        using var server = StartServer(keyType, "-www", "-sigalgs", opensslSigalg);
        int port = server.WaitForAcceptPort();
        await using var tls = await ConnectAsync(port, Options());
        Assert.Equal(expected, tls.Connection.PeerSignatureScheme);
        Assert.True(tls.Connection.PeerCertificateVerified);
    }

    [Fact]
    public async Task HelloRetryRequestFromOpenSsl()
    {
        using var server = StartServer(CertificateKeyType.EcdsaP256, "-www", "-groups", "P-384");
        int port = server.WaitForAcceptPort();
        await using var tls = await ConnectAsync(port, Options(o => o.Groups = [NamedGroup.X25519, NamedGroup.Secp384r1]));
        Assert.True(tls.Connection.WasHelloRetryRequest);
        Assert.Equal(NamedGroup.Secp384r1, tls.NegotiatedGroup);
        await tls.WriteAsync("GET / HTTP/1.0\r\n\r\n"u8.ToArray());
        Assert.Contains("200 ok", await ReadAllAsync(tls), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RecordSizeLimitIsNotImposedOnAPeerThatNeverNegotiatedIt()
    {
        // OpenSSL 3.0 does not implement RFC 8449, so it sends full-size records; that is its right.
        using var server = StartServer(CertificateKeyType.Rsa2048, "-www");
        int port = server.WaitForAcceptPort();
        await using var tls = await ConnectAsync(port, Options(o => o.RecordSizeLimit = 256));
        await tls.WriteAsync("GET / HTTP/1.0\r\n\r\n"u8.ToArray());
        Assert.Contains("200 ok", await ReadAllAsync(tls), StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeyUpdateBothWaysWithOpenSsl()
    {
        // -rev: openssl reverses each line it receives.
        using var server = StartServer(CertificateKeyType.EcdsaP256, "-rev");
        int port = server.WaitForAcceptPort();
        await using var tls = await ConnectAsync(port, Options());
        var buffer = new byte[256];
        for (int i = 0; i < 5; i++)
        {
            await tls.UpdateKeysAsync(requestPeerUpdate: true);
            await tls.WriteAsync(Encoding.ASCII.GetBytes($"round{i}\n"));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            int n = await tls.ReadAsync(buffer, timeout.Token);
            Assert.Equal($"{i}dnuor", Encoding.ASCII.GetString(buffer, 0, n).Trim());
        }

        Assert.Equal(5, tls.Connection.KeyUpdateCount.Sent);
        Assert.True(tls.Connection.KeyUpdateCount.Received >= 1, "openssl answered no KeyUpdate request");
    }

    [Fact]
    public async Task KeyLogLinesMatchOpenSsl()
    {
        var serverLog = Path.Combine(pem.Directory, $"server-keys-{Guid.NewGuid():N}.txt");
        var clientLog = new List<string>();
        using var server = StartServer(CertificateKeyType.EcdsaP256, "-www", "-keylogfile", serverLog);
        int port = server.WaitForAcceptPort();
        await using (var tls = await ConnectAsync(port, Options(o => o.KeyLog = new ListKeyLog(clientLog))))
        {
            await tls.WriteAsync("GET / HTTP/1.0\r\n\r\n"u8.ToArray());
            await ReadAllAsync(tls);
        }

        server.WaitForExit(TimeSpan.FromSeconds(10));
        var opensslLines = File.ReadAllLines(serverLog).Where(l => !l.StartsWith('#') && l.Length > 0).ToHashSet();
        Assert.Equal(5, clientLog.Count);
        Assert.All(clientLog, line => Assert.Contains(line, opensslLines));
    }

    [Fact]
    public async Task ClientCertificateAcceptedByOpenSsl()
    {
        using var server = StartServer(CertificateKeyType.EcdsaP256, "-rev", "-Verify", "1", "-CAfile", pem.CaFile);
        int port = server.WaitForAcceptPort();
        await using var tls = await ConnectAsync(port, Options(o => o.ClientCertificate = pem.ClientCertificate));
        await tls.WriteAsync("abc\n"u8.ToArray());
        var buffer = new byte[64];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        int n = await tls.ReadAsync(buffer, timeout.Token);
        Assert.Equal("cba", Encoding.ASCII.GetString(buffer, 0, n).Trim());
    }

    [Fact]
    public async Task TheClientPicksTheCertificateOpenSslsCaListAsksFor()
    {
        // openssl s_server names the -CAfile roots in its CertificateRequest; a certificate from another CA comes first in our list.
        using var stranger = TestCertificateAuthority.Create(CertificateKeyType.EcdsaP256, "Stranger CA");
        using var server = StartServer(CertificateKeyType.EcdsaP256, "-rev", "-Verify", "1", "-CAfile", pem.CaFile);
        int port = server.WaitForAcceptPort();
        await using var tls = await ConnectAsync(port, Options(o => o.ClientCertificates = [stranger.IssueClientCertificate("wrong"), pem.ClientCertificate]));
        await tls.WriteAsync("abc\n"u8.ToArray());
        var buffer = new byte[64];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        int n = await tls.ReadAsync(buffer, timeout.Token);
        Assert.Equal("cba", Encoding.ASCII.GetString(buffer, 0, n).Trim());
    }

    [Fact]
    public async Task MissingClientCertificateIsReportedWithOpenSslsAlert()
    {
        using var server = StartServer(CertificateKeyType.EcdsaP256, "-rev", "-Verify", "1", "-CAfile", pem.CaFile);
        int port = server.WaitForAcceptPort();
        await using var tls = await ConnectAsync(port, Options());
        // In TLS 1.3 the client finishes first; the server's verdict arrives as an alert on the next read.
        var ex = await Assert.ThrowsAsync<TlsException>(async () =>
        {
            await tls.WriteAsync("abc\n"u8.ToArray());
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            _ = await tls.ReadAsync(new byte[64], timeout.Token);
        });
        Assert.Equal(AlertDescription.CertificateRequired, ex.Alert);
        Assert.Equal(AlertSource.Remote, ex.AlertSource);
    }

    [Fact]
    public async Task NoCommonSuiteIsHandshakeFailureFromOpenSsl()
    {
        using var server = StartServer(CertificateKeyType.EcdsaP256, "-www", "-ciphersuites", "TLS_AES_256_GCM_SHA384");
        int port = server.WaitForAcceptPort();
        var ex = await Assert.ThrowsAsync<TlsException>(() => ConnectAsync(port, Options(o => o.CipherSuites = [CipherSuite.TLS_AES_128_GCM_SHA256])));
        Assert.Equal(AlertDescription.HandshakeFailure, ex.Alert);
        Assert.Equal(AlertSource.Remote, ex.AlertSource);
    }

    [Fact]
    public async Task WrongHostNameIsRejectedByTesseraAndOpenSslSeesTheAlert()
    {
        using var server = StartServer(CertificateKeyType.EcdsaP256, "-www");
        int port = server.WaitForAcceptPort();
        var ex = await Assert.ThrowsAsync<TlsException>(() => ConnectAsync(port, Options(o => o.ServerName = "not-localhost.test")));
        Assert.Equal(AlertDescription.BadCertificate, ex.Alert);
        Assert.Equal(AlertSource.Local, ex.AlertSource);
        server.WaitForExit(TimeSpan.FromSeconds(10));
        Assert.Contains("bad certificate", server.Stdout + server.Stderr, StringComparison.OrdinalIgnoreCase);
    }

    private sealed class ListKeyLog(List<string> lines) : Tessera.KeySchedule.IKeyLogWriter
    {
        public void WriteLine(string line) => lines.Add(line);
    }
}
