using System.Net.Sockets;
using System.Text;
using Tessera.Pki;

namespace Tessera.Interop;

/// <summary>The legacy TLS 1.2 set (opt-in) against openssl on 127.0.0.1, both directions, with and without encrypt_then_mac.</summary>
[Collection("pem")]
public sealed class Tls12LegacyInteropTests(PemFixture pem)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    public static TheoryData<CipherSuite, bool> Matrix()
    {
        var data = new TheoryData<CipherSuite, bool>();
        foreach (var suite in CipherSuites.Legacy)
        {
            data.Add(suite, true);
            if (CipherSuites.Get(suite).IsCbc)
            {
                data.Add(suite, false);
            }
        }

        return data;
    }

    private static CertificateKeyType KeyFor(CipherSuite suite) =>
        CipherSuites.Get(suite).Authentication == SuiteAuthentication.Ecdsa ? CertificateKeyType.EcdsaP256 : CertificateKeyType.Rsa2048;

    // OpenSSL 3 puts the SHA-1 and CBC suites at security level 0-1 for some builds; SECLEVEL=0 keeps the test about the protocol.
    private static string OpenSslCipher(CipherSuite suite) => CipherSuites.Get(suite).OpenSslName + ":@SECLEVEL=0";

    /// <summary>openssl's own encoding of an RFC 7919 group, for s_server -dhparam (its default DHE group is RFC 3526's, which Tessera refuses).</summary>
    private string DhParamFile(string group)
    {
        var file = Path.Combine(pem.Directory, $"{group}-{Guid.NewGuid():N}.pem");
        using var generate = PeerProcess.StartOpenSsl("genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "group:" + group, "-out", file);
        Assert.True(generate.WaitForExit(Bound) == 0, generate.Stderr);
        return file;
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task TesseraClientAgainstOpenSslServer(CipherSuite suite, bool etm)
    {
        var key = KeyFor(suite);
        string[] noEtm = etm ? [] : ["-no_etm"];
        string[] dhParam = CipherSuites.Get(suite).KeyExchange == TlsKeyExchange.Dhe ? ["-dhparam", DhParamFile("ffdhe2048")] : [];
        using var server = PeerProcess.StartOpenSsl(["s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(key), "-key", pem.KeyFile(key),
            "-tls1_2", "-www", "-naccept", "1", "-cipher", OpenSslCipher(suite), .. noEtm, .. dhParam]);
        int port = server.WaitForAcceptPort();
        var options = new TlsClientOptions
        {
            ServerName = "localhost",
            CertificateVerifier = pem.Verifier(),
            CipherSuites = [suite],
            Legacy = CipherSuites.Get(suite).RequiredLegacy,
        };
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port).WaitAsync(Bound);
        await using var tls = new TlsStream(tcp.GetStream());
        using var timeout = new CancellationTokenSource(Bound);
        await tls.AuthenticateAsClientAsync(options, timeout.Token);
        Assert.Equal(suite, tls.NegotiatedCipherSuite);
        Assert.Equal(etm && CipherSuites.Get(suite).IsCbc, tls.Connection.EncryptThenMac);
        if (CipherSuites.Get(suite).KeyExchange == TlsKeyExchange.Dhe)
        {
            Assert.Equal(NamedGroup.Ffdhe2048, tls.NegotiatedGroup);   // recognised byte for byte from openssl's parameters
        }

        await tls.WriteAsync("GET / HTTP/1.0\r\n\r\n"u8.ToArray(), timeout.Token);
        var page = new MemoryStream();
        await tls.CopyToAsync(page, timeout.Token);
        Assert.Contains($"Cipher is {CipherSuites.Get(suite).OpenSslName}", Encoding.UTF8.GetString(page.ToArray()), StringComparison.Ordinal);
    }

    public static TheoryData<string, CipherSuite> OldVersions()
    {
        var data = new TheoryData<string, CipherSuite>();
        foreach (var version in new[] { "tls1", "tls1_1" })
        {
            foreach (var suite in new[] { CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, CipherSuite.TLS_DHE_RSA_WITH_AES_256_CBC_SHA, CipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA })
            {
                data.Add(version, suite);
            }
        }

        return data;
    }

    private static TlsProtocolVersion VersionOf(string openSslFlag) => openSslFlag == "tls1" ? TlsProtocolVersion.Tls10 : TlsProtocolVersion.Tls11;

    [Theory]
    [MemberData(nameof(OldVersions))]
    public async Task TesseraClientSpeaksTls10And11ToOpenSsl(string version, CipherSuite suite)
    {
        var key = KeyFor(suite);
        string[] dhParam = CipherSuites.Get(suite).KeyExchange == TlsKeyExchange.Dhe ? ["-dhparam", DhParamFile("ffdhe2048")] : [];
        using var server = PeerProcess.StartOpenSsl(["s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(key), "-key", pem.KeyFile(key),
            "-" + version, "-www", "-naccept", "1", "-cipher", OpenSslCipher(suite), .. dhParam]);
        int port = server.WaitForAcceptPort();
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port).WaitAsync(Bound);
        await using var tls = new TlsStream(tcp.GetStream());
        using var timeout = new CancellationTokenSource(Bound);
        await tls.AuthenticateAsClientAsync(new TlsClientOptions
        {
            ServerName = "localhost",
            CertificateVerifier = pem.Verifier(),
            CipherSuites = [suite],
            Legacy = LegacyPolicy.All,
            MinProtocolVersion = TlsProtocolVersion.Tls10,
        }, timeout.Token);
        Assert.Equal(VersionOf(version), tls.NegotiatedProtocol);
        Assert.Equal(suite, tls.NegotiatedCipherSuite);
        await tls.WriteAsync("GET / HTTP/1.0\r\n\r\n"u8.ToArray(), timeout.Token);
        var page = new MemoryStream();
        await tls.CopyToAsync(page, timeout.Token);
        var text = Encoding.UTF8.GetString(page.ToArray());
        Assert.Contains($"Cipher is {CipherSuites.Get(suite).OpenSslName}", text, StringComparison.Ordinal);
        Assert.Contains($"Protocol  : {VersionOf(version).ToDisplayName()}", text, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(OldVersions))]
    public async Task OpenSslSpeaksTls10And11ToTesseraWithAClientCertificate(string version, CipherSuite suite)
    {
        var options = new TlsServerOptions
        {
            Legacy = LegacyPolicy.All,
            MinProtocolVersion = TlsProtocolVersion.Tls10,
            RequireClientCertificate = true,
            CertificateVerifier = pem.Verifier(),
        };
        options.Certificates.Add(pem.Certificates[KeyFor(suite)]);
        await using var host = new TesseraServerHost(options);
        using var client = PeerProcess.StartOpenSsl("s_client", "-connect", $"127.0.0.1:{host.Port}", "-servername", "localhost", "-CAfile", pem.CaFile,
            "-verify_return_error", "-ign_eof", "-" + version, "-cipher", OpenSslCipher(suite), "-cert", pem.ClientCertFile, "-key", pem.ClientKeyFile);
        client.Stdin.Write("old but sound\n");
        client.Stdin.Flush();
        Assert.True(client.WaitForExit(Bound) == 0, client.Stdout + client.Stderr);
        Assert.Contains($"Protocol  : {VersionOf(version).ToDisplayName()}", client.Stdout, StringComparison.Ordinal);
        Assert.Contains("got:old but sound", client.Stdout, StringComparison.Ordinal);
        var connection = Assert.Single(host.Completed);
        Assert.Equal(VersionOf(version), connection.NegotiatedProtocol);
        Assert.True(connection.PeerCertificateVerified);
        Assert.Equal(SignatureScheme.ecdsa_sha1, connection.PeerSignatureScheme);   // the interop client key is ECDSA: SHA-1, no algorithm field
    }

    [Theory]
    [InlineData("tls1")]
    [InlineData("tls1_1")]
    public async Task ADefaultTesseraServerRefusesOpenSslAtTls10And11(string version)
    {
        var options = new TlsServerOptions();
        options.Certificates.Add(pem.Certificates[CertificateKeyType.Rsa2048]);
        await using var host = new TesseraServerHost(options);
        using var client = PeerProcess.StartOpenSsl("s_client", "-connect", $"127.0.0.1:{host.Port}", "-servername", "localhost", "-" + version,
            "-cipher", "ALL:@SECLEVEL=0");
        Assert.NotEqual(0, client.WaitForExit(Bound));
        Assert.Contains("protocol version", client.Stdout + client.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-tls1_2", "TLSv1.2")]
    [InlineData("-tls1_1", "TLSv1.1")]
    [InlineData("-tls1", "TLSv1")]
    public async Task OpenSslOfferingEverythingGetsTheBestTheVersionAllows(string version, string expected)
    {
        var options = new TlsServerOptions { Legacy = LegacyPolicy.All, MinProtocolVersion = TlsProtocolVersion.Tls10 };
        options.Certificates.Add(pem.Certificates[CertificateKeyType.EcdsaP256]);
        await using var host = new TesseraServerHost(options);
        using var client = PeerProcess.StartOpenSsl("s_client", "-connect", $"127.0.0.1:{host.Port}", "-servername", "localhost", "-CAfile", pem.CaFile,
            "-verify_return_error", "-ign_eof", version, "-cipher", "ALL:@SECLEVEL=0");
        client.Stdin.Write("all\n");
        client.Stdin.Flush();
        Assert.True(client.WaitForExit(Bound) == 0, client.Stdout + client.Stderr);
        Assert.Contains($"Protocol  : {expected}", client.Stdout, StringComparison.Ordinal);
        var connection = Assert.Single(host.Completed);
        var suite = CipherSuites.Get(connection.NegotiatedCipherSuite!.Value);
        // In TLS 1.2 the modern AEAD suites still win; before it, the best is ECDHE with CBC (and encrypt-then-MAC).
        Assert.Equal(version == "-tls1_2", suite.RequiredLegacy == LegacyPolicy.None);
        Assert.Equal(TlsKeyExchange.Ecdhe, suite.KeyExchange);
    }

    [Fact]
    public async Task OpenSslsDefaultDhGroupIsRefusedAsNotRfc7919()
    {
        // openssl picks an RFC 3526 MODP prime when given no -dhparam; like rustls, Tessera accepts only the RFC 7919 groups.
        const CipherSuite suite = CipherSuite.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256;
        using var server = PeerProcess.StartOpenSsl("s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.Rsa2048),
            "-key", pem.KeyFile(CertificateKeyType.Rsa2048), "-tls1_2", "-www", "-naccept", "1", "-cipher", OpenSslCipher(suite));
        int port = server.WaitForAcceptPort();
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port).WaitAsync(Bound);
        await using var tls = new TlsStream(tcp.GetStream());
        using var timeout = new CancellationTokenSource(Bound);
        var error = await Assert.ThrowsAsync<TlsException>(() => tls.AuthenticateAsClientAsync(new TlsClientOptions
        {
            ServerName = "localhost",
            CertificateVerifier = pem.Verifier(),
            CipherSuites = [suite],
            Legacy = LegacyPolicy.DheKeyExchange,
        }, timeout.Token));
        Assert.Equal(AlertDescription.InsufficientSecurity, error.Alert);
        Assert.Contains("not one of the RFC 7919 groups", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task OpenSslClientAgainstTesseraServer(CipherSuite suite, bool etm)
    {
        var options = new TlsServerOptions { Legacy = CipherSuites.Get(suite).RequiredLegacy };
        options.Certificates.Add(pem.Certificates[KeyFor(suite)]);
        await using var host = new TesseraServerHost(options);
        string[] noEtm = etm ? [] : ["-no_etm"];
        using var client = PeerProcess.StartOpenSsl(["s_client", "-connect", $"127.0.0.1:{host.Port}", "-servername", "localhost", "-CAfile", pem.CaFile,
            "-verify_return_error", "-ign_eof", "-tls1_2", "-cipher", OpenSslCipher(suite), .. noEtm]);
        var payload = string.Concat(Enumerable.Repeat("legacy data ", 250));
        client.Stdin.Write(payload + "\n");
        client.Stdin.Flush();
        Assert.True(client.WaitForExit(Bound) == 0, client.Stdout + client.Stderr);
        // openssl's "New, TLSvX" names the version that introduced the suite (1.0 for the SHA-1 ones); the session line says what was negotiated.
        Assert.Contains($", Cipher is {CipherSuites.Get(suite).OpenSslName}\n", client.Stdout, StringComparison.Ordinal);
        Assert.Contains("Protocol  : TLSv1.2", client.Stdout, StringComparison.Ordinal);
        Assert.Contains("got:" + payload[..100], client.Stdout, StringComparison.Ordinal);
        var connection = Assert.Single(host.Completed);
        Assert.Equal(suite, connection.NegotiatedCipherSuite);
        Assert.Equal(etm && CipherSuites.Get(suite).IsCbc, connection.EncryptThenMac);
    }
}
