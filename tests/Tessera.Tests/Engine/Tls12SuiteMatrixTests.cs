using Tessera.Pki;

namespace Tessera.Tests.Engine;

/// <summary>Every TLS 1.2 suite, default and opt-in: full handshake, then resumed by ticket and by session ID, with and without a client certificate.</summary>
public sealed class Tls12SuiteMatrixTests
{
    public static TheoryData<CipherSuite, bool> Cases()
    {
        var data = new TheoryData<CipherSuite, bool>();
        foreach (var suite in CipherSuites.Tls12Defaults.Concat(CipherSuites.Legacy))
        {
            data.Add(suite, false);
            data.Add(suite, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FullThenResumedByTicketAndById(CipherSuite suite, bool clientCertificate)
    {
        var info = CipherSuites.Get(suite);
        var key = info.Authentication == SuiteAuthentication.Ecdsa ? CertificateKeyType.EcdsaP256 : CertificateKeyType.Rsa2048;
        var server = TestCerts.ServerOptions(key, o =>
        {
            o.Legacy = info.RequiredLegacy;
            o.RequireClientCertificate = clientCertificate;
            o.CertificateVerifier = clientCertificate ? new X509CertificateVerifier([TestCerts.Ca.RootCertificateDer]) : null;
        });
        var clientCert = clientCertificate ? TestCerts.Ca.IssueClientCertificate("matrix client", CertificateKeyType.EcdsaP256) : null;
        foreach (bool tickets in new[] { true, false })
        {
            Sessions.TlsSession? session = null;
            for (int round = 0; round < 2; round++)
            {
                using var loop = new Loopback(TestCerts.ClientOptions(o =>
                {
                    o.CipherSuites = [suite];
                    o.Legacy = info.RequiredLegacy;
                    o.MaxProtocolVersion = TlsProtocolVersion.Tls12;
                    o.EnableSessionTickets = tickets;
                    o.ResumeSession = session;
                    o.ClientCertificate = clientCert;
                }), server);
                loop.Handshake();
                Assert.Equal(suite, loop.Server.NegotiatedCipherSuite);
                Assert.Equal(round == 1, loop.Client.IsResumed);
                Assert.Equal(round == 1, loop.Server.IsResumed);
                Assert.Equal(clientCertificate, loop.Server.PeerCertificateChain.Count > 0);
                Assert.Equal(clientCertificate, loop.Server.PeerCertificateVerified);
                Assert.True(loop.Client.PeerCertificateVerified);   // resumed: the identity the session was made with
                Assert.Equal("matrix"u8.ToArray(), Loopback.Send(loop.Client, loop.Server, "matrix"u8.ToArray()));
                session = loop.Client.Session ?? throw new InvalidOperationException("no session to resume");
                Assert.Equal(tickets, session.Ticket.Length > 0);
            }
        }
    }
}
