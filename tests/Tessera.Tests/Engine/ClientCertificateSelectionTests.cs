using Tessera.Pki;
using Tessera.Pki.X509;

namespace Tessera.Tests.Engine;

/// <summary>certificate_authorities in the CertificateRequest, and the client choosing among its certificates by it (TLS 1.3 and 1.2).</summary>
public sealed class ClientCertificateSelectionTests
{
    private static readonly TestCertificateAuthority OtherCa = TestCertificateAuthority.Create(CertificateKeyType.EcdsaP256, "Other Client CA");

    private static Loopback Connect(TlsProtocolVersion version, bool listAuthorities, IReadOnlyList<TlsCertificate> certificates) =>
        new(TestCerts.ClientOptions(o => { o.MaxProtocolVersion = version; o.ClientCertificates = certificates; }),
            TestCerts.ServerOptions(configure: o =>
            {
                o.RequireClientCertificate = true;
                o.CertificateVerifier = new X509CertificateVerifier([TestCerts.Ca.RootCertificateDer]);
                o.ClientCertificateAuthorities = listAuthorities ? [Certificate.Parse(TestCerts.Ca.RootCertificateDer).Subject.Der.ToArray()] : [];
            }));

    [Theory]
    [InlineData(TlsProtocolVersion.Tls13)]
    [InlineData(TlsProtocolVersion.Tls12)]
    public void TheClientPicksTheCertificateFromAListedCa(TlsProtocolVersion version)
    {
        var wrong = OtherCa.IssueClientCertificate("wrong");
        var right = TestCerts.Ca.IssueClientCertificate("right");
        using var loop = Connect(version, listAuthorities: true, [wrong, right]);
        loop.Handshake();
        Assert.True(loop.Server.PeerCertificateVerified);
        Assert.Equal(right.Chain[0], loop.Server.PeerCertificateChain[0]);
    }

    [Theory]
    [InlineData(TlsProtocolVersion.Tls13)]
    [InlineData(TlsProtocolVersion.Tls12)]
    public void WithoutAListTheFirstUsableCertificateGoes(TlsProtocolVersion version)
    {
        using var loop = Connect(version, listAuthorities: false, [OtherCa.IssueClientCertificate("first"), TestCerts.Ca.IssueClientCertificate("second")]);
        Assert.Equal(AlertDescription.UnknownCa, Assert.Throws<TlsException>(() => loop.Pump()).Alert);
    }

    [Theory]
    [InlineData(TlsProtocolVersion.Tls13, AlertDescription.CertificateRequired)]
    [InlineData(TlsProtocolVersion.Tls12, AlertDescription.HandshakeFailure)]
    public void WhenNoCertificateFitsTheListNoneIsSent(TlsProtocolVersion version, AlertDescription alert)
    {
        using var loop = Connect(version, listAuthorities: true, [OtherCa.IssueClientCertificate("only")]);
        Assert.Equal(alert, Assert.Throws<TlsException>(() => loop.Pump()).Alert);
        Assert.Empty(loop.Server.PeerCertificateChain);
    }

    [Fact]
    public void TheListTravelsInTheTls13CertificateRequest()
    {
        var observer = new RecordingObserver();
        using var loop = new Loopback(TestCerts.ClientOptions(o => { o.ClientCertificate = TestCerts.Ca.IssueClientCertificate("c"); o.Observer = observer; }),
            TestCerts.ServerOptions(configure: o =>
            {
                o.RequestClientCertificate = true;
                o.CertificateVerifier = new X509CertificateVerifier([TestCerts.Ca.RootCertificateDer]);
                o.ClientCertificateAuthorities = [Certificate.Parse(TestCerts.Ca.RootCertificateDer).Subject.Der.ToArray()];
            }));
        loop.Handshake();
        var request = Tessera.Messages.CertificateRequest.Parse(observer.Received.Single(m => m.Type == Tessera.Messages.HandshakeType.CertificateRequest).Message.AsSpan(4));
        var listed = Tessera.Messages.CertificateAuthoritiesExtension.Parse(Tessera.Messages.ExtensionBlock.Find(request.Extensions, Tessera.Messages.ExtensionType.CertificateAuthorities)!.Data);
        Assert.Equal(Certificate.Parse(TestCerts.Ca.RootCertificateDer).Subject.Der.ToArray(), Assert.Single(listed));
    }
}
