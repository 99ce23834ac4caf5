using System.Security.Cryptography;
using Tessera.Pki;

namespace Tessera.Tests.Engine;

/// <summary>The legacy TLS 1.2 set: never offered or accepted by default, complete and correct when <see cref="TlsOptions.Legacy"/> allows it.</summary>
public sealed class Tls12LegacyTests
{
    public static TheoryData<CipherSuite> LegacySuites()
    {
        var data = new TheoryData<CipherSuite>();
        foreach (var suite in CipherSuites.Legacy.Where(s => CipherSuites.Get(s).KeyExchange == TlsKeyExchange.Ecdhe))
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
