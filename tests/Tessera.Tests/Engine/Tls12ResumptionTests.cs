using Tessera.Pki;
using Tessera.Sessions;

namespace Tessera.Tests.Engine;

/// <summary>TLS 1.2 resumption: session IDs, RFC 5077 tickets, and every reason to refuse and fall back to a full handshake.</summary>
public sealed class Tls12ResumptionTests
{
    private static TlsClientOptions Client12(Action<TlsClientOptions>? configure = null) => TestCerts.ClientOptions(o =>
    {
        o.MaxProtocolVersion = TlsProtocolVersion.Tls12;
        configure?.Invoke(o);
    });

    private static TlsSession FirstSession(TlsServerOptions server, Action<TlsClientOptions>? configure = null)
    {
        using var loop = new Loopback(Client12(configure), server);
        loop.Handshake();
        Assert.False(loop.Client.IsResumed);
        return loop.Client.Session ?? throw new InvalidOperationException("no session");
    }

    private static Loopback Resume(TlsServerOptions server, TlsSession session, Action<TlsClientOptions>? configure = null)
    {
        var loop = new Loopback(Client12(o => { o.ResumeSession = session; configure?.Invoke(o); }), server);
        loop.Handshake();
        return loop;
    }

    [Fact]
    public void TicketResumptionIsAnAbbreviatedHandshake()
    {
        var server = TestCerts.ServerOptions();
        var session = FirstSession(server);
        Assert.NotEmpty(session.Ticket);
        Assert.True(session.ExtendedMasterSecret);
        using var loop = Resume(server, session);
        Assert.True(loop.Client.IsResumed);
        Assert.True(loop.Server.IsResumed);
        Assert.Null(loop.Client.NegotiatedGroup);   // no key exchange in an abbreviated handshake
        Assert.Equal(session.CipherSuite, loop.Client.NegotiatedCipherSuite);
        // Abbreviated: ServerHello + CCS + Finished in one flight, no Certificate.
        Assert.Equal(3, Wire.Split(loop.ServerToClient[0]).Count);
        Assert.Equal("resumed"u8.ToArray(), Loopback.Send(loop.Client, loop.Server, "resumed"u8.ToArray()));
        Assert.Equal("and back"u8.ToArray(), Loopback.Send(loop.Server, loop.Client, "and back"u8.ToArray()));
    }

    [Fact]
    public void SessionIdResumptionUsesTheServerCache()
    {
        var server = TestCerts.ServerOptions();
        var session = FirstSession(server, o => o.EnableSessionTickets = false);
        Assert.Empty(session.Ticket);
        Assert.Equal(32, session.SessionId.Length);
        Assert.Equal(1, ((TlsSessionCache)server.SessionCache!).Count);
        using var loop = Resume(server, session, o => o.EnableSessionTickets = false);
        Assert.True(loop.Client.IsResumed);
        Assert.True(loop.Server.IsResumed);
    }

    [Fact]
    public void ExportedSessionsResumeAfterImport()
    {
        var server = TestCerts.ServerOptions();
        var session = TlsSession.Import(FirstSession(server).Export());
        using var loop = Resume(server, session);
        Assert.True(loop.Client.IsResumed);
        Assert.Throws<FormatException>(() => TlsSession.Import([1, 2, 3]));
    }

    [Fact]
    public void TicketsSurviveOneRotationButNotTwo()
    {
        var server = TestCerts.ServerOptions(configure: o => o.SessionCache = null);
        var session = FirstSession(server);
        ((TicketKeyRing)server.TicketKeys!).Rotate();
        using (var loop = Resume(server, session))
        {
            Assert.True(loop.Client.IsResumed);
        }

        ((TicketKeyRing)server.TicketKeys!).Rotate();
        using var again = Resume(server, session);
        Assert.False(again.Client.IsResumed);
        Assert.NotNull(again.Client.Session);   // a fresh session from the full handshake
    }

    [Fact]
    public void ResumptionIsRefusedForAnotherServerNameATamperedTicketOrAnExpiredSession()
    {
        var server = TestCerts.ServerOptions(configure: o => o.SessionCache = null);
        var session = FirstSession(server);

        using (var loop = Resume(server, session, o => o.ServerName = "example.test"))
        {
            Assert.False(loop.Server.IsResumed);
        }

        var tampered = TlsSession.Import(session.Export());
        tampered.Ticket[^1] ^= 1;
        using (var loop = Resume(server, tampered))
        {
            Assert.False(loop.Server.IsResumed);
        }

        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow + TimeSpan.FromHours(3));
        using (var loop = Resume(TestCerts.ServerOptions(configure: o => { o.SessionCache = null; o.TicketKeys = server.TicketKeys; o.TimeProvider = clock; }), session))
        {
            Assert.False(loop.Server.IsResumed);
        }
    }

    [Fact]
    public void WithoutExtendedMasterSecretThereIsNothingToResume()
    {
        // A server that cannot remember sessions hands out neither an ID nor a ticket.
        var server = TestCerts.ServerOptions(configure: o => { o.SessionCache = null; o.TicketKeys = null; });
        using var loop = new Loopback(Client12(), server);
        loop.Handshake();
        Assert.Null(loop.Client.Session);
    }

    [Fact]
    public void ResumingWithAClientThatAlsoOffersTls13GetsTls13Instead()
    {
        var server = TestCerts.ServerOptions();
        var session = FirstSession(server);
        using var loop = new Loopback(TestCerts.ClientOptions(o => o.ResumeSession = session), server);
        loop.Handshake();
        Assert.Equal(TlsProtocolVersion.Tls13, loop.Client.NegotiatedProtocol);
        Assert.False(loop.Client.IsResumed);
    }

    [Fact]
    public void TheSessionCacheIsBounded()
    {
        var server = TestCerts.ServerOptions(configure: o => { o.SessionCache = new TlsSessionCache(capacity: 3); o.TicketKeys = null; });
        for (int i = 0; i < 6; i++)
        {
            FirstSession(server, o => o.EnableSessionTickets = false);
        }

        Assert.Equal(3, ((TlsSessionCache)server.SessionCache!).Count);
    }

    [Fact]
    public void AServerThatNowRequiresAClientCertificateDoesNotResumeASessionMadeWithout()
    {
        var server = TestCerts.ServerOptions();
        var session = FirstSession(server);
        server.RequireClientCertificate = true;
        server.CertificateVerifier = new X509CertificateVerifier([TestCerts.Ca.RootCertificateDer]);
        using var loop = new Loopback(Client12(o => { o.ResumeSession = session; o.ClientCertificate = TestCerts.Ca.IssueClientCertificate("late client"); }), server);
        loop.Handshake();
        Assert.False(loop.Server.IsResumed);              // a full handshake, which asked for and checked the certificate
        Assert.True(loop.Server.PeerCertificateVerified);
    }

    [Fact]
    public void ASessionIsOfferedOnlyToTheServerNameItCameFrom()
    {
        var server = TestCerts.ServerOptions();
        var session = FirstSession(server);
        using var loop = new Loopback(Client12(o => { o.ResumeSession = session; o.ServerName = "example.test"; }), server);
        loop.Handshake();
        Assert.False(loop.Client.IsResumed);
        var hello = Tessera.Messages.ClientHello.Parse(Wire.Split(loop.ClientToServer[0])[0].Payload.AsSpan(4));
        Assert.Empty(Tessera.Messages.ExtensionBlock.Find(hello.Extensions, Tessera.Messages.ExtensionType.SessionTicket)!.Data);
    }

    [Fact]
    public void ASessionKeepsThePeerIdentityThroughExportAndImport()
    {
        var session = FirstSession(TestCerts.ServerOptions());
        Assert.True(session.PeerCertificateVerified);
        Assert.NotEmpty(session.PeerCertificateChain);
        var copy = TlsSession.Import(session.Export());
        Assert.Equal(session.PeerCertificateChain, copy.PeerCertificateChain);
        Assert.True(copy.PeerCertificateVerified);

        // A session written before certificates were kept (format 1) still imports, without an identity.
        var exported = session.Export();
        int chainBytes = 2 + session.PeerCertificateChain.Sum(c => 3 + c.Length);
        byte[] formatOne = [1, .. exported.AsSpan(1, exported.Length - 1 - chainBytes)];
        var old = TlsSession.Import(formatOne);
        Assert.Empty(old.PeerCertificateChain);
        Assert.False(old.PeerCertificateVerified);
        Assert.Throws<FormatException>(() => TlsSession.Import([2, .. exported.AsSpan(1, exported.Length - 2)]));   // truncated
    }

    [Fact]
    public void ASessionStoreElsewhereIsAwaitedAndAFailingOneMeansAFullHandshake()
    {
        var store = new SlowStore();
        var server = TestCerts.ServerOptions(configure: o => { o.SessionCache = store; o.TicketKeys = null; });
        var session = FirstSession(server, o => o.EnableSessionTickets = false);
        Assert.True(SpinWait.SpinUntil(() => store.Added == 1, TimeSpan.FromSeconds(5)), "the session never reached the store");   // stored without holding up the handshake
        using (var loop = Resume(server, session, o => o.EnableSessionTickets = false))
        {
            Assert.True(loop.Server.IsResumed);   // found after the engine waited for the store
        }

        store.Fail = true;
        using var full = Resume(server, session, o => o.EnableSessionTickets = false);
        Assert.False(full.Server.IsResumed);
        Assert.True(full.Client.IsHandshakeComplete);
    }

    /// <summary>A store that answers later, as a remote one would; or answers "not found" when failing.</summary>
    private sealed class SlowStore : ISessionStore
    {
        private readonly TlsSessionCache _inner = new();

        public bool Fail { get; set; }

        private int _added;

        public int Added => Volatile.Read(ref _added);

        public async ValueTask AddAsync(TlsSession session, CancellationToken cancellationToken = default)
        {
            await Task.Delay(10, cancellationToken);
            await _inner.AddAsync(session, cancellationToken);
            Interlocked.Increment(ref _added);
        }

        public ValueTask<TlsSession?> TakeAsync(ReadOnlyMemory<byte> sessionId, DateTimeOffset now, CancellationToken cancellationToken = default) =>
            _inner.TakeAsync(sessionId, now, cancellationToken);

        public async ValueTask<TlsSession?> FindAsync(ReadOnlyMemory<byte> sessionId, DateTimeOffset now, CancellationToken cancellationToken = default)
        {
            await Task.Delay(10, cancellationToken);
            return Fail ? null : await _inner.FindAsync(sessionId, now, cancellationToken);
        }
    }

    private sealed class ManualTimeProvider(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
