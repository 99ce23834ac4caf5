using System.Text.RegularExpressions;
using Tessera.Pki;
using Tessera.Pki.X509;

namespace Tessera.Interop;

/// <summary>
/// Stapling and revocation end to end: tessera ca ocsp-serve answers, tessera s_server -status staples, openssl
/// s_client -status and tessera s_client see it; a revoked certificate and a missing Must-Staple staple are refused;
/// the Tessera client takes openssl s_server's -status_file staple.
/// </summary>
public sealed class StaplingInteropTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("tessera-staple-interop-");

    public void Dispose() => _directory.Delete(recursive: true);

    private string P(string name) => Path.Combine(_directory.FullName, name);

    private PeerProcess Cli(params string[] args) =>
        PeerProcess.Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "Tessera.Cli.dll"), .. args], workingDirectory: _directory.FullName);

    private void Run(params string[] args)
    {
        using var process = Cli(args);
        Assert.True(process.WaitForExit(Bound) == 0, $"tessera {string.Join(' ', args)}: {process.Stdout}{process.Stderr}");
    }

    /// <summary>A CA with a running responder and a Must-Staple server certificate that names it.</summary>
    private PeerProcess Setup(int answers)
    {
        Run("ca", "init", "--dir", "ca");
        var responder = Cli("ca", "ocsp-serve", "--dir", P("ca"), "--naccept", answers.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var url = responder.WaitFor(new Regex(@"http://127\.0\.0\.1:\d+/"), Bound).Value;
        Run("ca", "issue", "--dir", "ca", "--san", "localhost", "--ocsp-url", url, "--must-staple", "--out", "server");
        return responder;
    }

    private PeerProcess Serve(params string[] extra)
    {
        var server = Cli(["s_server", "-accept", "127.0.0.1:0", "-cert", P("server.pem"), "-key", P("server-key.pem"), "-naccept", "1", "-quiet", .. extra]);
        return server;
    }

    [Fact]
    public void TesseraStaplesWhatTheResponderSaysAndBothClientsSeeIt()
    {
        using var responder = Setup(answers: 2);
        using (var server = Serve("-status"))
        {
            int port = server.WaitForAcceptPort(Bound);
            using var openssl = PeerProcess.StartOpenSsl("s_client", "-connect", $"127.0.0.1:{port}", "-servername", "localhost", "-CAfile", P("ca/ca.pem"), "-status", "-verify_return_error");
            openssl.Stdin.Write("hi\n");
            openssl.Stdin.Flush();
            Assert.True(openssl.WaitForExit(Bound) == 0, openssl.Stdout + openssl.Stderr);
            Assert.Contains("OCSP Response Status: successful (0x0)", openssl.Stdout, StringComparison.Ordinal);
            Assert.Contains("Cert Status: good", openssl.Stdout, StringComparison.Ordinal);
        }

        using (var server = Serve("-status"))
        {
            int port = server.WaitForAcceptPort(Bound);
            using var ours = Cli("s_client", "-connect", $"127.0.0.1:{port}", "-servername", "localhost", "-CAfile", P("ca/ca.pem"), "-status");
            ours.Stdin.Write("hi\n");
            ours.Stdin.Flush();
            Assert.True(ours.WaitForExit(Bound) == 0, ours.Stdout + ours.Stderr);
            Assert.Contains("Cert Status: good", ours.Stdout, StringComparison.Ordinal);
            Assert.Contains("Verification: OK", ours.Stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ARevokedCertificateIsRefusedAndAMissingMustStapleStapleToo()
    {
        using var responder = Setup(answers: 1);
        Run("ca", "revoke", "--dir", "ca", "--reason", "keyCompromise", P("server.pem"));
        using (var server = Serve("-status"))
        {
            int port = server.WaitForAcceptPort(Bound);
            using var ours = Cli("s_client", "-connect", $"127.0.0.1:{port}", "-servername", "localhost", "-CAfile", P("ca/ca.pem"));
            Assert.Equal(1, ours.WaitForExit(Bound));
            Assert.Contains("certificate_revoked", ours.Stderr, StringComparison.Ordinal);
        }

        using (var server = Serve())
        {
            int port = server.WaitForAcceptPort(Bound);
            using var ours = Cli("s_client", "-connect", $"127.0.0.1:{port}", "-servername", "localhost", "-CAfile", P("ca/ca.pem"));
            Assert.Equal(1, ours.WaitForExit(Bound));
            Assert.Contains("bad_certificate_status_response", ours.Stderr, StringComparison.Ordinal);
            Assert.Contains("Must-Staple", ours.Stderr, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("-tls1_3")]
    [InlineData("-tls1_2")]
    public async Task TesseraTakesOpenSslsStaple(string version)
    {
        Run("ca", "init", "--dir", "ca");
        Run("ca", "issue", "--dir", "ca", "--san", "localhost", "--must-staple", "--out", "server");
        var ca = FileCertificateAuthority.Open(P("ca"));
        var leaf = Certificate.Parse(PemFiles.LoadCertificates(P("server.pem"))[0]);
        await File.WriteAllBytesAsync(P("staple.der"), ca.CreateOcspResponse(OcspCertificateId.For(leaf, Certificate.Parse(ca.CertificateDer)).ToRequest(), TimeSpan.FromDays(1)));
        using var server = PeerProcess.StartOpenSsl("s_server", "-accept", "127.0.0.1:0", "-cert", P("server.pem"), "-key", P("server-key.pem"),
            "-status_file", P("staple.der"), "-www", "-naccept", "1", version);
        int port = server.WaitForAcceptPort();
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        await using var tls = new TlsStream(tcp.GetStream());
        using var timeout = new CancellationTokenSource(Bound);
        await tls.AuthenticateAsClientAsync(new TlsClientOptions
        {
            ServerName = "localhost",
            CertificateVerifier = new X509CertificateVerifier([ca.CertificateDer]),
        }, timeout.Token);
        Assert.Equal(File.ReadAllBytes(P("staple.der")), tls.Connection.PeerOcspResponse);
    }

    [Theory]
    [InlineData("--ocsp-url")]
    [InlineData("--crl-url")]
    public void TesseraClientFetchesRevocationWhenAskedAndRefusesARevokedServer(string how)
    {
        Run("ca", "init", "--dir", "ca");
        using var responder = Cli("ca", "ocsp-serve", "--dir", P("ca"), "--naccept", "2");
        var url = responder.WaitFor(new Regex(@"http://127\.0\.0\.1:\d+/"), Bound).Value + (how == "--crl-url" ? "crl" : "");
        Run("ca", "issue", "--dir", "ca", "--san", "localhost", how, url, "--out", "server");

        string Connect()
        {
            using var server = PeerProcess.StartOpenSsl("s_server", "-accept", "127.0.0.1:0", "-cert", P("server.pem"), "-key", P("server-key.pem"), "-naccept", "1");
            int port = server.WaitForAcceptPort();
            using var ours = Cli("s_client", "-connect", $"127.0.0.1:{port}", "-servername", "localhost", "-CAfile", P("ca/ca.pem"), "-crl_download", "-crl_check");
            ours.Stdin.Write("hi\n");
            ours.Stdin.Close();
            ours.WaitForExit(Bound);
            return ours.Stdout + ours.Stderr;
        }

        Assert.Contains("Verification: OK", Connect(), StringComparison.Ordinal);
        Run("ca", "revoke", "--dir", "ca", P("server.pem"));
        Assert.Contains("certificate_revoked", Connect(), StringComparison.Ordinal);
        Assert.Equal(0, responder.WaitForExit(Bound));
    }
}
