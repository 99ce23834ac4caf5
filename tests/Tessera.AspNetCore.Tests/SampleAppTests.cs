using System.Net.Http;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Tessera.Http;
using Tessera.Interop;
using Tessera.Pki;
using Tessera.Pki.X509;

namespace Tessera.AspNetCore.Tests;

/// <summary>
/// samples/KestrelSample run as its own process on 127.0.0.1 (its throwaway test CA written beside it): headless
/// Chromium loads the page over HTTP/2, TLS 1.3 and X25519MLKEM768; curl (OpenSSL), wget (GnuTLS) and HttpClient over
/// Tessera fetch the same page, each trusting only that CA.
/// </summary>
public sealed partial class SampleAppTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("tessera-sample-");

    [GeneratedRegex(@"LISTENING https://127\.0\.0\.1:(\d+)")]
    private static partial Regex Listening();

    private static string SampleDll()
    {
        // The sample is built beside this project, in the same configuration: bin/<Configuration>/net10.0.
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = output.Parent!.Name;
        var root = output;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Tessera.slnx")))
        {
            root = root.Parent;
        }

        var dll = Path.Combine(root!.FullName, "samples", "KestrelSample", "bin", configuration, output.Name, "KestrelSample.dll");
        Assert.True(File.Exists(dll), $"{dll} is not built");
        return dll;
    }

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public async Task ChromiumCurlWgetAndHttpClient_LoadTheSamplePage()
    {
        using var sample = PeerProcess.Start("dotnet", [SampleDll(), "--port", "0"], _directory.FullName);
        var port = int.Parse(sample.WaitFor(Listening(), Bound).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var caFile = Path.Combine(_directory.FullName, "sample-ca.pem");
        var uri = $"https://localhost:{port}/";

        // HttpClient over Tessera, trusting the sample's CA only; the leaf's key is what Chromium is told to accept.
        var verifier = new X509CertificateVerifier(TrustStore.FromPemFile(caFile));
        using (var client = new HttpClient(new TesseraHttpHandler(new TlsClientOptions { CertificateVerifier = verifier })) { Timeout = Bound })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri) { Version = new Version(2, 0) };
            using var response = await client.SendAsync(request);
            Assert.Contains("<h1>Served through Tessera</h1>", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Equal(2, response.Version.Major);
        }

        byte[] leaf;
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync("127.0.0.1", port);
            await using var tls = new TlsStream(tcp.GetStream());
            await tls.AuthenticateAsClientAsync(new TlsClientOptions { ServerName = "localhost", CertificateVerifier = verifier });
            leaf = tls.PeerCertificateChain[0];
        }

        var spki = Convert.ToBase64String(SHA256.HashData(X509CertificateLoader.LoadCertificate(leaf).PublicKey.ExportSubjectPublicKeyInfo()));
        var profile = _directory.CreateSubdirectory("chromium-profile");
        using (var chromium = PeerProcess.Start("chromium",
        [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-extensions", $"--user-data-dir={profile.FullName}",
            $"--ignore-certificate-errors-spki-list={spki}", "--dump-dom", uri,
        ]))
        {
            Assert.True(chromium.WaitForExit(Bound) == 0, chromium.Stderr);
            Assert.Contains("<h1>Served through Tessera</h1>", chromium.Stdout, StringComparison.Ordinal);
            Assert.Contains("HTTP/2 over Tls13 with TLS_AES_128_GCM_SHA256, key exchange X25519MLKEM768", chromium.Stdout, StringComparison.Ordinal);
        }

        using (var curl = PeerProcess.Start("curl", ["--silent", "--show-error", "--http2", "--cacert", caFile, uri]))
        {
            Assert.True(curl.WaitForExit(Bound) == 0, curl.Stderr);
            Assert.Contains("HTTP/2 over Tls13", curl.Stdout, StringComparison.Ordinal);
        }

        using (var wget = PeerProcess.Start("wget", ["--quiet", "--output-document=-", $"--ca-certificate={caFile}", uri]))
        {
            Assert.True(wget.WaitForExit(Bound) == 0, wget.Stderr);
            Assert.Contains("HTTP/1.1 over Tls13", wget.Stdout, StringComparison.Ordinal);
        }

        // A client that does not trust the sample's CA is refused by curl itself: the check is real.
        using (var untrusting = PeerProcess.Start("curl", ["--silent", "--show-error", "--cacert", "/etc/ssl/certs/ca-certificates.crt", uri]))
        {
            Assert.NotEqual(0, untrusting.WaitForExit(Bound));
        }
    }
}
