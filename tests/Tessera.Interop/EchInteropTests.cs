using Tessera.Ech;
using Tessera.Pki;

namespace Tessera.Interop;

/// <summary>
/// Encrypted Client Hello over loopback: Go 1.23's crypto/tls ECH client (an independent implementation) against
/// <c>tessera s_server -ech_key</c> (accepted, accepted through a HelloRetryRequest, rejected with retry configurations);
/// <c>tessera s_client -ech_config</c> against Tessera's server (with the automatic retry) and against openssl s_server,
/// which has no ECH (rejected, public name authenticated, one line and exit 1); GREASE; bad -ech_config input.
/// </summary>
[Collection("pem")]
public sealed class EchInteropTests(PemFixture pem, GoPeerFixture go) : IClassFixture<GoPeerFixture>
{
    private const string PublicName = "public.example";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    /// <summary>A certificate for both the public name and localhost (the inner name), written as PEM files.</summary>
    private (string Cert, string Key) Certificate()
    {
        var certificate = pem.Ca.IssueServerCertificate([PublicName, "localhost"], CertificateKeyType.EcdsaP256);
        var name = Guid.NewGuid().ToString("N");
        var certFile = Path.Combine(pem.Directory, $"ech-{name}.pem");
        var keyFile = Path.Combine(pem.Directory, $"ech-{name}.key");
        File.WriteAllText(certFile, TestCertificateAuthority.ExportCertificatePem(certificate));
        File.WriteAllText(keyFile, TestCertificateAuthority.ExportPrivateKeyPem(certificate));
        return (certFile, keyFile);
    }

    private string KeyFile(EchServerKey key)
    {
        var path = Path.Combine(pem.Directory, $"ech-key-{Guid.NewGuid():N}.pem");
        File.WriteAllText(path, key.ToPem());
        return path;
    }

    private PeerProcess TesseraServer(EchServerKey[] keys, params string[] extra)
    {
        var (cert, key) = Certificate();
        string[] echArguments = [.. keys.SelectMany(k => new[] { "-ech_key", KeyFile(k) })];
        return PeerProcess.StartTessera(["s_server", "-accept", "127.0.0.1:0", "-cert", cert, "-key", key, "-www", "-trace", .. echArguments, .. extra]);
    }

    private string GoClient(int port, byte[] configList)
    {
        using var client = PeerProcess.Start(go.Binary, ["client", $"127.0.0.1:{port}", "localhost", pem.CaFile, Convert.ToBase64String(configList)]);
        Assert.Equal(0, client.WaitForExit(Bound));
        return client.Stdout.Trim();
    }

    [Fact]
    public void GoEchClientIsAcceptedByTesseraServer()
    {
        using var key = EchServerKey.Generate(PublicName);
        using var server = TesseraServer([key]);
        int port = server.WaitForAcceptPort(Bound);
        var output = GoClient(port, key.ConfigList);
        Assert.StartsWith("ok TLS 1.3 ech=true", output, StringComparison.Ordinal);
        Assert.Contains("ECH: accepted", output, StringComparison.Ordinal);
        Assert.Contains("Server name: localhost", output, StringComparison.Ordinal);
        // The trace shows the outer hello (public name) and the inner hello it decrypted (the real name).
        var trace = server.Stdout;
        int outer = trace.IndexOf("[client → server] ClientHello", StringComparison.Ordinal);
        int inner = trace.IndexOf("decrypted from the ClientHello above] ClientHelloInner", StringComparison.Ordinal);
        Assert.True(outer >= 0 && inner > outer, trace);
        Assert.Contains(PublicName, trace[outer..inner], StringComparison.Ordinal);
        Assert.DoesNotContain("localhost", trace[outer..inner], StringComparison.Ordinal);
        Assert.Contains("localhost", trace[inner..], StringComparison.Ordinal);
    }

    [Fact]
    public void GoEchClientIsAcceptedThroughAHelloRetryRequest()
    {
        // Go 1.23 sends X25519 shares only; a server that wants P-384 asks again, and confirms ECH in the HelloRetryRequest.
        // (With ECH accepted the server sends no cookie, RFC 9849 §10.8; Go 1.23 would compress it out of its second
        // inner hello without copying it into the outer one, which §5.1 makes illegal_parameter.)
        using var key = EchServerKey.Generate(PublicName);
        using var server = TesseraServer([key], "-groups", "P-384");
        int port = server.WaitForAcceptPort(Bound);
        var output = GoClient(port, key.ConfigList);
        Assert.StartsWith("ok TLS 1.3 ech=true", output, StringComparison.Ordinal);
        Assert.Contains("HelloRetryRequest: yes", output, StringComparison.Ordinal);
        Assert.Contains("Group: P-384", output, StringComparison.Ordinal);
    }

    [Fact]
    public void GoWithAStaleConfigIsRejectedAfterAuthenticatingThePublicName()
    {
        using var stale = EchServerKey.Generate(PublicName, configId: 3);
        using var current = EchServerKey.Generate(PublicName, configId: 4);
        using var server = TesseraServer([current]);
        int port = server.WaitForAcceptPort(Bound);
        // Go 1.23 looks for retry configurations in the ServerHello rather than in EncryptedExtensions (RFC 9849 §5),
        // so it reports the rejection without them; Tessera's server sent them where the RFC puts them.
        Assert.Equal("error tls: server rejected ECH", GoClient(port, stale.ConfigList));
        server.WaitFor(new System.Text.RegularExpressions.Regex("alert: ech_required"), Bound);   // Go may exit before the server has printed it
        int ee = server.Stdout.IndexOf("[server → client] EncryptedExtensions", StringComparison.Ordinal);
        Assert.True(ee >= 0);
        Assert.Contains("encrypted_client_hello (65037): retry_configs", server.Stdout[ee..], StringComparison.Ordinal);
    }

    [Fact]
    public void TesseraClientAndServerOverLoopbackWithTheAutomaticRetry()
    {
        using var stale = EchServerKey.Generate(PublicName, configId: 1);
        using var current = EchServerKey.Generate(PublicName, configId: 2);
        using var server = TesseraServer([current]);
        int port = server.WaitForAcceptPort(Bound);
        using (var client = PeerProcess.StartTessera("s_client", "-connect", $"127.0.0.1:{port}", "-servername", "localhost", "-CAfile", pem.CaFile,
            "-ech_config", Convert.ToBase64String(current.ConfigList), "-trace", "-ign_eof"))
        {
            Get(client);
            Assert.Equal(0, client.WaitForExit(Bound));
            Assert.Contains("ECH: accepted", client.Stdout[client.Stdout.IndexOf("HTTP/1.0 200", StringComparison.Ordinal)..], StringComparison.Ordinal);   // the server's page says so too
            Assert.Contains("ECH: accepted", client.Stdout, StringComparison.Ordinal);
            Assert.Contains("encrypted into the next ClientHello's encrypted_client_hello] ClientHelloInner", client.Stderr, StringComparison.Ordinal);
        }

        var staleFile = Path.Combine(pem.Directory, $"stale-{Guid.NewGuid():N}.pem");
        File.WriteAllText(staleFile, stale.ToPem());   // a key file works as -ech_config too: its ECHCONFIG block is read
        using var retried = PeerProcess.StartTessera("s_client", "-connect", $"127.0.0.1:{port}", "-servername", "localhost", "-CAfile", pem.CaFile,
            "-ech_config", staleFile, "-ign_eof");
        Get(retried);
        Assert.Equal(0, retried.WaitForExit(Bound));
        Assert.Contains("sent retry configurations; connecting again with them", retried.Stderr, StringComparison.Ordinal);
        Assert.Contains("ECH: accepted", retried.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void AgainstOpenSslWithoutEchTheClientAuthenticatesThePublicNameAndStops()
    {
        var (cert, key) = Certificate();
        using var server = PeerProcess.StartOpenSsl("s_server", "-accept", "127.0.0.1:0", "-cert", cert, "-key", key, "-www");
        int port = server.WaitForAcceptPort(Bound);
        using var echKey = EchServerKey.Generate(PublicName);
        using (var client = PeerProcess.StartTessera("s_client", "-connect", $"127.0.0.1:{port}", "-servername", "localhost", "-CAfile", pem.CaFile,
            "-ech_config", Convert.ToBase64String(echKey.ConfigList), "-ign_eof"))
        {
            Assert.Equal(1, client.WaitForExit(Bound));
            var line = Assert.Single(client.Stderr.Trim().Split('\n'));
            Assert.Contains("ech_required", line, StringComparison.Ordinal);
            Assert.Contains("sent no retry configurations", line, StringComparison.Ordinal);
        }

        // GREASE: openssl ignores the unknown extension and the connection is normal.
        using var grease = PeerProcess.StartTessera("s_client", "-connect", $"127.0.0.1:{port}", "-servername", "localhost", "-CAfile", pem.CaFile, "-ech_grease", "-ign_eof");
        Get(grease);
        Assert.Equal(0, grease.WaitForExit(Bound));
        Assert.Contains("ECH: GREASE", grease.Stdout, StringComparison.Ordinal);
    }

    /// <summary>Asks the -www server for its page; it answers and closes, which ends s_client -ign_eof.</summary>
    private static void Get(PeerProcess client)
    {
        client.Stdin.Write("GET / HTTP/1.0\r\n\r\n");
        client.Stdin.Flush();
    }

    [Theory]
    [InlineData("not*base64", "-ech_config: the argument (neither a file nor base64): not base64")]
    [InlineData("AAQBAgME", "-ech_config: not an ECHConfigList:")]
    public void BadEchConfigIsOneLine(string value, string expected)
    {
        using var client = PeerProcess.StartTessera("s_client", "-connect", "127.0.0.1:9", "-ech_config", value);
        Assert.Equal(1, client.WaitForExit(Bound));
        Assert.StartsWith("tessera: " + expected, client.Stderr.Trim(), StringComparison.Ordinal);
        Assert.Single(client.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public void ABadEchKeyFileIsOneLine()
    {
        var bad = Path.Combine(pem.Directory, $"bad-ech-{Guid.NewGuid():N}.pem");
        File.WriteAllText(bad, "-----BEGIN ECHCONFIG-----\nAAAA\n-----END ECHCONFIG-----\n");
        var (cert, key) = Certificate();
        using var server = PeerProcess.StartTessera("s_server", "-accept", "127.0.0.1:0", "-cert", cert, "-key", key, "-ech_key", bad);
        Assert.Equal(1, server.WaitForExit(Bound));
        Assert.StartsWith("tessera: ", server.Stderr.Trim(), StringComparison.Ordinal);
        Assert.Single(server.Stderr.Trim().Split('\n'));
    }
}
