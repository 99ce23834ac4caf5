using StackExchange.Redis;
using Tessera.Redis;

namespace Tessera.Cli;

/// <summary>s_server -redis: the fleet's ticket keys, TLS 1.2 sessions and 0-RTT anti-replay in Redis. An unreachable Redis never stops the server.</summary>
internal sealed class RedisFleet : IDisposable
{
    private readonly ConnectionMultiplexer _redis;
    private readonly RedisTicketKeyRing _ring;

    private RedisFleet(ConnectionMultiplexer redis, RedisTicketKeyRing ring)
    {
        _redis = redis;
        _ring = ring;
    }

    /// <summary>Connects (or keeps trying in the background) and puts the fleet's stores into <paramref name="options"/>; ticket keys only when <paramref name="shareTicketKeys"/>.</summary>
    public static async Task<RedisFleet> ConnectAsync(string endpoint, TlsServerOptions options, bool shareTicketKeys, CancellationToken cancellationToken)
    {
        ConfigurationOptions configuration;
        try
        {
            configuration = ConfigurationOptions.Parse(endpoint);
        }
        catch (ArgumentException ex)
        {
            throw new CliException($"-redis {endpoint}: {ex.Message}");
        }

        configuration.AbortOnConnectFail = false;   // keep trying in the background; serve meanwhile
        configuration.ConnectTimeout = 2000;
        configuration.SyncTimeout = 1000;
        configuration.AsyncTimeout = 1000;
        configuration.ConnectRetry = 1;
        var redis = await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false);
        if (!redis.IsConnected)
        {
            Log($"redis at {endpoint} unreachable: full handshakes go on, tickets resume only here, 0-RTT is refused until it answers");
        }

        var ring = new RedisTicketKeyRing(redis, TimeSpan.FromHours(12), log: Log);
        await ring.StartAsync(cancellationToken).ConfigureAwait(false);
        if (shareTicketKeys)
        {
            options.TicketKeys = ring;
        }

        options.AntiReplay = new RedisAntiReplayStore(redis, log: Log);
        options.SessionCache = new RedisSessionStore(redis, log: Log);
        return new RedisFleet(redis, ring);
    }

    private static void Log(string line) => Console.Error.WriteLine($"tessera s_server: {line}");

    public void Dispose()
    {
        _ring.Dispose();
        _redis.Dispose();
    }
}
