using StackExchange.Redis;
using Tessera.Sessions;

namespace Tessera.Redis;

/// <summary>
/// The fleet's memory of accepted 0-RTT ClientHellos: one atomic <c>SET key 1 PX lifetime NX</c> per ClientHello,
/// so of all servers sharing the Redis, exactly one accepts a given flight (RFC 8446 §8.2). When Redis does not
/// answer, the answer is "seen": 0-RTT is refused, the handshake goes on in one round trip, and the log says why.
/// </summary>
public sealed class RedisAntiReplayStore : IAntiReplayStore
{
    private readonly IConnectionMultiplexer _redis;
    private readonly string _prefix;
    private readonly Action<string>? _log;

    /// <summary>Creates a store under <paramref name="keyPrefix"/> (default "tessera:") in the multiplexer's database.</summary>
    public RedisAntiReplayStore(IConnectionMultiplexer redis, string keyPrefix = "tessera:", Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(redis);
        _redis = redis;
        _prefix = keyPrefix + "0rtt:";
        _log = log;
    }

    /// <inheritdoc />
    public async ValueTask<bool> TryAddAsync(ReadOnlyMemory<byte> key, TimeSpan lifetime, CancellationToken cancellationToken = default)
    {
        var id = _prefix + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(key.Span));
        try
        {
            return await _redis.GetDatabase().StringSetAsync(id, 1, lifetime, When.NotExists).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            _log?.Invoke($"redis anti-replay store unreachable ({ex.GetType().Name}); 0-RTT refused");
            return false;
        }
    }
}
