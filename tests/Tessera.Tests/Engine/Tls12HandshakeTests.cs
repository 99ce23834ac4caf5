using System.Security.Cryptography;
using Tessera.Pki;

namespace Tessera.Tests.Engine;

public sealed class Tls12HandshakeTests
{
    public static TheoryData<CipherSuite, NamedGroup> Suites()
    {
        var data = new TheoryData<CipherSuite, NamedGroup>();
        foreach (var suite in CipherSuites.Tls12Defaults)
        {
            foreach (var group in NamedGroups.Defaults.Where(g => !NamedGroups.IsHybrid((ushort)g)))
            {
                data.Add(suite, group);
            }
        }

        return data;
    }

    private static CertificateKeyType KeyFor(CipherSuite suite) =>
        CipherSuites.Get(suite).Authentication == SuiteAuthentication.Ecdsa ? CertificateKeyType.EcdsaP256 : CertificateKeyType.Rsa2048;

    [Theory]
    [MemberData(nameof(Suites))]
    public void EveryDefaultTls12SuiteAndGroupCompletesAndCarriesData(CipherSuite suite, NamedGroup group)
    {
        // The client also lists P-256, the ECDSA certificate's curve (RFC 8422 §5.1); the server insists on the group under test.
        using var loop = new Loopback(
            TestCerts.ClientOptions(o => { o.CipherSuites = [suite]; o.Groups = group == NamedGroup.Secp256r1 ? [group] : [group, NamedGroup.Secp256r1]; }),
            TestCerts.ServerOptions(KeyFor(suite), o => o.Groups = [group]));
        loop.Handshake();
        foreach (var side in new[] { loop.Client, loop.Server })
        {
            Assert.Equal(TlsProtocolVersion.Tls12, side.NegotiatedProtocol);
            Assert.Equal(suite, side.NegotiatedCipherSuite);
            Assert.Equal(group, side.NegotiatedGroup);
            Assert.True(side.ExtendedMasterSecret);
            Assert.True(side.SecureRenegotiation);
        }

        Assert.True(loop.Client.PeerCertificateVerified);
        var data = RandomNumberGenerator.GetBytes(50_000);
        Assert.Equal(data, Loopback.Send(loop.Client, loop.Server, data));
        Assert.Equal(data, Loopback.Send(loop.Server, loop.Client, data));
        Assert.Equal(loop.Client.ExportKeyingMaterial("EXPERIMENTAL x", "c"u8, 20), loop.Server.ExportKeyingMaterial("EXPERIMENTAL x", "c"u8, 20));
    }
}
