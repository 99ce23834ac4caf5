using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Tessera.Pki;

namespace Tessera.Interop;

/// <summary>
/// A real browser: Debian's headless Chromium (BoringSSL) loads a page from <c>tessera s_server -www</c> over TLS 1.3
/// and the two agree on the post-quantum hybrid X25519MLKEM768, which the page (the server's own report) names.
/// </summary>
[Collection("pem")]
public sealed class BrowserTests(PemFixture pem)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    private static string SpkiHash(string certificatePem)
    {
        using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(certificatePem));
        return Convert.ToBase64String(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));
    }

    [Fact]
    public void ChromiumNegotiatesX25519MLKEM768WithTesseraServer()
    {
        using var server = PeerProcess.StartTessera("s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.EcdsaP256),
            "-key", pem.KeyFile(CertificateKeyType.EcdsaP256), "-www");
        int port = server.WaitForAcceptPort(Bound);
        var profile = Directory.CreateTempSubdirectory("tessera-chromium-");
        try
        {
            using var chromium = PeerProcess.Start("chromium",
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-extensions", $"--user-data-dir={profile.FullName}",
                $"--ignore-certificate-errors-spki-list={SpkiHash(pem.CertFile(CertificateKeyType.EcdsaP256))}",
                "--dump-dom", $"https://localhost:{port}/",
            ]);
            Assert.True(chromium.WaitForExit(Bound) == 0, chromium.Stderr);
            var page = chromium.Stdout;
            Assert.Contains("Tessera s_server -www", page, StringComparison.Ordinal);
            Assert.Contains("Protocol: TLSv1.3", page, StringComparison.Ordinal);
            Assert.Contains("Group: X25519MLKEM768", page, StringComparison.Ordinal);
            Assert.Contains("Server name: localhost", page, StringComparison.Ordinal);
        }
        finally
        {
            profile.Delete(recursive: true);
        }
    }
}
