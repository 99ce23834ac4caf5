using System.Net.Sockets;
using System.Text;
using Tessera.Pki;
using Tessera.Sessions;

namespace Tessera.Interop;

/// <summary>
/// TLS 1.3 resumption against OpenSSL and GnuTLS on 127.0.0.1: their tickets resumed by Tessera, Tessera's tickets
/// resumed by them, through the library and through the CLI's -sess_out/-sess_in/-reconnect.
/// </summary>
[Collection("pem")]
public sealed class Tls13ResumptionInteropTests(PemFixture pem)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private static Task<TlsStream> ConnectAsync(int port, TlsClientOptions options) => TesseraClient.ConnectAsync(port, options);

    private static Task<string> ReadAllAsync(Stream stream) => TesseraClient.ReadAllAsync(stream);

    [Theory]
    [InlineData("X25519")]
    [InlineData("P-256")]   // the client's first share is X25519: the resumption goes through a HelloRetryRequest
    public async Task TesseraResumesOpenSslsTicketThroughTheSessionCache(string serverGroup)
    {
        using var server = PeerProcess.StartOpenSsl("s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.EcdsaP256),
            "-key", pem.KeyFile(CertificateKeyType.EcdsaP256), "-tls1_3", "-www", "-naccept", "2", "-groups", serverGroup);
        int port = server.WaitForAcceptPort();
        var cache = new TlsClientSessionCache();
        TlsClientOptions Options() => new() { ServerName = "localhost", CertificateVerifier = pem.Verifier(), SessionCache = cache, Groups = [NamedGroup.X25519, NamedGroup.Secp256r1] };
        await using (var first = await ConnectAsync(port, Options()))
        {
            await first.WriteAsync("GET / HTTP/1.0\r\n\r\n"u8.ToArray());
            Assert.Contains("New, TLSv1.3", await ReadAllAsync(first), StringComparison.Ordinal);
            Assert.True(first.Connection.SessionTicketsReceived > 0);
        }

        Assert.True(cache.Count > 0);
        await using var second = await ConnectAsync(port, Options());
        Assert.True(second.Connection.IsResumed);
        Assert.Equal(serverGroup == "P-256", second.Connection.WasHelloRetryRequest);
        Assert.Equal(pem.Certificates[CertificateKeyType.EcdsaP256].Chain[0], second.Connection.PeerCertificateChain[0]);
        await second.WriteAsync("GET / HTTP/1.0\r\n\r\n"u8.ToArray());
        Assert.Contains("Reused, TLSv1.3", await ReadAllAsync(second), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenSslResumesTesseraTicketsWithSessOutAndSessIn()
    {
        var options = new TlsServerOptions();
        options.Certificates.Add(pem.Certificates[CertificateKeyType.EcdsaP256]);
        await using var host = new TesseraServerHost(options);
        var sessionFile = Path.Combine(pem.Directory, $"sess13-{Guid.NewGuid():N}.pem");
        string Run(string sessionOption)
        {
            using var client = PeerProcess.StartOpenSsl("s_client", "-connect", $"127.0.0.1:{host.Port}", "-servername", "localhost", "-CAfile", pem.CaFile,
                "-verify_return_error", "-ign_eof", "-tls1_3", sessionOption, sessionFile);
            client.Stdin.Write("x\n");
            client.Stdin.Flush();
            Assert.True(client.WaitForExit(Bound) == 0, client.Stdout + client.Stderr);
            return client.Stdout;
        }

        Assert.Contains("New, TLSv1.3", Run("-sess_out"), StringComparison.Ordinal);
        Assert.Contains("Reused, TLSv1.3", Run("-sess_in"), StringComparison.Ordinal);
        Assert.Equal([false, true], host.Completed.Select(c => c.IsResumed));
    }

    [Fact]
    public void TesseraSClientReconnectsAndResumesWithOpenSsl()
    {
        using var server = PeerProcess.StartOpenSsl("s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.EcdsaP256),
            "-key", pem.KeyFile(CertificateKeyType.EcdsaP256), "-tls1_3");
        int port = server.WaitForAcceptPort();
        using var client = PeerProcess.StartTessera("s_client", "-connect", $"127.0.0.1:{port}", "-servername", "localhost", "-CAfile", pem.CaFile, "-reconnect");
        client.Stdin.Close();
        client.WaitForExit(Bound);
        var lines = client.Stdout.Split('\n').Where(l => l.StartsWith("connect", StringComparison.Ordinal) || l.StartsWith("reconnect", StringComparison.Ordinal)).ToList();
        Assert.Equal(6, lines.Count);
        Assert.StartsWith("connect: New, TLSv1.3", lines[0], StringComparison.Ordinal);
        Assert.All(lines.Skip(1), l => Assert.StartsWith("reconnect: Reused, TLSv1.3", l, StringComparison.Ordinal));
    }

    [Fact]
    public void TesseraSClientWritesAndResumesATls13Ticket()
    {
        using var server = PeerProcess.StartOpenSsl("s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.EcdsaP256),
            "-key", pem.KeyFile(CertificateKeyType.EcdsaP256), "-tls1_3", "-naccept", "2");
        int port = server.WaitForAcceptPort();
        var sessionFile = Path.Combine(pem.Directory, $"tessera13-{Guid.NewGuid():N}.sess");
        string Run(string sessionOption)
        {
            using var client = PeerProcess.StartTessera("s_client", "-connect", $"127.0.0.1:{port}", "-servername", "localhost", "-CAfile", pem.CaFile, sessionOption, sessionFile);
            client.Stdin.Write("x\n");
            client.Stdin.Close();
            client.WaitForExit(Bound);
            return client.Stdout + client.Stderr;
        }

        Assert.Contains("New, TLSv1.3", Run("-sess_out"), StringComparison.Ordinal);
        Assert.True(File.Exists(sessionFile));
        Assert.Contains("Reused, TLSv1.3", Run("-sess_in"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GnuTlsResumesTesseraTickets()
    {
        var options = new TlsServerOptions();
        options.Certificates.Add(pem.Certificates[CertificateKeyType.EcdsaP256]);
        await using var host = new TesseraServerHost(options);
        using var client = PeerProcess.Start("gnutls-cli", ["--x509cafile", pem.CaFile, "--sni-hostname", "localhost", "--verify-hostname", "localhost",
            "-p", host.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--resume", "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.3", "127.0.0.1"]);
        client.Stdin.Write("hello\n");
        client.Stdin.Flush();
        client.WaitForExit(Bound);
        Assert.Contains("This is a resumed session", client.Stdout + client.Stderr, StringComparison.Ordinal);
        Assert.Equal([false, true], host.Completed.Take(2).Select(c => c.IsResumed));
    }

    [Fact]
    public void OpenSslSendsEarlyDataThatTesseraSServerDeliversOnce()
    {
        var earlyFile = Path.Combine(pem.Directory, $"early-{Guid.NewGuid():N}.txt");
        File.WriteAllText(earlyFile, "zero round trip\n");
        var sessionFile = Path.Combine(pem.Directory, $"sess0rtt-{Guid.NewGuid():N}.pem");
        using var server = PeerProcess.StartTessera("s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.EcdsaP256),
            "-key", pem.KeyFile(CertificateKeyType.EcdsaP256), "-early_data", "-naccept", "2");
        int port = server.WaitForAcceptPort(Bound);
        string Run(params string[] extra)
        {
            using var client = PeerProcess.StartOpenSsl(["s_client", "-connect", $"127.0.0.1:{port}", "-servername", "localhost", "-CAfile", pem.CaFile,
                "-verify_return_error", "-tls1_3", .. extra]);
            Thread.Sleep(500);   // the ticket arrives after the handshake
            client.Stdin.Close();
            client.WaitForExit(Bound);
            return client.Stdout;
        }

        Run("-sess_out", sessionFile);
        var second = Run("-sess_in", sessionFile, "-early_data", earlyFile);
        Assert.Contains("Reused, TLSv1.3", second, StringComparison.Ordinal);
        Assert.Contains("Early data was accepted", second, StringComparison.Ordinal);
        server.WaitForExit(Bound);
        Assert.Contains("Early data received:", server.Stdout, StringComparison.Ordinal);
        Assert.Contains("zero round trip", server.Stdout, StringComparison.Ordinal);
        Assert.Contains("End of early data", server.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TesseraSendsEarlyDataThatOpenSslAccepts()
    {
        using var server = PeerProcess.StartOpenSsl("s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.EcdsaP256),
            "-key", pem.KeyFile(CertificateKeyType.EcdsaP256), "-tls1_3", "-early_data", "-naccept", "2");
        int port = server.WaitForAcceptPort();
        TlsSession ticket;
        await using (var first = await ConnectAsync(port, new TlsClientOptions { ServerName = "localhost", CertificateVerifier = pem.Verifier() }))
        {
            using var wait = new CancellationTokenSource(Bound);
            await first.ReceiveUntilAsync(c => c.Session is not null, wait.Token);
            ticket = first.Connection.Session!;
            await first.ShutdownAsync(wait.Token);   // openssl keeps its (stateful, single-use) 0-RTT sessions only after a clean close
        }

        Assert.Equal(TlsProtocolVersion.Tls13, ticket.Version);
        Assert.True(ticket.MaxEarlyDataSize > 0, "openssl s_server -early_data announces max_early_data_size");
        await using (var second = await ConnectAsync(port, new TlsClientOptions
        {
            ServerName = "localhost",
            CertificateVerifier = pem.Verifier(),
            ResumeSession = ticket,
            EarlyData = "early from tessera\n"u8.ToArray(),
        }))
        {
            Assert.True(second.Connection.IsResumed);
            Assert.Equal(TlsEarlyDataStatus.Accepted, second.Connection.EarlyDataStatus);
        }

        server.WaitForExit(Bound);
        Assert.Contains("early from tessera", server.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void ExternalPsksWorkBothWaysWithOpenSsl()
    {
        var key = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        using (var server = PeerProcess.StartOpenSsl("s_server", "-accept", "127.0.0.1:0", "-psk", key, "-psk_identity", "device-1", "-nocert", "-tls1_3", "-naccept", "1"))
        {
            int port = server.WaitForAcceptPort();
            using var ours = PeerProcess.StartTessera("s_client", "-connect", $"127.0.0.1:{port}", "-psk", key, "-psk_identity", "device-1");
            ours.Stdin.Write("over psk\n");
            ours.Stdin.Close();
            ours.WaitForExit(Bound);
            Assert.Contains("PSK identity: device-1", ours.Stdout, StringComparison.Ordinal);
            Assert.Contains("Peer certificate: (none)", ours.Stdout, StringComparison.Ordinal);
            server.WaitForExit(Bound);
            Assert.Contains("over psk", server.Stdout, StringComparison.Ordinal);
        }

        using var tessera = PeerProcess.StartTessera("s_server", "-accept", "127.0.0.1:0", "-psk", key, "-psk_identity", "device-1", "-nocert", "-naccept", "1");
        int tesseraPort = tessera.WaitForAcceptPort(Bound);
        using var openssl = PeerProcess.StartOpenSsl("s_client", "-connect", $"127.0.0.1:{tesseraPort}", "-psk", key, "-psk_identity", "device-1", "-tls1_3");
        openssl.Stdin.Write("from openssl\n");
        openssl.Stdin.Flush();
        Thread.Sleep(500);
        openssl.Stdin.Close();
        openssl.WaitForExit(Bound);
        Assert.Contains("TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256", openssl.Stdout, StringComparison.Ordinal);
        tessera.WaitForExit(Bound);
        Assert.Contains("PSK identity: device-1", tessera.Stdout, StringComparison.Ordinal);
        Assert.Contains("from openssl", tessera.Stdout, StringComparison.Ordinal);

        // A wrong key: the binder does not verify, and Tessera says decrypt_error.
        using var refusing = PeerProcess.StartTessera("s_server", "-accept", "127.0.0.1:0", "-psk", key, "-psk_identity", "device-1", "-nocert", "-naccept", "1");
        int refusingPort = refusing.WaitForAcceptPort(Bound);
        using var wrong = PeerProcess.StartOpenSsl("s_client", "-connect", $"127.0.0.1:{refusingPort}", "-psk", new string('0', 64), "-psk_identity", "device-1", "-tls1_3");
        wrong.Stdin.Close();
        wrong.WaitForExit(Bound);
        refusing.WaitForExit(Bound);
        Assert.Contains("decrypt_error", refusing.Stderr, StringComparison.Ordinal);
    }
}
