using Tessera.Sessions;

namespace Tessera.Tests.Engine;

/// <summary>
/// TLS 1.3 0-RTT (RFC 8446 §2.3, §4.2.10, §8): early data accepted once, declined safely (and skipped by the
/// server), refused for a replayed ClientHello on one server or across servers sharing the store, bounded in size.
/// </summary>
public sealed class EarlyDataTests
{
    private static readonly byte[] Request = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"u8.ToArray();

    private static TlsServerOptions Server(Action<TlsServerOptions>? configure = null) => TestCerts.ServerOptions(configure: o =>
    {
        o.MaxEarlyDataSize = 4096;
        configure?.Invoke(o);
    });

    private static TlsSession Ticket(TlsServerOptions server, Action<TlsClientOptions>? configure = null)
    {
        using var loop = new Loopback(TestCerts.ClientOptions(configure), server);
        loop.Handshake();
        return loop.Client.Session!;
    }

    private static byte[] ReadAll(TlsConnection connection)
    {
        var buffer = new byte[65536];
        int n = connection.ReadApplicationData(buffer);
        return buffer[..n];
    }

    [Fact]
    public void EarlyDataIsDeliveredOnceBeforeTheHandshakeEnds()
    {
        var server = Server();
        var ticket = Ticket(server);
        Assert.Equal(4096u, ticket.MaxEarlyDataSize);
        using var loop = new Loopback(TestCerts.ClientOptions(o => { o.ResumeSession = ticket; o.EarlyData = Request; }), server);
        loop.Handshake();
        Assert.Equal(TlsEarlyDataStatus.Accepted, loop.Client.EarlyDataStatus);
        Assert.Equal(TlsEarlyDataStatus.Accepted, loop.Server.EarlyDataStatus);
        Assert.Equal(Request.Length, loop.Client.EarlyDataSent);
        Assert.Equal(Request.Length, loop.Server.EarlyDataReceived);
        Assert.Equal(Request, ReadAll(loop.Server));
        Assert.True(loop.Server.IsResumed);
        Assert.Equal("after"u8.ToArray(), Loopback.Send(loop.Client, loop.Server, "after"u8.ToArray()));
        Assert.Equal("reply"u8.ToArray(), Loopback.Send(loop.Server, loop.Client, "reply"u8.ToArray()));
    }

    [Fact]
    public void AReplayedFlightIsNotDeliveredAgainOnTheSameServerOrAnotherSharingTheStore()
    {
        var store = new InMemoryAntiReplayStore();
        var keys = new TicketKeyRing();
        var nodeA = Server(o => { o.TicketKeys = keys; o.AntiReplay = store; });
        var nodeB = Server(o => { o.TicketKeys = keys; o.AntiReplay = store; });
        var ticket = Ticket(nodeA);
        byte[] flight;
        using (var original = new Loopback(TestCerts.ClientOptions(o => { o.ResumeSession = ticket; o.EarlyData = Request; }), nodeA))
        {
            original.Handshake();
            Assert.Equal(Request, ReadAll(original.Server));
            flight = original.ClientToServer[0];   // ClientHello, CCS and the early data, as an attacker would record them
        }

        foreach (var node in new[] { nodeA, nodeB })
        {
            using var replay = TlsConnection.CreateServer(node);
            replay.ReceiveBytes(flight);
            Assert.Null(replay.PendingOperation);
            Assert.Equal(TlsEarlyDataStatus.Rejected, replay.EarlyDataStatus);
            Assert.Equal(0, replay.EarlyDataReceived);
            Assert.Equal(0, replay.ReadApplicationData(new byte[1024]));
            Assert.NotEqual(TlsConnectionState.Failed, replay.State);   // it waits for a Finished the attacker cannot make
        }

        // The reason the store must be shared: a node with a store of its own takes the replayed data.
        var loner = Server(o => { o.TicketKeys = keys; o.AntiReplay = new InMemoryAntiReplayStore(); });
        using var fooled = TlsConnection.CreateServer(loner);
        fooled.ReceiveBytes(flight);
        Assert.Equal(TlsEarlyDataStatus.Accepted, fooled.EarlyDataStatus);
        Assert.Equal(Request.Length, fooled.EarlyDataReceived);
    }

    [Fact]
    public void DeclinedEarlyDataIsSkippedAndTheHandshakeGoesOn()
    {
        var server = Server(o => o.AcceptEarlyData = request => request.ServerName != "localhost");
        var ticket = Ticket(server);
        using var loop = new Loopback(TestCerts.ClientOptions(o => { o.ResumeSession = ticket; o.EarlyData = Request; }), server);
        loop.Handshake();
        Assert.True(loop.Server.IsResumed);
        Assert.Equal(TlsEarlyDataStatus.Rejected, loop.Client.EarlyDataStatus);
        Assert.Equal(TlsEarlyDataStatus.Rejected, loop.Server.EarlyDataStatus);
        Assert.Equal(0, loop.Server.ReadApplicationData(new byte[1024]));
        Assert.Equal(Request, Loopback.Send(loop.Client, loop.Server, Request));   // sent again, as 1-RTT data
    }

    [Fact]
    public void AHelloRetryRequestDeclinesEarlyData()
    {
        var server = Server(o => o.Groups = [NamedGroup.Secp256r1]);
        var ticket = Ticket(server, o => o.Groups = [NamedGroup.Secp256r1]);
        using var loop = new Loopback(TestCerts.ClientOptions(o => { o.ResumeSession = ticket; o.EarlyData = Request; o.Groups = [NamedGroup.X25519, NamedGroup.Secp256r1]; }), server);
        loop.Handshake();
        Assert.True(loop.Client.WasHelloRetryRequest);
        Assert.True(loop.Server.IsResumed);
        Assert.Equal(TlsEarlyDataStatus.Rejected, loop.Client.EarlyDataStatus);
        Assert.Equal(0, loop.Server.ReadApplicationData(new byte[1024]));
    }

    [Fact]
    public void AStaleTicketAgeOrNoAntiReplayStoreMeansNoEarlyData()
    {
        var server = Server();
        var ticket = Ticket(server);
        var later = Server(o => { o.TicketKeys = server.TicketKeys; o.TimeProvider = new ShiftedClock(TimeSpan.FromMinutes(1)); });
        using (var stale = new Loopback(TestCerts.ClientOptions(o => { o.ResumeSession = ticket; o.EarlyData = Request; }), later))
        {
            stale.Handshake();
            Assert.True(stale.Server.IsResumed);
            Assert.Equal(TlsEarlyDataStatus.Rejected, stale.Server.EarlyDataStatus);
        }

        var storeless = Server(o => { o.TicketKeys = server.TicketKeys; o.AntiReplay = null; });
        var second = Ticket(server);
        using var refused = new Loopback(TestCerts.ClientOptions(o => { o.ResumeSession = second; o.EarlyData = Request; }), storeless);
        refused.Handshake();
        Assert.Equal(TlsEarlyDataStatus.Rejected, refused.Server.EarlyDataStatus);
    }

    [Fact]
    public void MoreEarlyDataThanTheServerTakesIsUnexpectedMessage()
    {
        var generous = Server();
        var ticket = Ticket(generous);
        var strict = Server(o => { o.TicketKeys = generous.TicketKeys; o.MaxEarlyDataSize = 16; });
        using var loop = new Loopback(TestCerts.ClientOptions(o => { o.ResumeSession = ticket; o.EarlyData = new byte[100]; }), strict);
        Assert.Equal(AlertDescription.UnexpectedMessage, Assert.Throws<TlsException>(() => loop.Pump()).Alert);
    }

    [Fact]
    public void NothingIsOfferedWithoutATicketThatAllowsItOrWithAnotherAlpn()
    {
        var off = TestCerts.ServerOptions();   // 0-RTT off: tickets carry no early_data
        var ticket = Ticket(off);
        Assert.Equal(0u, ticket.MaxEarlyDataSize);
        using (var loop = new Loopback(TestCerts.ClientOptions(o => { o.ResumeSession = ticket; o.EarlyData = Request; }), off))
        {
            loop.Handshake();
            Assert.Equal(TlsEarlyDataStatus.NotOffered, loop.Client.EarlyDataStatus);
            Assert.Equal(0, loop.Client.EarlyDataSent);
        }

        var on = Server(o => o.ApplicationProtocols = ["h2", "http/1.1"]);
        var h2 = Ticket(on, o => o.ApplicationProtocols = ["h2"]);
        Assert.Equal("h2", h2.ApplicationProtocol);
        using var other = new Loopback(TestCerts.ClientOptions(o => { o.ResumeSession = h2; o.EarlyData = Request; o.ApplicationProtocols = ["http/1.1", "h2"]; }), on);
        other.Handshake();
        Assert.Equal(TlsEarlyDataStatus.NotOffered, other.Client.EarlyDataStatus);
        Assert.True(other.Server.IsResumed);
    }

    [Fact]
    public void EarlyDataIsDeclinedWhenTheServerPicksAnotherAlpnThanTheTickets()
    {
        var server = Server(o => o.ApplicationProtocols = ["h2", "http/1.1"]);
        var ticket = Ticket(server, o => o.ApplicationProtocols = ["http/1.1"]);
        Assert.Equal("http/1.1", ticket.ApplicationProtocol);
        using var loop = new Loopback(TestCerts.ClientOptions(o =>
        {
            o.ResumeSession = ticket;
            o.EarlyData = Request;
            o.ApplicationProtocols = ["http/1.1", "h2"];   // the ticket's first, so the client offers 0-RTT
        }), server);
        loop.Handshake();
        Assert.Equal("h2", loop.Client.NegotiatedApplicationProtocol);   // the server prefers h2
        Assert.True(loop.Server.IsResumed);
        Assert.Equal(TlsEarlyDataStatus.Rejected, loop.Client.EarlyDataStatus);
        Assert.Equal(0, loop.Server.ReadApplicationData(new byte[1024]));
    }

    [Fact]
    public void AServerAnsweringWithTls12AfterEarlyDataIsProtocolVersion()
    {
        var server = Server();
        var ticket = Ticket(server);
        var downgraded = Server(o => { o.TicketKeys = server.TicketKeys; o.MaxProtocolVersion = TlsProtocolVersion.Tls12; });
        using var loop = new Loopback(TestCerts.ClientOptions(o => { o.ResumeSession = ticket; o.EarlyData = Request; }), downgraded);
        Assert.ThrowsAny<TlsException>(() => loop.Pump());
        Assert.Equal(TlsConnectionState.Failed, loop.Client.State);
        // RFC 8446 §D.3: the client must not fall back once it has sent 0-RTT data.
        Assert.Equal(AlertDescription.ProtocolVersion, loop.Client.Error?.Alert);
    }

    [Fact]
    public async Task TheInMemoryStoreExpiresEntriesAndRefusesWhenFull()
    {
        var clock = new ShiftedClock(TimeSpan.Zero);
        var store = new InMemoryAntiReplayStore(capacity: 2, clock);
        Assert.True(await store.TryAddAsync(new byte[] { 1 }, TimeSpan.FromSeconds(20)));
        Assert.False(await store.TryAddAsync(new byte[] { 1 }, TimeSpan.FromSeconds(20)));
        Assert.True(await store.TryAddAsync(new byte[] { 2 }, TimeSpan.FromSeconds(20)));
        Assert.False(await store.TryAddAsync(new byte[] { 3 }, TimeSpan.FromSeconds(20)));   // full: refuse, never forget
        clock.Shift = TimeSpan.FromSeconds(21);
        Assert.True(await store.TryAddAsync(new byte[] { 3 }, TimeSpan.FromSeconds(20)));
        Assert.True(await store.TryAddAsync(new byte[] { 1 }, TimeSpan.FromSeconds(20)));
    }

    private sealed class ShiftedClock(TimeSpan shift) : TimeProvider
    {
        public TimeSpan Shift { get; set; } = shift;

        public override DateTimeOffset GetUtcNow() => TimeProvider.System.GetUtcNow() + Shift;
    }
}
