using Tessera.Pki;

namespace Tessera.Tests.Engine;

/// <summary>TLS 1.3 post-handshake client authentication (RFC 8446 §4.6.2).</summary>
public sealed class PostHandshakeAuthenticationTests
{
    private static Loopback Connect(bool offer, TlsCertificate? clientCertificate, bool require = false) =>
        new(TestCerts.ClientOptions(o => { o.EnablePostHandshakeAuthentication = offer; o.ClientCertificate = clientCertificate; }),
            TestCerts.ServerOptions(configure: o =>
            {
                o.CertificateVerifier = new X509CertificateVerifier([TestCerts.Ca.RootCertificateDer]);
                o.RequireClientCertificate = require;   // only ever asked for after the handshake here
            }));

    [Fact]
    public void TheServerAsksLaterAndGetsAVerifiedCertificateTwice()
    {
        var certificate = TestCerts.Ca.IssueClientCertificate("later");
        using var loop = Connect(offer: true, certificate);
        loop.Handshake();
        Assert.Empty(loop.Server.PeerCertificateChain);
        Assert.True(loop.Server.CanRequestClientCertificate);

        for (int round = 1; round <= 2; round++)
        {
            loop.Server.RequestClientCertificate();
            Assert.False(loop.Server.CanRequestClientCertificate);   // one request at a time
            loop.Pump();
            Assert.Equal(round, loop.Server.PostHandshakeAuthentications);
            Assert.Equal(round, loop.Client.PostHandshakeAuthentications);
            Assert.True(loop.Server.PeerCertificateVerified);
            Assert.Equal(certificate.Chain[0], loop.Server.PeerCertificateChain[0]);
        }

        Assert.Equal("after"u8.ToArray(), Loopback.Send(loop.Client, loop.Server, "after"u8.ToArray()));
    }

    [Fact]
    public void WithoutTheClientsOfferTheServerCannotAsk()
    {
        using var loop = Connect(offer: false, TestCerts.Ca.IssueClientCertificate("never"));
        loop.Handshake();
        Assert.False(loop.Server.CanRequestClientCertificate);
        Assert.Throws<InvalidOperationException>(loop.Server.RequestClientCertificate);
        Assert.Throws<InvalidOperationException>(loop.Client.RequestClientCertificate);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AClientWithoutACertificateAnswersEmpty(bool require)
    {
        using var loop = Connect(offer: true, clientCertificate: null, require: false);
        loop.Handshake();
        // RequireClientCertificate is read when the answer arrives: a server may insist only after the handshake.
        ((TlsServerOptions)loop.ServerOptions).RequireClientCertificate = require;
        loop.Server.RequestClientCertificate();
        if (require)
        {
            Assert.Equal(AlertDescription.CertificateRequired, Assert.Throws<TlsException>(() => loop.Pump()).Alert);
            return;
        }

        loop.Pump();
        Assert.Equal(1, loop.Server.PostHandshakeAuthentications);
        Assert.False(loop.Server.PeerCertificateVerified);
    }

    [Fact]
    public void ACertificateFromAnUntrustedCaIsRejected()
    {
        using var other = TestCertificateAuthority.Create(CertificateKeyType.EcdsaP256, "Untrusted");
        using var loop = Connect(offer: true, other.IssueClientCertificate("stranger"));
        loop.Handshake();
        loop.Server.RequestClientCertificate();
        Assert.Equal(AlertDescription.UnknownCa, Assert.Throws<TlsException>(() => loop.Pump()).Alert);
    }
}
