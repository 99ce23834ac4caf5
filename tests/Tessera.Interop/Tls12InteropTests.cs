using System.Text.RegularExpressions;
using System.Net.Sockets;
using System.Text;
using Tessera.Pki;
using Tessera.Sessions;

namespace Tessera.Interop;

/// <summary>TLS 1.2 against openssl (both directions) and gnutls-cli on 127.0.0.1.</summary>
[Collection("pem")]
public sealed class Tls12InteropTests(PemFixture pem)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    public static TheoryData<CertificateKeyType, CipherSuite, string> Matrix()
    {
        var data = new TheoryData<CertificateKeyType, CipherSuite, string>();
        foreach (var suite in CipherSuites.Tls12Defaults)
        {
            var ecdsa = CipherSuites.Get(suite).Authentication == SuiteAuthentication.Ecdsa;
            foreach (var key in ecdsa ? new[] { CertificateKeyType.EcdsaP256, CertificateKeyType.Ed25519 } : [CertificateKeyType.Rsa2048, CertificateKeyType.RsaPss2048])
            {
                foreach (var group in new[] { "X25519", "P-256", "P-384" })
                {
                    data.Add(key, suite, group);
                }
            }
        }

        return data;
    }

    private static Task<TlsStream> ConnectAsync(int port, TlsClientOptions options) => TesseraClient.ConnectAsync(port, options);

    private static Task<string> ReadAllAsync(Stream stream) => TesseraClient.ReadAllAsync(stream);

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task TesseraClientAgainstOpenSslServer(CertificateKeyType keyType, CipherSuite suite, string group)
    {
        using var server = PeerProcess.StartOpenSsl("s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(keyType), "-key", pem.KeyFile(keyType),
            "-tls1_2", "-www", "-naccept", "1", "-groups", group);
        int port = server.WaitForAcceptPort();
        await using var tls = await ConnectAsync(port, new TlsClientOptions
        {
            ServerName = "localhost",
            CertificateVerifier = pem.Verifier(),
            CipherSuites = [.. CipherSuites.Tls13Defaults, suite],
        });
        Assert.Equal(TlsProtocolVersion.Tls12, tls.NegotiatedProtocol);
        Assert.Equal(suite, tls.NegotiatedCipherSuite);
        Assert.Equal(NamedGroups.FromName(group), tls.NegotiatedGroup);
        Assert.True(tls.Connection.ExtendedMasterSecret);
        Assert.True(tls.Connection.SecureRenegotiation);
        await tls.WriteAsync("GET / HTTP/1.0\r\n\r\n"u8.ToArray());
        var page = await ReadAllAsync(tls);
        Assert.Contains($"Cipher is {CipherSuites.Get(suite).OpenSslName}", page, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task OpenSslClientAgainstTesseraServer(CertificateKeyType keyType, CipherSuite suite, string group)
    {
        // In TLS 1.2 the client's groups also govern the ECDSA certificate's curve (RFC 8422 §5.1), so
        // offer P-256 too, and let the server insist on the group under test for the key exchange.
        var options = new TlsServerOptions { Groups = [NamedGroups.FromName(group)!.Value] };
        options.Certificates.Add(pem.Certificates[keyType]);
        await using var host = new TesseraServerHost(options);
        var groups = keyType == CertificateKeyType.EcdsaP256 && group != "P-256" ? group + ":P-256" : group;
        using var client = PeerProcess.StartOpenSsl("s_client", "-connect", $"127.0.0.1:{host.Port}", "-servername", "localhost", "-CAfile", pem.CaFile,
            "-verify_return_error", "-ign_eof", "-tls1_2", "-cipher", CipherSuites.Get(suite).OpenSslName, "-groups", groups);
        client.Stdin.Write("hello 1.2\n");
        client.Stdin.Flush();
        Assert.True(client.WaitForExit(Bound) == 0, client.Stdout + client.Stderr);
        Assert.Contains($"New, TLSv1.2, Cipher is {CipherSuites.Get(suite).OpenSslName}", client.Stdout, StringComparison.Ordinal);
        Assert.Contains("Extended master secret: yes", client.Stdout, StringComparison.Ordinal);
        Assert.Contains("Secure Renegotiation IS supported", client.Stdout, StringComparison.Ordinal);
        Assert.Contains("got:hello 1.2", client.Stdout, StringComparison.Ordinal);
        var connection = Assert.Single(host.Completed);
        Assert.Equal(TlsProtocolVersion.Tls12, connection.NegotiatedProtocol);
        Assert.Equal(suite, connection.NegotiatedCipherSuite);
        Assert.Equal(NamedGroups.FromName(group), connection.NegotiatedGroup);
    }

    [Theory]
    [InlineData(CertificateKeyType.EcdsaP256, "-(ECDSA-SHA256)-")]
    [InlineData(CertificateKeyType.Rsa2048, "-(RSA-PSS-RSAE-SHA256)-")]
    public async Task GnuTlsClientAgainstTesseraServer(CertificateKeyType keyType, string signature)
    {
        var options = new TlsServerOptions();
        options.Certificates.Add(pem.Certificates[keyType]);
        await using var host = new TesseraServerHost(options);
        using var client = PeerProcess.Start("gnutls-cli",
            ["--x509cafile", pem.CaFile, "--sni-hostname", "localhost", "--verify-hostname", "localhost", "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.2",
             "-p", host.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "127.0.0.1"]);
        client.Stdin.Write("hello gnutls 1.2\n");
        client.Stdin.Flush();
        Assert.True(client.WaitForExit(Bound) == 0, client.Stdout + client.Stderr);
        var all = client.Stdout + client.Stderr;
        Assert.Contains("(TLS1.2-X.509)-(ECDHE-", all, StringComparison.Ordinal);
        Assert.Contains(signature, all, StringComparison.Ordinal);
        Assert.Contains("The certificate is trusted", all, StringComparison.Ordinal);
        Assert.Contains("got:hello gnutls 1.2", client.Stdout, StringComparison.Ordinal);
        Assert.Equal(TlsProtocolVersion.Tls12, Assert.Single(host.Completed).NegotiatedProtocol);
    }

    [Fact]
    public async Task DefaultTesseraClientSettlesOnTls12WithATls12OnlyServer()
    {
        using var server = PeerProcess.StartOpenSsl("s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.EcdsaP256),
            "-key", pem.KeyFile(CertificateKeyType.EcdsaP256), "-tls1_2", "-www", "-naccept", "1");
        int port = server.WaitForAcceptPort();
        await using var tls = await ConnectAsync(port, new TlsClientOptions { ServerName = "localhost", CertificateVerifier = pem.Verifier() });
        Assert.Equal(TlsProtocolVersion.Tls12, tls.NegotiatedProtocol);
        Assert.Equal(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.NegotiatedCipherSuite);
    }

    [Fact]
    public async Task ClientCertificatesInTls12BothWays()
    {
        using (var server = PeerProcess.StartOpenSsl("s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.Rsa2048),
                   "-key", pem.KeyFile(CertificateKeyType.Rsa2048), "-tls1_2", "-rev", "-naccept", "1", "-Verify", "1", "-CAfile", pem.CaFile))
        {
            int port = server.WaitForAcceptPort();
            await using var tls = await ConnectAsync(port, new TlsClientOptions
            {
                ServerName = "localhost", CertificateVerifier = pem.Verifier(), ClientCertificate = pem.ClientCertificate,
            });
            Assert.Equal(TlsProtocolVersion.Tls12, tls.NegotiatedProtocol);
            await tls.WriteAsync("abc\n"u8.ToArray());
            var buffer = new byte[16];
            using var timeout = new CancellationTokenSource(Bound);
            int n = await tls.ReadAsync(buffer, timeout.Token);
            Assert.Equal("cba", Encoding.ASCII.GetString(buffer, 0, n).Trim());
        }

        var options = new TlsServerOptions { RequireClientCertificate = true, CertificateVerifier = pem.Verifier() };
        options.Certificates.Add(pem.Certificates[CertificateKeyType.EcdsaP256]);
        await using var host = new TesseraServerHost(options);
        using var client = PeerProcess.StartOpenSsl("s_client", "-connect", $"127.0.0.1:{host.Port}", "-CAfile", pem.CaFile, "-verify_return_error", "-ign_eof",
            "-tls1_2", "-cert", pem.ClientCertFile, "-key", pem.ClientKeyFile);
        client.Stdin.Write("with cert\n");
        client.Stdin.Flush();
        Assert.True(client.WaitForExit(Bound) == 0, client.Stdout + client.Stderr);
        var connection = Assert.Single(host.Completed);
        Assert.True(connection.PeerCertificateVerified);
        Assert.Equal(TlsProtocolVersion.Tls12, connection.NegotiatedProtocol);
    }

    [Fact]
    public void OpenSslRenegotiationRequestIsRefusedAndSaidSo()
    {
        using var server = PeerProcess.StartTessera("s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.EcdsaP256),
            "-key", pem.KeyFile(CertificateKeyType.EcdsaP256), "-naccept", "1", "-quiet");
        int port = server.WaitForAcceptPort(Bound);
        using var client = PeerProcess.StartOpenSsl("s_client", "-connect", $"127.0.0.1:{port}", "-tls1_2", "-CAfile", pem.CaFile, "-servername", "localhost");
        client.WaitFor(new System.Text.RegularExpressions.Regex("Secure Renegotiation IS supported"), Bound);
        client.Stdin.Write("hello\n");
        client.Stdin.Flush();
        server.WaitFor(new System.Text.RegularExpressions.Regex("hello"), Bound);
        client.Stdin.Write("R\n");
        client.Stdin.Flush();
        client.WaitForExit(Bound, closeStdin: false);
        Assert.Contains("no renegotiation", client.Stderr + client.Stdout, StringComparison.Ordinal);
        server.WaitForExit(Bound);
        Assert.Contains("refused 1 renegotiation request(s)", server.Stderr, StringComparison.Ordinal);
        Assert.Contains("hello", server.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-tls1_2")]
    [InlineData("-tls1_3")]
    public void TesseraServerNamesItsClientCasToOpenSsl(string version)
    {
        using var server = PeerProcess.StartTessera("s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.EcdsaP256),
            "-key", pem.KeyFile(CertificateKeyType.EcdsaP256), "-naccept", "1", "-quiet", "-Verify", "1", "-CAfile", pem.CaFile);
        int port = server.WaitForAcceptPort(Bound);
        using var client = PeerProcess.StartOpenSsl("s_client", "-connect", $"127.0.0.1:{port}", "-servername", "localhost", "-CAfile", pem.CaFile,
            "-cert", pem.ClientCertFile, "-key", pem.ClientKeyFile, version);
        client.Stdin.Write("with ca names\n");
        client.Stdin.Flush();
        Assert.True(client.WaitForExit(Bound) == 0, client.Stdout + client.Stderr);
        Assert.Contains("Acceptable client certificate CA names", client.Stdout, StringComparison.Ordinal);
        Assert.Contains("CN = Tessera Interop CA", client.Stdout, StringComparison.Ordinal);
        server.WaitForExit(Bound);
        Assert.Contains("with ca names", server.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-tls1_2")]
    [InlineData("-tls1_3")]
    public async Task OpenSslAskingForOcspStaplingStillConnects(string version)
    {
        var options = new TlsServerOptions();
        options.Certificates.Add(pem.Certificates[CertificateKeyType.EcdsaP256]);
        await using var host = new TesseraServerHost(options);
        using var client = PeerProcess.StartOpenSsl("s_client", "-connect", $"127.0.0.1:{host.Port}", "-servername", "localhost", "-CAfile", pem.CaFile,
            "-verify_return_error", "-ign_eof", version, "-status");
        client.Stdin.Write("stapled?\n");
        client.Stdin.Flush();
        Assert.True(client.WaitForExit(Bound) == 0, client.Stdout + client.Stderr);
        Assert.Contains("OCSP response: no response sent", client.Stdout, StringComparison.Ordinal);
        Assert.Contains("got:stapled?", client.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void OpenSslRenegotiatesSecurelyWithTesseraServerWhenAllowed()
    {
        using var server = PeerProcess.StartTessera("s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.EcdsaP256),
            "-key", pem.KeyFile(CertificateKeyType.EcdsaP256), "-naccept", "1", "-quiet", "-client_renegotiation");
        int port = server.WaitForAcceptPort(Bound);
        using var client = PeerProcess.StartOpenSsl("s_client", "-connect", $"127.0.0.1:{port}", "-tls1_2", "-CAfile", pem.CaFile, "-servername", "localhost",
            "-verify_return_error");
        client.WaitFor(new Regex("Secure Renegotiation IS supported"), Bound);
        client.Stdin.Write("before\n");
        client.Stdin.Flush();
        server.WaitFor(new Regex("before"), Bound);
        client.Stdin.Write("R\n");
        client.Stdin.Flush();
        client.WaitFor(new Regex("RENEGOTIATING(.|\n)*verify return:1"), Bound, inStderr: true);
        client.Stdin.Write("after\n");
        client.Stdin.Flush();
        server.WaitFor(new Regex("after"), Bound);
        Assert.True(client.WaitForExit(Bound) == 0, client.Stdout + client.Stderr);
        Assert.True(server.WaitForExit(Bound) == 0, server.Stderr);
        Assert.Contains("1 secure renegotiation(s)", server.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("refused", server.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TesseraClientRenegotiatesWithOpenSslServer(bool serverAllows)
    {
        string[] allow = serverAllows ? ["-client_renegotiation"] : [];
        using var server = PeerProcess.StartOpenSsl(["s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.EcdsaP256),
            "-key", pem.KeyFile(CertificateKeyType.EcdsaP256), "-tls1_2", "-naccept", "1", .. allow]);
        int port = server.WaitForAcceptPort(Bound);
        using var client = PeerProcess.StartTessera("s_client", "-connect", $"127.0.0.1:{port}", "-CAfile", pem.CaFile, "-servername", "localhost", "-tls1_2");
        client.WaitFor(new Regex("secure renegotiation: yes"), Bound);
        client.Stdin.Write("before\n");
        client.Stdin.Flush();
        server.WaitFor(new Regex("before"), Bound);
        client.Stdin.Write("R\n");
        client.Stdin.Flush();
        client.WaitFor(new Regex("RENEGOTIATING"), Bound, inStderr: true);
        client.Stdin.Write("after\n");
        client.Stdin.Flush();
        server.WaitFor(new Regex("after"), Bound);
        Assert.True(client.WaitForExit(Bound) == 0, client.Stdout + client.Stderr);
        server.WaitForExit(Bound);
        if (serverAllows)
        {
            Assert.Contains("1 secure renegotiation(s)", client.Stderr, StringComparison.Ordinal);
            Assert.Contains("1 server renegotiates", server.Stdout, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("the server refused 1 renegotiation request(s)", client.Stderr, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task OpenSslResumesWithTesseraServer(bool sessionIdOnly)
    {
        var options = new TlsServerOptions();
        options.Certificates.Add(pem.Certificates[CertificateKeyType.EcdsaP256]);
        if (sessionIdOnly)
        {
            options.TicketKeys = null;
        }

        await using var host = new TesseraServerHost(options);
        var sessionFile = Path.Combine(pem.Directory, $"sess-{Guid.NewGuid():N}.pem");
        string Run(string sessionOption)
        {
            using var client = PeerProcess.StartOpenSsl("s_client", "-connect", $"127.0.0.1:{host.Port}", "-servername", "localhost", "-CAfile", pem.CaFile,
                "-verify_return_error", "-ign_eof", "-tls1_2", sessionOption, sessionFile);
            client.Stdin.Write("x\n");
            client.Stdin.Flush();
            Assert.True(client.WaitForExit(Bound) == 0, client.Stdout + client.Stderr);
            return client.Stdout;
        }

        Assert.Contains("New, TLSv1.2", Run("-sess_out"), StringComparison.Ordinal);
        Assert.Contains("Reused, TLSv1.2", Run("-sess_in"), StringComparison.Ordinal);
        Assert.Equal([false, true], host.Completed.Select(c => c.IsResumed));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TesseraResumesWithOpenSslServer(bool noTicket)
    {
        using var server = PeerProcess.StartOpenSsl(["s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.Rsa2048),
            "-key", pem.KeyFile(CertificateKeyType.Rsa2048), "-tls1_2", "-www", "-naccept", "2", .. noTicket ? new[] { "-no_ticket" } : []]);
        int port = server.WaitForAcceptPort();
        TlsSession session;
        await using (var first = await ConnectAsync(port, new TlsClientOptions { ServerName = "localhost", CertificateVerifier = pem.Verifier() }))
        {
            await first.WriteAsync("GET / HTTP/1.0\r\n\r\n"u8.ToArray());
            await ReadAllAsync(first);
            session = first.Connection.Session!;
            Assert.NotNull(session);
            Assert.Equal(noTicket, session.Ticket.Length == 0);
        }

        await using var second = await ConnectAsync(port, new TlsClientOptions { ServerName = "localhost", CertificateVerifier = pem.Verifier(), ResumeSession = session });
        Assert.True(second.Connection.IsResumed);
        await second.WriteAsync("GET / HTTP/1.0\r\n\r\n"u8.ToArray());
        var page = await ReadAllAsync(second);
        Assert.Contains("Reused, TLSv1.2", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeyLogForTls12MatchesOpenSsl()
    {
        var serverLog = Path.Combine(pem.Directory, $"tls12-{Guid.NewGuid():N}.keys");
        var lines = new List<string>();
        using var server = PeerProcess.StartOpenSsl("s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.EcdsaP256),
            "-key", pem.KeyFile(CertificateKeyType.EcdsaP256), "-tls1_2", "-www", "-naccept", "1", "-keylogfile", serverLog);
        int port = server.WaitForAcceptPort();
        await using (var tls = await ConnectAsync(port, new TlsClientOptions { ServerName = "localhost", CertificateVerifier = pem.Verifier(), KeyLog = new ListKeyLog(lines) }))
        {
            await tls.WriteAsync("GET / HTTP/1.0\r\n\r\n"u8.ToArray());
            await ReadAllAsync(tls);
        }

        server.WaitForExit(Bound);
        var line = Assert.Single(lines);
        Assert.StartsWith("CLIENT_RANDOM ", line, StringComparison.Ordinal);
        Assert.Contains(line, File.ReadAllLines(serverLog));
    }

    private sealed class ListKeyLog(List<string> lines) : Tessera.KeySchedule.IKeyLogWriter
    {
        public void WriteLine(string line) => lines.Add(line);
    }
}
