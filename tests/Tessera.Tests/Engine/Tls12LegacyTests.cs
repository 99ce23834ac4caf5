using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Tessera.Messages;
using Tessera.Pki;

namespace Tessera.Tests.Engine;

/// <summary>The legacy TLS 1.2 set: never offered or accepted by default, complete and correct when <see cref="TlsOptions.Legacy"/> allows it.</summary>
public sealed class Tls12LegacyTests
{
    public static TheoryData<CipherSuite> LegacySuites()
    {
        var data = new TheoryData<CipherSuite>();
        foreach (var suite in CipherSuites.Legacy)
        {
            data.Add(suite);
        }

        return data;
    }

    private static CertificateKeyType KeyFor(CipherSuite suite) =>
        CipherSuites.Get(suite).Authentication == SuiteAuthentication.Ecdsa ? CertificateKeyType.EcdsaP256 : CertificateKeyType.Rsa2048;

    [Theory]
    [MemberData(nameof(LegacySuites))]
    public void EveryLegacySuiteCompletesFullAndResumedWhenAllowed(CipherSuite suite)
    {
        var info = CipherSuites.Get(suite);
        var server = TestCerts.ServerOptions(KeyFor(suite), o => o.Legacy = info.RequiredLegacy);
        Sessions.TlsSession? session = null;
        for (int round = 0; round < 2; round++)
        {
            using var loop = new Loopback(
                TestCerts.ClientOptions(o => { o.CipherSuites = [suite]; o.Legacy = info.RequiredLegacy; o.ResumeSession = session; }), server);
            loop.Handshake();
            foreach (var side in new[] { loop.Client, loop.Server })
            {
                Assert.Equal(TlsProtocolVersion.Tls12, side.NegotiatedProtocol);
                Assert.Equal(suite, side.NegotiatedCipherSuite);
                Assert.Equal(info.IsCbc, side.EncryptThenMac);
                Assert.Equal(round == 1, side.IsResumed);
                Assert.Equal(info.KeyExchange == TlsKeyExchange.Rsa || round == 1 ? null : NamedGroup.X25519, side.NegotiatedGroup);
            }

            var data = RandomNumberGenerator.GetBytes(40_000);
            Assert.Equal(data, Loopback.Send(loop.Client, loop.Server, data));
            Assert.Equal(data, Loopback.Send(loop.Server, loop.Client, data));
            session = loop.Client.Session;
        }
    }

    [Theory]
    [MemberData(nameof(LegacySuites))]
    public void ALegacySuiteIsNeitherOfferedNorAcceptedByDefault(CipherSuite suite)
    {
        var info = CipherSuites.Get(suite);

        // The client lists it but did not opt in: nothing usable is offered.
        using (var loop = new Loopback(TestCerts.ClientOptions(o => o.CipherSuites = [suite]), TestCerts.ServerOptions(KeyFor(suite), o => o.Legacy = LegacyPolicy.All)))
        {
            Assert.Equal(AlertDescription.InternalError, Assert.Throws<TlsException>(() => loop.Pump()).Alert);
        }

        // The client opts in, the server does not: no suite in common.
        using (var loop = new Loopback(
            TestCerts.ClientOptions(o => { o.CipherSuites = [suite]; o.Legacy = info.RequiredLegacy; }),
            TestCerts.ServerOptions(KeyFor(suite), o => o.CipherSuites = [.. CipherSuites.Defaults, suite])))
        {
            Assert.Equal(AlertDescription.HandshakeFailure, Assert.Throws<TlsException>(() => loop.Pump()).Alert);
        }
    }

    [Theory]
    [InlineData("bad padding")]
    [InlineData("bad length")]
    [InlineData("bad version")]
    [InlineData("other secret")]
    public async Task ABadRsaPreMasterSecretLooksExactlyLikeAnyOtherWrongSecret(string kind)
    {
        // RFC 5246 §7.4.7.1: whatever is wrong with the encrypted premaster secret, the server goes on with
        // a random one and the first thing to fail is the client's Finished record: bad_record_mac, one reason.
        const CipherSuite suite = CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256;
        var serverOptions = TestCerts.ServerOptions(CertificateKeyType.Rsa2048, o => o.Legacy = LegacyPolicy.RsaKeyExchange);
        using var client = TlsConnection.CreateClient(TestCerts.ClientOptions(o => { o.CipherSuites = [suite]; o.Legacy = LegacyPolicy.RsaKeyExchange; }));
        using var server = TlsConnection.CreateServer(serverOptions);
        client.Start();
        server.ReceiveBytes(Wire.TakeOutput(client));
        client.ReceiveBytes(Wire.TakeOutput(server));
        var flight = Wire.Split(Wire.TakeOutput(client));   // ClientKeyExchange, ChangeCipherSpec, Finished
        Assert.Equal(3, flight.Count);

        using var certificate = X509CertificateLoader.LoadCertificate(TestCerts.Server(CertificateKeyType.Rsa2048).Chain[0]);
        using var rsa = certificate.GetRSAPublicKey()!;
        var secret = RandomNumberGenerator.GetBytes(48);
        secret[0] = 3;
        secret[1] = 3;
        byte[] encrypted = kind switch
        {
            "bad padding" => [0, .. RandomNumberGenerator.GetBytes(255)],
            "bad length" => rsa.Encrypt(secret[..47], RSAEncryptionPadding.Pkcs1),
            "bad version" => rsa.Encrypt([3, 1, .. secret[2..]], RSAEncryptionPadding.Pkcs1),
            _ => rsa.Encrypt(secret, RSAEncryptionPadding.Pkcs1),
        };
        var forged = Wire.PlaintextRecord(ContentType.Handshake, new ClientKeyExchangeRsa { EncryptedPreMasterSecret = encrypted }.ToMessageBytes());
        var error = await Task.Run(() => Assert.Throws<TlsException>(() => server.ReceiveBytes([.. forged, .. flight[1].Bytes, .. flight[2].Bytes])))
            .WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(AlertDescription.BadRecordMac, error.Alert);
        Assert.Equal("record failed authentication", error.Reason);
    }

    [Fact]
    public void AnRsaPssCertificateCannotServeRsaKeyExchange()
    {
        using var loop = new Loopback(
            TestCerts.ClientOptions(o => { o.CipherSuites = [CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256]; o.Legacy = LegacyPolicy.RsaKeyExchange; }),
            TestCerts.ServerOptions(CertificateKeyType.RsaPss2048, o => o.Legacy = LegacyPolicy.RsaKeyExchange));
        Assert.Equal(AlertDescription.HandshakeFailure, Assert.Throws<TlsException>(() => loop.Pump()).Alert);
    }

    [Fact]
    public void WithTheLegacyOptInModernSuitesStillWin()
    {
        using var loop = new Loopback(TestCerts.ClientOptions(o => o.Legacy = LegacyPolicy.All),
            TestCerts.ServerOptions(configure: o => { o.Legacy = LegacyPolicy.All; o.MaxProtocolVersion = TlsProtocolVersion.Tls12; }));
        loop.Handshake();
        Assert.False(CipherSuites.Get(loop.Client.NegotiatedCipherSuite!.Value).IsCbc);
        Assert.False(loop.Client.EncryptThenMac);
    }
}
