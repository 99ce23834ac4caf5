using Tessera.Pki;

namespace Tessera.Interop;

/// <summary>
/// <c>gnutls-cli</c> (a second independent implementation) against Tessera's server on 127.0.0.1.
/// (Tessera's client against gnutls-serv is in <see cref="GnuTlsServerTests"/>.)
/// </summary>
[Collection("pem")]
public sealed class GnuTlsClientVsTesseraServerTests(PemFixture pem)
{
    public static TheoryData<CertificateKeyType, string, string> Matrix()
    {
        var data = new TheoryData<CertificateKeyType, string, string>();
        foreach (var key in new[] { CertificateKeyType.EcdsaP256, CertificateKeyType.Rsa2048, CertificateKeyType.Ed25519, CertificateKeyType.RsaPss2048 })
        {
            foreach (var group in new[] { "GROUP-X25519", "GROUP-SECP256R1", "GROUP-SECP384R1" })
            {
                data.Add(key, group, "AES-128-GCM");
            }
        }

        data.Add(CertificateKeyType.EcdsaP256, "GROUP-X25519", "AES-256-GCM");
        data.Add(CertificateKeyType.EcdsaP256, "GROUP-X25519", "CHACHA20-POLY1305");
        return data;
    }

    private TlsServerOptions ServerOptions(CertificateKeyType keyType, Action<TlsServerOptions>? configure = null)
    {
        var options = new TlsServerOptions();
        options.Certificates.Add(pem.Certificates[keyType]);
        configure?.Invoke(options);
        return options;
    }

    private PeerProcess RunClient(int port, string? priority = null, params string[] extra)
    {
        var client = PeerProcess.Start("gnutls-cli",
        [
            "--x509cafile", pem.CaFile, "--sni-hostname", "localhost", "--verify-hostname", "localhost", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            .. priority is null ? Array.Empty<string>() : ["--priority", priority], .. extra, "127.0.0.1",
        ]);
        client.Stdin.Write("hello gnutls\n");
        client.Stdin.Flush();
        client.WaitForExit(TimeSpan.FromSeconds(30));
        return client;
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task GnuTlsCompletesOverEveryCertificateGroupAndSuite(CertificateKeyType keyType, string group, string cipher)
    {
        await using var host = new TesseraServerHost(ServerOptions(keyType));
        using var client = RunClient(host.Port, $"NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+{group}:-CIPHER-ALL:+{cipher}");
        Assert.True(client.ExitCode == 0, client.Stdout + client.Stderr);
        Assert.Contains("Handshake was completed", client.Stdout + client.Stderr, StringComparison.Ordinal);
        Assert.Contains("The certificate is trusted", client.Stdout + client.Stderr, StringComparison.Ordinal);
        Assert.Contains($"({cipher})", client.Stdout + client.Stderr, StringComparison.Ordinal);
        Assert.Contains("got:hello gnutls", client.Stdout, StringComparison.Ordinal);
        var connection = Assert.Single(host.Completed);
        Assert.Equal(TlsProtocolVersion.Tls13, connection.NegotiatedProtocol);
    }

    [Fact]
    public async Task HelloRetryRequestToGnuTls()
    {
        // gnutls-cli sends shares for its first two groups; the server wants the third.
        await using var host = new TesseraServerHost(ServerOptions(CertificateKeyType.EcdsaP256, o => o.Groups = [NamedGroup.Secp256r1]));
        using var client = RunClient(host.Port, "NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP384R1:+GROUP-SECP256R1");
        Assert.True(client.ExitCode == 0, client.Stdout + client.Stderr);
        var connection = Assert.Single(host.Completed);
        Assert.True(connection.WasHelloRetryRequest);
        Assert.Equal(NamedGroup.Secp256r1, connection.NegotiatedGroup);
    }

    [Theory]
    [InlineData("NORMAL")]
    [InlineData("NORMAL:-VERS-ALL:+VERS-TLS1.2")]
    public async Task ClientCertificateFromGnuTls(string priority)
    {
        await using var host = new TesseraServerHost(ServerOptions(CertificateKeyType.EcdsaP256, o =>
        {
            o.RequireClientCertificate = true;
            o.CertificateVerifier = pem.Verifier();
        }));
        using var client = RunClient(host.Port, priority, "--x509certfile", pem.ClientCertFile, "--x509keyfile", pem.ClientKeyFile);
        Assert.True(client.ExitCode == 0, client.Stdout + client.Stderr);
        var connection = Assert.Single(host.Completed);
        Assert.True(connection.PeerCertificateVerified);
        Assert.Equal(priority == "NORMAL" ? TlsProtocolVersion.Tls13 : TlsProtocolVersion.Tls12, connection.NegotiatedProtocol);
    }

    [Theory]
    [InlineData("NORMAL:-VERS-ALL:+VERS-TLS1.2")]
    [InlineData("NORMAL:-VERS-ALL:+VERS-TLS1.2:%NO_TICKETS")]
    public async Task GnuTlsResumesWithTesseraByTicketAndBySessionId(string priority)
    {
        await using var host = new TesseraServerHost(ServerOptions(CertificateKeyType.EcdsaP256));
        using var client = RunClient(host.Port, priority, "--resume");
        Assert.True(client.ExitCode == 0, client.Stdout + client.Stderr);
        Assert.Contains("This is a resumed session", client.Stdout + client.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, host.Completed.Count);
        Assert.False(host.Completed[0].IsResumed);
        Assert.True(host.Completed[1].IsResumed);
    }

    [Fact]
    public async Task Tls12OnlyGnuTlsGetsProtocolVersionFromATls13OnlyServer()
    {
        await using var host = new TesseraServerHost(ServerOptions(CertificateKeyType.EcdsaP256, o => o.MinProtocolVersion = TlsProtocolVersion.Tls13));
        using var client = RunClient(host.Port, "NORMAL:-VERS-ALL:+VERS-TLS1.2");
        Assert.NotEqual(0, client.ExitCode);
        Assert.Contains("protocol", client.Stdout + client.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(AlertDescription.ProtocolVersion, Assert.IsType<TlsException>(Assert.Single(host.Failures)).Alert);
    }
}
