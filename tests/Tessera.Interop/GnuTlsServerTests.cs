using System.Net.Sockets;
using System.Text;
using Tessera.Pki;

namespace Tessera.Interop;

/// <summary>Tessera's client against gnutls-serv (an independent implementation): full and resumed handshakes, client certificates.</summary>
[Collection("pem")]
public sealed class GnuTlsServerTests(PemFixture pem)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private (PeerProcess Server, int Port) Serve(CertificateKeyType key, params string[] extra) =>
        PeerProcess.StartGnuTlsServer(["--http", "--x509certfile", pem.CertFile(key), "--x509keyfile", pem.KeyFile(key), .. extra]);

    private static async Task<(TlsConnection Connection, string Page)> GetAsync(int port, TlsClientOptions options)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port).WaitAsync(Bound);
        await using var tls = new TlsStream(tcp.GetStream());
        using var timeout = new CancellationTokenSource(Bound);
        await tls.AuthenticateAsClientAsync(options, timeout.Token);
        await tls.WriteAsync("GET / HTTP/1.0\r\n\r\n"u8.ToArray(), timeout.Token);
        var page = new MemoryStream();
        try
        {
            await tls.CopyToAsync(page, timeout.Token);
        }
        catch (IOException)
        {
            // gnutls-serv's HTTP mode may close the socket without close_notify after the page; the page is complete.
        }

        return (tls.Connection, Encoding.UTF8.GetString(page.ToArray()));
    }

    private TlsClientOptions Client(Action<TlsClientOptions>? configure = null)
    {
        var options = new TlsClientOptions { ServerName = "localhost", CertificateVerifier = pem.Verifier() };
        configure?.Invoke(options);
        return options;
    }

    [Theory]
    [InlineData(CertificateKeyType.EcdsaP256, TlsProtocolVersion.Tls13)]
    [InlineData(CertificateKeyType.Rsa2048, TlsProtocolVersion.Tls13)]
    [InlineData(CertificateKeyType.EcdsaP256, TlsProtocolVersion.Tls12)]
    [InlineData(CertificateKeyType.Rsa2048, TlsProtocolVersion.Tls12)]
    [InlineData(CertificateKeyType.Ed25519, TlsProtocolVersion.Tls12)]
    public async Task TesseraClientGetsAPageFromGnuTls(CertificateKeyType key, TlsProtocolVersion version)
    {
        var (server, port) = Serve(key);
        using var _ = server;
        var (connection, page) = await GetAsync(port, Client(o => o.MaxProtocolVersion = version));
        Assert.Equal(version, connection.NegotiatedProtocol);
        Assert.True(connection.PeerCertificateVerified);
        Assert.Contains(version == TlsProtocolVersion.Tls13 ? "TLS1.3" : "TLS1.2", page, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task TesseraResumesWithGnuTlsByTicketAndBySessionId(bool tickets)
    {
        var (server, port) = Serve(CertificateKeyType.EcdsaP256);
        using var _ = server;
        var first = await GetAsync(port, Client(o => { o.MaxProtocolVersion = TlsProtocolVersion.Tls12; o.EnableSessionTickets = tickets; }));
        var session = first.Connection.Session ?? throw new InvalidOperationException("gnutls-serv gave no resumable session");
        Assert.Equal(tickets, session.Ticket.Length > 0);
        var second = await GetAsync(port, Client(o => { o.MaxProtocolVersion = TlsProtocolVersion.Tls12; o.EnableSessionTickets = tickets; o.ResumeSession = session; }));
        Assert.True(second.Connection.IsResumed);
        Assert.Contains("TLS1.2", second.Page, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(TlsProtocolVersion.Tls13)]
    [InlineData(TlsProtocolVersion.Tls12)]
    public async Task GnuTlsRequiringAClientCertificateGetsOurs(TlsProtocolVersion version)
    {
        var (server, port) = Serve(CertificateKeyType.Rsa2048, "--require-client-cert", "--verify-client-cert", "--x509cafile", pem.CaFile);
        using var _ = server;
        var (connection, page) = await GetAsync(port, Client(o => { o.MaxProtocolVersion = version; o.ClientCertificate = pem.ClientCertificate; }));
        Assert.Equal(version, connection.NegotiatedProtocol);
        Assert.Contains("interop client", page, StringComparison.Ordinal);   // gnutls-serv shows the peer certificate it verified
    }

    [Fact]
    public async Task TesseraRefusesGnuTlsWhenTheCertificateIsNotTrusted()
    {
        var (server, port) = Serve(CertificateKeyType.EcdsaP256);
        using var _ = server;
        var error = await Assert.ThrowsAsync<TlsException>(() => GetAsync(port, Client(o => o.CertificateVerifier = new X509CertificateVerifier([]))));
        Assert.Equal(AlertDescription.UnknownCa, error.Alert);
    }
}
