using StackExchange.Redis;
using Tessera.Pki;
using Tessera.Redis;
using Tessera.Sessions;

namespace Tessera.Interop;

/// <summary>
/// A fleet on one Redis (Debian's redis-server on a free loopback port): two <c>tessera s_server</c> processes
/// resume each other's tickets and take 0-RTT; a 0-RTT flight replayed to two servers sharing the Redis is
/// delivered once; with Redis gone, handshakes go on and 0-RTT is refused.
/// </summary>
[Collection("pem")]
public sealed class FleetTests(PemFixture pem) : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly (PeerProcess Server, int Port) _redis = PeerProcess.StartRedis();

    public void Dispose() => _redis.Server.Dispose();

    private string RedisEndpoint => $"127.0.0.1:{_redis.Port}";

    private PeerProcess StartNode() =>
        PeerProcess.StartTessera("s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.EcdsaP256),
            "-key", pem.KeyFile(CertificateKeyType.EcdsaP256), "-redis", RedisEndpoint, "-early_data", "-www");

    private TlsClientOptions Client(TlsSession? ticket = null, byte[]? earlyData = null) => new()
    {
        ServerName = "localhost",
        CertificateVerifier = pem.Verifier(),
        ResumeSession = ticket,
        EarlyData = earlyData,
    };

    /// <summary>Connects, makes one HTTP exchange (so the server sends its tickets and closes cleanly) and returns the connection.</summary>
    private static async Task<TlsConnection> ExchangeAsync(int port, TlsClientOptions options)
    {
        await using var tls = await TesseraClient.ConnectAsync(port, options);
        if (tls.Connection.EarlyDataStatus != TlsEarlyDataStatus.Accepted)
        {
            await tls.WriteAsync("GET / HTTP/1.0\r\n\r\n"u8.ToArray());
        }

        var page = await TesseraClient.ReadAllAsync(tls);
        Assert.Contains("HTTP/1.0 200 ok", page, StringComparison.OrdinalIgnoreCase);
        return tls.Connection;
    }

    [Fact]
    public async Task ATicketFromNodeAResumesOnNodeBWithEarlyData()
    {
        using var nodeA = StartNode();
        int portA = nodeA.WaitForAcceptPort(Bound);
        using var nodeB = StartNode();
        int portB = nodeB.WaitForAcceptPort(Bound);

        var first = await ExchangeAsync(portA, Client());
        Assert.False(first.IsResumed);
        var ticket = first.Session ?? throw new InvalidOperationException("node A sent no ticket");
        Assert.True(ticket.MaxEarlyDataSize > 0);

        var resumed = await ExchangeAsync(portB, Client(ticket, "GET / HTTP/1.0\r\n\r\n"u8.ToArray()));
        Assert.True(resumed.IsResumed);
        Assert.Equal(TlsEarlyDataStatus.Accepted, resumed.EarlyDataStatus);
        Assert.Contains("0-RTT early data accepted", nodeB.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AReplayedZeroRttFlightIsDeliveredOnceAcrossServersSharingRedis()
    {
        using var redisA = await ConnectionMultiplexer.ConnectAsync(RedisEndpoint);
        using var redisB = await ConnectionMultiplexer.ConnectAsync(RedisEndpoint);
        using var ringA = new RedisTicketKeyRing(redisA, TimeSpan.FromHours(1));
        await ringA.StartAsync();
        using var ringB = new RedisTicketKeyRing(redisB, TimeSpan.FromHours(1));
        await ringB.StartAsync();
        Assert.True(ringA.HasSharedKeys && ringB.HasSharedKeys);
        TlsServerOptions Node(IConnectionMultiplexer redis, ITicketKeyRing ring)
        {
            var options = new TlsServerOptions { TicketKeys = ring, AntiReplay = new RedisAntiReplayStore(redis), MaxEarlyDataSize = 4096 };
            options.Certificates.Add(pem.Certificates[CertificateKeyType.EcdsaP256]);
            return options;
        }

        var nodeA = Node(redisA, ringA);
        var nodeB = Node(redisB, ringB);

        // A ticket from node A, then a client's 0-RTT flight as an attacker records it.
        var client = TlsConnection.CreateClient(Client());
        var first = TlsConnection.CreateServer(nodeA);
        await PumpAsync(client, first);
        var ticket = client.Session!;
        var victim = TlsConnection.CreateClient(Client(ticket, "pay 100"u8.ToArray()));
        victim.Start();
        var flight = new byte[victim.PendingOutputLength];
        victim.ReadOutput(flight);

        int delivered = 0;
        foreach (var node in new[] { nodeA, nodeB, nodeA })
        {
            using var server = TlsConnection.CreateServer(node);
            server.ReceiveBytes(flight);
            while (server.PendingOperation is { } pending)
            {
                await pending.WaitAsync(Bound);
                server.ResumePendingOperation();
            }

            delivered += server.EarlyDataReceived > 0 ? 1 : 0;
            Assert.NotEqual(TlsConnectionState.Failed, server.State);
        }

        Assert.Equal(1, delivered);
    }

    [Fact]
    public async Task WithRedisGoneHandshakesGoOnAndZeroRttIsRefused()
    {
        using var node = StartNode();
        int port = node.WaitForAcceptPort(Bound);
        var ticket = (await ExchangeAsync(port, Client())).Session!;

        _redis.Server.Dispose();   // stop redis mid-test

        var full = await ExchangeAsync(port, Client());
        Assert.False(full.IsResumed);
        var resumed = await ExchangeAsync(port, Client(ticket, "GET / HTTP/1.0\r\n\r\n"u8.ToArray()));
        Assert.True(resumed.IsResumed);                                    // the keys read before still open the ticket
        Assert.Equal(TlsEarlyDataStatus.Rejected, resumed.EarlyDataStatus); // never fail open
        Assert.Contains("0-RTT refused", node.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void ATls12SessionIdFromNodeAResumesOnNodeB()
    {
        using var nodeA = StartNode();
        int portA = nodeA.WaitForAcceptPort(Bound);
        using var nodeB = StartNode();
        int portB = nodeB.WaitForAcceptPort(Bound);
        var sessionFile = Path.Combine(pem.Directory, $"fleet12-{Guid.NewGuid():N}.pem");
        string Run(int port, string sessionOption)
        {
            using var client = PeerProcess.StartOpenSsl("s_client", "-connect", $"127.0.0.1:{port}", "-servername", "localhost", "-CAfile", pem.CaFile,
                "-verify_return_error", "-ign_eof", "-tls1_2", "-no_ticket", sessionOption, sessionFile);
            client.Stdin.Write("GET / HTTP/1.0\r\n\r\n");
            client.Stdin.Flush();
            Assert.True(client.WaitForExit(Bound) == 0, client.Stdout + client.Stderr);
            return client.Stdout;
        }

        Assert.Contains("New, TLSv1.2", Run(portA, "-sess_out"), StringComparison.Ordinal);
        Assert.Contains("Reused, TLSv1.2", Run(portB, "-sess_in"), StringComparison.Ordinal);
    }

    private static async Task PumpAsync(TlsConnection client, TlsConnection server)
    {
        client.Start();
        var buffer = new byte[1 << 16];
        for (int i = 0; i < 100 && !(client.IsHandshakeComplete && server.IsHandshakeComplete && client.Session is not null); i++)
        {
            foreach (var (from, to) in new[] { (client, server), (server, client) })
            {
                while (from.PendingOutputLength > 0)
                {
                    int n = from.ReadOutput(buffer);
                    to.ReceiveBytes(buffer.AsSpan(0, n));
                    while (to.PendingOperation is { } pending)
                    {
                        await pending.WaitAsync(Bound);
                        to.ResumePendingOperation();
                    }
                }
            }
        }
    }
}
