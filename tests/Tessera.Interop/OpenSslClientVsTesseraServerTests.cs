using Tessera.Pki;

namespace Tessera.Interop;

/// <summary><c>openssl s_client</c> against Tessera's server on 127.0.0.1.</summary>
[Collection("pem")]
public sealed class OpenSslClientVsTesseraServerTests(PemFixture pem)
{
    public static TheoryData<CertificateKeyType, string, CipherSuite> Matrix()
    {
        var data = new TheoryData<CertificateKeyType, string, CipherSuite>();
        foreach (var key in new[] { CertificateKeyType.EcdsaP256, CertificateKeyType.Rsa2048, CertificateKeyType.Ed25519 })
        {
            foreach (var group in new[] { "X25519", "P-256", "P-384" })
            {
                foreach (var suite in CipherSuites.Tls13Defaults)
                {
                    data.Add(key, group, suite);
                }
            }
        }

        return data;
    }

    private TlsServerOptions ServerOptions(CertificateKeyType keyType, Action<TlsServerOptions>? configure = null)
    {
        var options = new TlsServerOptions();
        options.Certificates.Add(pem.Certificates[keyType]);
        configure?.Invoke(options);
        return options;
    }

    private PeerProcess RunClient(int port, params string[] extra)
    {
        var client = PeerProcess.StartOpenSsl(
            ["s_client", "-connect", $"127.0.0.1:{port}", "-servername", "localhost", "-CAfile", pem.CaFile, "-verify_return_error", "-ign_eof", .. extra]);
        try
        {
            client.Stdin.Write("hello tessera\n");
            client.Stdin.Flush();
        }
        catch (IOException)
        {
            // A client that failed its handshake may have exited already (broken pipe): its exit code and stderr tell.
        }

        client.WaitForExit(TimeSpan.FromSeconds(30));
        return client;
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task OpenSslCompletesAndExchangesDataOverEveryCertificateGroupAndSuite(CertificateKeyType keyType, string group, CipherSuite suite)
    {
        await using var host = new TesseraServerHost(ServerOptions(keyType));
        using var client = RunClient(host.Port, "-tls1_3", "-groups", group, "-ciphersuites", CipherSuites.Get(suite).Name);
        Assert.True(client.ExitCode == 0, client.Stdout + client.Stderr);
        Assert.Contains("Verify return code: 0 (ok)", client.Stdout, StringComparison.Ordinal);
        Assert.Contains($"TLSv1.3, Cipher is {CipherSuites.Get(suite).Name}", client.Stdout, StringComparison.Ordinal);
        Assert.Contains($"tessera-server TLSv1.3 {suite}", client.Stdout, StringComparison.Ordinal);
        Assert.Contains("got:hello tessera", client.Stdout, StringComparison.Ordinal);
        var connection = Assert.Single(host.Completed);
        Assert.Equal(NamedGroups.FromName(group), connection.NegotiatedGroup);
    }

    [Theory]
    [InlineData(CertificateKeyType.RsaPss2048, "rsa_pss_pss_sha384", "Peer signature type: RSA-PSS")]
    [InlineData(CertificateKeyType.Rsa2048, "rsa_pss_rsae_sha384", "Peer signature type: RSA-PSS")]
    [InlineData(CertificateKeyType.EcdsaP384, "ecdsa_secp384r1_sha384", "Peer signature type: ECDSA")]
    public async Task TesseraSignsWithTheSchemeOpenSslAsksFor(CertificateKeyType keyType, string sigalgs, string expected)
    {
        await using var host = new TesseraServerHost(ServerOptions(keyType, o => o.SignatureSchemes = [.. SignatureSchemes.Tls13HandshakeDefaults.Reverse()]));
        using var client = RunClient(host.Port, "-sigalgs", sigalgs);
        Assert.True(client.ExitCode == 0, client.Stdout + client.Stderr);
        Assert.Contains("Verify return code: 0 (ok)", client.Stdout, StringComparison.Ordinal);
        Assert.Contains(expected, client.Stdout, StringComparison.Ordinal);
        Assert.Contains("Peer signing digest: SHA384", client.Stdout, StringComparison.Ordinal);
        Assert.Equal(sigalgs, Assert.Single(host.Completed).LocalSignatureScheme.ToString());
    }

    [Fact]
    public async Task HelloRetryRequestToOpenSsl()
    {
        await using var host = new TesseraServerHost(ServerOptions(CertificateKeyType.EcdsaP256, o => o.Groups = [NamedGroup.Secp384r1]));
        using var client = RunClient(host.Port, "-groups", "X25519:P-384");
        Assert.True(client.ExitCode == 0, client.Stdout + client.Stderr);
        Assert.Contains("got:hello tessera", client.Stdout, StringComparison.Ordinal);
        var connection = Assert.Single(host.Completed);
        Assert.True(connection.WasHelloRetryRequest);
        Assert.Equal(NamedGroup.Secp384r1, connection.NegotiatedGroup);
    }

    [Fact]
    public async Task AlpnAndSniAsOpenSslSendsThem()
    {
        await using var host = new TesseraServerHost(ServerOptions(CertificateKeyType.EcdsaP256, o => o.ApplicationProtocols = ["h2", "http/1.1"]));
        using var client = RunClient(host.Port, "-alpn", "http/1.1,h2");
        Assert.Contains("ALPN protocol: h2", client.Stdout, StringComparison.Ordinal);
        var connection = Assert.Single(host.Completed);
        Assert.Equal("localhost", connection.ServerName);
        Assert.Equal("h2", connection.NegotiatedApplicationProtocol);
    }

    [Fact]
    public async Task ClientCertificateFromOpenSsl()
    {
        await using var host = new TesseraServerHost(ServerOptions(CertificateKeyType.EcdsaP256, o =>
        {
            o.RequireClientCertificate = true;
            o.CertificateVerifier = pem.Verifier();
        }));
        using var client = RunClient(host.Port, "-cert", pem.ClientCertFile, "-key", pem.ClientKeyFile);
        Assert.Contains("got:hello tessera", client.Stdout, StringComparison.Ordinal);
        var connection = Assert.Single(host.Completed);
        Assert.True(connection.PeerCertificateVerified);
    }

    [Fact]
    public async Task NoCommonGroupGivesOpenSslAHandshakeFailureAlert()
    {
        await using var host = new TesseraServerHost(ServerOptions(CertificateKeyType.EcdsaP256));
        using var client = RunClient(host.Port, "-groups", "X448");
        Assert.NotEqual(0, client.ExitCode);
        Assert.Contains("handshake failure", client.Stderr, StringComparison.OrdinalIgnoreCase);
        var failure = Assert.IsType<TlsException>(Assert.Single(host.Failures));
        Assert.Equal(AlertDescription.HandshakeFailure, failure.Alert);
    }

    [Fact]
    public async Task Tls12OnlyClientGetsProtocolVersionFromATls13OnlyServer()
    {
        await using var host = new TesseraServerHost(ServerOptions(CertificateKeyType.EcdsaP256, o => o.MinProtocolVersion = TlsProtocolVersion.Tls13));
        using var client = RunClient(host.Port, "-tls1_2");
        Assert.NotEqual(0, client.ExitCode);
        Assert.Contains("protocol version", client.Stderr, StringComparison.OrdinalIgnoreCase);
        var failure = Assert.IsType<TlsException>(Assert.Single(host.Failures));
        Assert.Equal(AlertDescription.ProtocolVersion, failure.Alert);
    }
}
