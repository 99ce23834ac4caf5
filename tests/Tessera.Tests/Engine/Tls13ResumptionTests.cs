using System.Security.Cryptography;
using Tessera.Sessions;

namespace Tessera.Tests.Engine;

/// <summary>
/// TLS 1.3 resumption (RFC 8446 §2.2, §4.2.9–4.2.11, §4.6.1): tickets issued and taken, the PSK offered with its
/// binder, and every reason to fall back to a full handshake or to refuse.
/// </summary>
public sealed class Tls13ResumptionTests
{
    private static (TlsSession Ticket, TlsClientSessionCache Cache) FirstConnection(TlsServerOptions server, Action<TlsClientOptions>? configure = null)
    {
        var cache = new TlsClientSessionCache();
        using var loop = new Loopback(TestCerts.ClientOptions(o => { o.SessionCache = cache; configure?.Invoke(o); }), server);
        loop.Handshake();
        Assert.False(loop.Client.IsResumed);
        Assert.Equal(server.SessionTicketCount, loop.Client.SessionTicketsReceived);
        return (loop.Client.Session ?? throw new InvalidOperationException("no ticket"), cache);
    }

    private static Loopback Connect(TlsServerOptions server, Action<TlsClientOptions> configure)
    {
        var loop = new Loopback(TestCerts.ClientOptions(configure), server);
        loop.Handshake();
        return loop;
    }

    [Fact]
    public void ATicketFromTheCacheResumesWithAFreshKeyExchangeAndNoCertificate()
    {
        var server = TestCerts.ServerOptions();
        var (ticket, cache) = FirstConnection(server);
        Assert.Equal(TlsProtocolVersion.Tls13, ticket.Version);
        Assert.Equal("localhost", ticket.ServerName);
        Assert.Equal(2, cache.Count);
        using var loop = Connect(server, o => o.SessionCache = cache);
        Assert.True(loop.Client.IsResumed);
        Assert.True(loop.Server.IsResumed);
        Assert.NotNull(loop.Client.NegotiatedGroup);   // psk_dhe_ke: forward secrecy kept
        Assert.Equal(ticket.PeerCertificateChain[0], loop.Client.PeerCertificateChain[0]);
        Assert.True(loop.Client.PeerCertificateVerified);
        Assert.Equal("again"u8.ToArray(), Loopback.Send(loop.Client, loop.Server, "again"u8.ToArray()));
        Assert.Equal("back"u8.ToArray(), Loopback.Send(loop.Server, loop.Client, "back"u8.ToArray()));
        // One ticket was used up; the resumed connection brought two new ones.
        Assert.Equal(3, cache.Count);
    }

    [Fact]
    public void AnExplicitSessionResumesAndATicketIsUsedOnlyOnceFromTheCache()
    {
        var server = TestCerts.ServerOptions(configure: s => s.SessionTicketCount = 1);
        var (ticket, cache) = FirstConnection(server);
        using (var explicitly = Connect(server, o => o.ResumeSession = ticket))
        {
            Assert.True(explicitly.Server.IsResumed);
        }

        using (var first = Connect(server, o => o.SessionCache = cache))
        {
            Assert.True(first.Server.IsResumed);
            Assert.NotEqual(ticket.Ticket, first.Client.Session!.Ticket);   // the one it used is gone; a new one came
        }

        Assert.Equal(1, cache.Count);
        Assert.DoesNotContain(ticket, Enumerable.Range(0, 1).Select(_ => cache.Take("localhost", DateTimeOffset.UtcNow)));
        Assert.Equal(0, cache.Count);
        using var second = Connect(server, o => o.SessionCache = cache);
        Assert.False(second.Server.IsResumed);   // nothing left to offer
    }

    [Fact]
    public void ResumptionSurvivesAHelloRetryRequest()
    {
        var server = TestCerts.ServerOptions(configure: s => s.Groups = [NamedGroup.Secp256r1]);
        var (_, cache) = FirstConnection(server);
        using var loop = Connect(server, o => { o.SessionCache = cache; o.Groups = [NamedGroup.X25519, NamedGroup.Secp256r1]; });
        Assert.True(loop.Client.WasHelloRetryRequest);
        Assert.True(loop.Server.IsResumed);
        Assert.Equal(NamedGroup.Secp256r1, loop.Client.NegotiatedGroup);
    }

    [Fact]
    public void AHelloRetryRequestKeepsTheSuiteChosenForTheTicketsHash()
    {
        // The server prefers AES-128-GCM (SHA-256), but the ticket is SHA-384's: the HRR names AES-256-GCM and the
        // second ClientHello must be answered with it, or the PSK could not be used (§4.1.4).
        var server = TestCerts.ServerOptions(configure: s => s.Groups = [NamedGroup.Secp256r1]);
        var (ticket, _) = FirstConnection(server, o => o.CipherSuites = [CipherSuite.TLS_AES_256_GCM_SHA384]);
        using var loop = Connect(server, o =>
        {
            o.ResumeSession = ticket;
            o.CipherSuites = [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384];
            o.Groups = [NamedGroup.X25519, NamedGroup.Secp256r1];
        });
        Assert.True(loop.Client.WasHelloRetryRequest);
        Assert.True(loop.Server.IsResumed);
        Assert.Equal(CipherSuite.TLS_AES_256_GCM_SHA384, loop.Client.NegotiatedCipherSuite);
    }

    [Fact]
    public void ACompatibleSuiteResumesAnIncompatibleOneIsNotOffered()
    {
        var server = TestCerts.ServerOptions();
        var (ticket, _) = FirstConnection(server, o => o.CipherSuites = [CipherSuite.TLS_AES_128_GCM_SHA256]);
        using (var same = Connect(server, o => { o.ResumeSession = ticket; o.CipherSuites = [CipherSuite.TLS_CHACHA20_POLY1305_SHA256]; }))
        {
            Assert.True(same.Server.IsResumed);
            Assert.Equal(CipherSuite.TLS_CHACHA20_POLY1305_SHA256, same.Client.NegotiatedCipherSuite);
        }

        using var other = Connect(server, o => { o.ResumeSession = ticket; o.CipherSuites = [CipherSuite.TLS_AES_256_GCM_SHA384]; });
        Assert.False(other.Server.IsResumed);
        Assert.Equal(CipherSuite.TLS_AES_256_GCM_SHA384, other.Client.NegotiatedCipherSuite);
    }

    [Fact]
    public void AnExpiredTicketOrOneFromAnUnknownKeyMeansAFullHandshake()
    {
        var server = TestCerts.ServerOptions(configure: s => s.SessionLifetime = TimeSpan.FromMinutes(10));
        var (ticket, _) = FirstConnection(server);
        Assert.Equal(TimeSpan.FromMinutes(10), ticket.Lifetime);

        var later = TestCerts.ServerOptions(configure: s => s.TimeProvider = new ShiftedClock(TimeSpan.FromMinutes(11)));
        later.TicketKeys = server.TicketKeys;
        using (var expired = Connect(later, o => o.ResumeSession = ticket))
        {
            Assert.False(expired.Server.IsResumed);
            Assert.True(expired.Client.IsHandshakeComplete);
        }

        var rotated = TestCerts.ServerOptions(configure: s => s.TicketKeys = new TicketKeyRing());
        using var unknown = Connect(rotated, o => o.ResumeSession = ticket);
        Assert.False(unknown.Server.IsResumed);

        // Rotation keeps the previous key: a ticket from just before still resumes.
        ((TicketKeyRing)server.TicketKeys!).Rotate();
        using var afterOneRotation = Connect(server, o => o.ResumeSession = ticket);
        Assert.True(afterOneRotation.Server.IsResumed);
        ((TicketKeyRing)server.TicketKeys!).Rotate();
        using var afterTwo = Connect(server, o => o.ResumeSession = ticket);
        Assert.False(afterTwo.Server.IsResumed);
    }

    [Fact]
    public void AWrongBinderIsDecryptError()
    {
        var server = TestCerts.ServerOptions();
        var (ticket, _) = FirstConnection(server);
        var psk = (byte[])ticket.MasterSecret.Clone();
        psk[0] ^= 1;
        var forged = new TlsSession(ticket.CipherSuite, psk, ticket.Ticket, ticket.TicketAgeAdd, ticket.ServerName, null, 0, ticket.CreatedAt, ticket.Lifetime, ticket.PeerCertificateChain, true);
        using var loop = new Loopback(TestCerts.ClientOptions(o => o.ResumeSession = forged), server);
        var error = Assert.Throws<TlsException>(() => loop.Pump());
        Assert.Equal(AlertDescription.DecryptError, error.Alert);
        Assert.Contains("binder", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ATicketIsOnlyForTheServerNameItWasIssuedUnder()
    {
        var server = TestCerts.ServerOptions();
        var (ticket, _) = FirstConnection(server);

        // The client does not offer it elsewhere...
        using (var elsewhere = Connect(server, o => { o.ServerName = "example.test"; o.ResumeSession = ticket; }))
        {
            Assert.False(elsewhere.Server.IsResumed);
        }

        // ...and the server refuses it under another name even when a client claims it belongs there.
        var relabelled = new TlsSession(ticket.CipherSuite, ticket.MasterSecret, ticket.Ticket, ticket.TicketAgeAdd, "example.test", null, 0, ticket.CreatedAt, ticket.Lifetime, ticket.PeerCertificateChain, true);
        using var claimed = Connect(server, o => { o.ServerName = "example.test"; o.ResumeSession = relabelled; });
        Assert.False(claimed.Server.IsResumed);
        Assert.True(claimed.Client.IsHandshakeComplete);
    }

    [Fact]
    public void AClientCertificateCarriesOverAndARequiredOneIsNeverAssumed()
    {
        var clientCertificate = TestCerts.Ca.IssueClientCertificate("client", Tessera.Pki.CertificateKeyType.EcdsaP256);
        var verifier = new Tessera.Pki.X509CertificateVerifier([TestCerts.Ca.RootCertificateDer]);
        var requiring = TestCerts.ServerOptions(configure: s => { s.RequireClientCertificate = true; s.CertificateVerifier = verifier; });
        var (withCertificate, _) = FirstConnection(requiring, o => o.ClientCertificate = clientCertificate);
        using (var resumed = Connect(requiring, o => o.ResumeSession = withCertificate))
        {
            Assert.True(resumed.Server.IsResumed);
            Assert.Equal(clientCertificate.Chain[0], resumed.Server.PeerCertificateChain[0]);
            Assert.True(resumed.Server.PeerCertificateVerified);
        }

        var anonymous = TestCerts.ServerOptions();
        anonymous.TicketKeys = requiring.TicketKeys;
        var (withoutCertificate, _) = FirstConnection(anonymous);
        using var refused = new Loopback(TestCerts.ClientOptions(o => o.ResumeSession = withoutCertificate), requiring);
        Assert.Equal(AlertDescription.CertificateRequired, Assert.Throws<TlsException>(() => refused.Pump()).Alert);
        Assert.False(refused.Server.IsResumed);
    }

    [Fact]
    public void NoTicketsWithoutKeysWithoutACountOrWhenTheClientDoesNotAsk()
    {
        void Expect(int tickets, Action<TlsServerOptions> server, Action<TlsClientOptions>? client = null)
        {
            using var loop = Connect(TestCerts.ServerOptions(configure: server), o => client?.Invoke(o));
            Assert.Equal(tickets, loop.Client.SessionTicketsReceived);
        }

        Expect(2, _ => { });
        Expect(0, s => s.TicketKeys = null);
        Expect(0, s => s.SessionTicketCount = 0);
        Expect(5, s => s.SessionTicketCount = 5);
        Expect(0, _ => { }, c => c.EnableSessionTickets = false);
    }

    [Fact]
    public void KeyUpdateAndTheExporterWorkAfterResumption()
    {
        var server = TestCerts.ServerOptions();
        var (ticket, _) = FirstConnection(server);
        using var loop = Connect(server, o => o.ResumeSession = ticket);
        Assert.True(loop.Client.IsResumed);
        loop.Client.RequestKeyUpdate(requestPeerUpdate: true);
        Assert.Equal("after update"u8.ToArray(), Loopback.Send(loop.Client, loop.Server, "after update"u8.ToArray()));
        Assert.Equal("both ways"u8.ToArray(), Loopback.Send(loop.Server, loop.Client, "both ways"u8.ToArray()));
        Assert.Equal(loop.Client.ExportKeyingMaterial("EXPERIMENTAL test", [], 32), loop.Server.ExportKeyingMaterial("EXPERIMENTAL test", [], 32));
    }

    [Fact]
    public void PskOnlyIsUsedOnlyWhenBothSidesAllowItAndTheClientOffersNothingElse()
    {
        var server = TestCerts.ServerOptions(configure: s => s.AllowPskOnlyKeyExchange = true);
        var (ticket, _) = FirstConnection(server);
        // A client that allows psk_ke still offers psk_dhe_ke first; the server prefers forward secrecy.
        using var loop = Connect(server, o => { o.ResumeSession = ticket; o.AllowPskOnlyKeyExchange = true; });
        Assert.True(loop.Server.IsResumed);
        Assert.NotNull(loop.Server.NegotiatedGroup);
    }

    [Fact]
    public void SessionsExportAndImportWithTheirTicket()
    {
        var server = TestCerts.ServerOptions();
        var (ticket, _) = FirstConnection(server);
        var copy = TlsSession.Import(ticket.Export());
        Assert.Equal(TlsProtocolVersion.Tls13, copy.Version);
        Assert.Equal(ticket.Ticket, copy.Ticket);
        Assert.Equal(ticket.ServerName, copy.ServerName);
        Assert.True(CryptographicOperations.FixedTimeEquals(ticket.MasterSecret, copy.MasterSecret));
        using var loop = Connect(server, o => o.ResumeSession = copy);
        Assert.True(loop.Server.IsResumed);
        Assert.Throws<FormatException>(() => TlsSession.Import(ticket.Export()[..^3]));
    }

    [Fact]
    public void StatefulTicketsResumeOnceAndThroughAHelloRetryRequest()
    {
        var server = TestCerts.ServerOptions(configure: s => { s.StatefulTickets = true; s.TicketKeys = null; s.MaxEarlyDataSize = 1024; });
        var (ticket, _) = FirstConnection(server);
        Assert.Equal(48, ticket.Ticket.Length);   // an ID, not sealed state
        Assert.Equal(2, ((TlsSessionCache)server.SessionCache!).Count);

        byte[] flight;
        using (var first = Connect(server, o => { o.ResumeSession = ticket; o.EarlyData = "once"u8.ToArray(); }))
        {
            Assert.True(first.Server.IsResumed);
            Assert.Equal(TlsEarlyDataStatus.Accepted, first.Server.EarlyDataStatus);
            flight = first.ClientToServer[0];
        }

        // The same ticket again (a replay, or a careless client): its session is gone; a full handshake.
        using (var again = Connect(server, o => o.ResumeSession = ticket))
        {
            Assert.False(again.Server.IsResumed);
        }

        using (var replay = TlsConnection.CreateServer(server))
        {
            replay.ReceiveBytes(flight);
            Assert.Equal(0, replay.EarlyDataReceived);
        }

        var hrrServer = TestCerts.ServerOptions(configure: s => { s.StatefulTickets = true; s.TicketKeys = null; s.Groups = [NamedGroup.Secp256r1]; });
        var (second, _) = FirstConnection(hrrServer, o => o.Groups = [NamedGroup.Secp256r1]);
        using var retried = Connect(hrrServer, o => { o.ResumeSession = second; o.Groups = [NamedGroup.X25519, NamedGroup.Secp256r1]; });
        Assert.True(retried.Client.WasHelloRetryRequest);
        Assert.True(retried.Server.IsResumed);
    }

    private sealed class ShiftedClock(TimeSpan shift) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => TimeProvider.System.GetUtcNow() + shift;
    }
}
