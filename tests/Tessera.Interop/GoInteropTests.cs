using Tessera.Ech;
using Tessera.Pki;

namespace Tessera.Interop;

/// <summary>Go's gotls program (go/gotls.go), built once with Debian's Go 1.23 (bookworm-backports).</summary>
public sealed class GoPeerFixture : IDisposable
{
    public GoPeerFixture()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("tessera-go-").FullName;
        Binary = Path.Combine(Directory, "gotls");
        using var build = PeerProcess.Start("/usr/lib/go-1.23/bin/go", ["build", "-o", Binary, Path.Combine(AppContext.BaseDirectory, "go", "gotls.go")], Directory,
            new Dictionary<string, string> { ["GOTOOLCHAIN"] = "local", ["GOCACHE"] = Path.Combine(Directory, "cache"), ["HOME"] = Directory, ["GOFLAGS"] = "-mod=mod" });
        int exit = build.WaitForExit(TimeSpan.FromMinutes(3));
        if (exit != 0)
        {
            throw new InvalidOperationException($"go build failed: {build.Stdout}{build.Stderr}");
        }
    }

    public string Directory { get; }

    public string Binary { get; }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}

/// <summary>
/// Go 1.23's crypto/tls against Tessera: its client offers the withdrawn X25519Kyber768Draft00 hybrid (which Tessera
/// does not implement: it was replaced by X25519MLKEM768) beside X25519, and gets X25519 without a HelloRetryRequest;
/// Tessera's client offers X25519MLKEM768 (unknown to Go 1.23) beside X25519 and gets X25519; and Go accepts the
/// ECHConfigList `tessera ech keygen` makes.
/// </summary>
[Collection("pem")]
public sealed class GoInteropTests(PemFixture pem, GoPeerFixture go) : IClassFixture<GoPeerFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private string GoClient(params string[] arguments)
    {
        using var client = PeerProcess.Start(go.Binary, ["client", .. arguments]);
        Assert.Equal(0, client.WaitForExit(Bound));
        return client.Stdout.Trim();
    }

    [Fact]
    public void GoClientGetsX25519FromTesseraServer()
    {
        using var server = PeerProcess.StartTessera("s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.EcdsaP256),
            "-key", pem.KeyFile(CertificateKeyType.EcdsaP256), "-www", "-trace");
        int port = server.WaitForAcceptPort(Bound);
        var output = GoClient($"127.0.0.1:{port}", "localhost", pem.CaFile);
        Assert.StartsWith("ok TLS 1.3", output, StringComparison.Ordinal);
        Assert.Matches(@"Group: X25519\s", output);
        Assert.Contains("key_share (51): X25519Kyber768Draft00, 1216 bytes", server.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("HelloRetryRequest", server.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TesseraClientGetsX25519FromGoServer()
    {
        using var server = PeerProcess.Start(go.Binary, ["server", pem.CertFile(CertificateKeyType.EcdsaP256), pem.KeyFile(CertificateKeyType.EcdsaP256)]);
        int port = server.WaitForAcceptPort(Bound);
        await using var client = await TesseraClient.ConnectAsync(port, new TlsClientOptions { ServerName = "localhost", CertificateVerifier = pem.Verifier() });
        Assert.Equal(NamedGroup.X25519, client.Connection.NegotiatedGroup);
        Assert.False(client.Connection.WasHelloRetryRequest);
        await client.WriteAsync("hello go\n"u8.ToArray());
        Assert.Contains("go-server TLS 1.3 TLS_AES_128_GCM_SHA256 got:hello go", await TesseraClient.ReadAllAsync(client), StringComparison.Ordinal);
    }

    [Fact]
    public void GoAcceptsTesseraEchConfigList()
    {
        // A server without ECH whose certificate covers the public name: Go sends ECH, sees it rejected, and says so.
        var certificate = pem.Ca.IssueServerCertificate(["public.example", "localhost"], CertificateKeyType.EcdsaP256);
        var certFile = Path.Combine(go.Directory, "public.pem");
        var keyFile = Path.Combine(go.Directory, "public.key");
        File.WriteAllText(certFile, TestCertificateAuthority.ExportCertificatePem(certificate));
        File.WriteAllText(keyFile, TestCertificateAuthority.ExportPrivateKeyPem(certificate));
        using var server = PeerProcess.StartOpenSsl("s_server", "-accept", "127.0.0.1:0", "-cert", certFile, "-key", keyFile, "-www");
        int port = server.WaitForAcceptPort(Bound);
        using var key = EchServerKey.Generate("public.example");
        Assert.Equal("error tls: server rejected ECH", GoClient($"127.0.0.1:{port}", "localhost", pem.CaFile, Convert.ToBase64String(key.ConfigList)));
        // The control: a list Go cannot parse is named as such.
        Assert.Equal("error tls: malformed ECHConfigList", GoClient($"127.0.0.1:{port}", "localhost", pem.CaFile, Convert.ToBase64String(key.ConfigList.AsSpan(0, 20))));
    }
}
