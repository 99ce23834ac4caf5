using System.Net;
using System.Net.Sockets;
using System.Text;
using Tessera.Pki;

namespace Tessera.Interop;

/// <summary>TLS 1.3 post-handshake client authentication against openssl s_client -enable_pha.</summary>
[Collection("pem")]
public sealed class PostHandshakeAuthInteropTests(PemFixture pem)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task OpenSslAnswersAPostHandshakeCertificateRequest()
    {
        var options = new TlsServerOptions { CertificateVerifier = pem.Verifier() };
        options.Certificates.Add(pem.Certificates[CertificateKeyType.EcdsaP256]);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var client = PeerProcess.StartOpenSsl("s_client", "-connect", $"127.0.0.1:{port}", "-servername", "localhost", "-CAfile", pem.CaFile,
            "-enable_pha", "-cert", pem.ClientCertFile, "-key", pem.ClientKeyFile, "-tls1_3");
        using var timeout = new CancellationTokenSource(Bound);
        using var accepted = await listener.AcceptTcpClientAsync(timeout.Token);
        await using var tls = new TlsStream(accepted.GetStream());
        await tls.AuthenticateAsServerAsync(options, timeout.Token);
        Assert.Empty(tls.Connection.PeerCertificateChain);

        client.Stdin.Write("before\n");
        client.Stdin.Flush();
        Assert.Equal("before", await ReadLineAsync(tls, timeout.Token));
        await tls.RequestClientCertificateAsync(timeout.Token);
        client.Stdin.Write("after\n");
        client.Stdin.Flush();
        Assert.Equal("after", await ReadLineAsync(tls, timeout.Token));
        Assert.Equal(1, tls.Connection.PostHandshakeAuthentications);
        Assert.True(tls.Connection.PeerCertificateVerified);
        Assert.Equal(PemFiles.LoadCertificates(pem.ClientCertFile)[0], tls.Connection.PeerCertificateChain[0]);
    }

    [Fact]
    public async Task TesseraAnswersOpenSslsPostHandshakeRequest()
    {
        // openssl s_server sends a CertificateRequest after the handshake when "c" is typed on its stdin.
        using var server = PeerProcess.StartOpenSsl("s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.EcdsaP256),
            "-key", pem.KeyFile(CertificateKeyType.EcdsaP256), "-CAfile", pem.CaFile, "-naccept", "1", "-tls1_3");
        int port = server.WaitForAcceptPort();
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        await using var tls = new TlsStream(tcp.GetStream());
        using var timeout = new CancellationTokenSource(Bound);
        await tls.AuthenticateAsClientAsync(new TlsClientOptions
        {
            ServerName = "localhost",
            CertificateVerifier = pem.Verifier(),
            EnablePostHandshakeAuthentication = true,
            ClientCertificate = pem.ClientCertificate,
        }, timeout.Token);
        server.WaitFor(new System.Text.RegularExpressions.Regex("CIPHER is"), Bound);
        server.Stdin.Write("c\n");
        server.Stdin.Flush();
        await Task.Delay(TimeSpan.FromSeconds(1), timeout.Token);   // openssl acts on a command only when it is the whole read
        server.Stdin.Write("pong\n");
        server.Stdin.Flush();
        Assert.Equal("pong", await ReadLineAsync(tls, timeout.Token));   // the read answers the request on the way
        Assert.Equal(1, tls.Connection.PostHandshakeAuthentications);
        server.WaitFor(new System.Text.RegularExpressions.Regex("CN = interop client(.|\n)*verify return:1"), Bound, inStderr: true);   // openssl's verify lines go to stderr
    }

    private static async Task<string> ReadLineAsync(TlsStream tls, CancellationToken cancellationToken)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (await tls.ReadAsync(one, cancellationToken) == 1 && one[0] != '\n')
        {
            line.Append((char)one[0]);
        }

        return line.ToString();
    }
}
