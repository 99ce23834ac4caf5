using StackExchange.Redis;
using Tessera.Sessions;

namespace Tessera.Redis;

/// <summary>
/// TLS 1.2 sessions by session ID, and TLS 1.3 sessions behind stateful single-use tickets, in Redis, with the session's remaining lifetime as the key's TTL, so any server
/// of a fleet resumes a session another made. The stored value holds the master secret: keep the Redis private.
/// Unreachable Redis: nothing is found (full handshakes) and nothing is lost but resumption.
/// </summary>
public sealed class RedisSessionStore : ISessionStore
{
    private readonly IConnectionMultiplexer _redis;
    private readonly string _prefix;
    private readonly Action<string>? _log;
    private readonly TimeProvider _time;

    /// <summary>Creates a store under <paramref name="keyPrefix"/> (default "tessera:").</summary>
    public RedisSessionStore(IConnectionMultiplexer redis, string keyPrefix = "tessera:", Action<string>? log = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(redis);
        _redis = redis;
        _prefix = keyPrefix + "session:";
        _log = log;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public async ValueTask AddAsync(TlsSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        var ttl = session.CreatedAt + session.Lifetime - _time.GetUtcNow();
        if (session.SessionId.Length == 0 || ttl <= TimeSpan.Zero)
        {
            return;
        }

        var value = session.Export();
        try
        {
            await _redis.GetDatabase().StringSetAsync(_prefix + Convert.ToHexString(session.SessionId), value, ttl).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            _log?.Invoke($"redis session store unreachable ({ex.GetType().Name}); this session resumes nowhere");
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(value);
        }
    }

    /// <inheritdoc />
    public async ValueTask<TlsSession?> TakeAsync(ReadOnlyMemory<byte> sessionId, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        byte[]? value;
        try
        {
            // GETDEL: of all servers asking at once, one gets it.
            value = await _redis.GetDatabase().StringGetDeleteAsync(_prefix + Convert.ToHexString(sessionId.Span)).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            _log?.Invoke($"redis session store unreachable ({ex.GetType().Name}); full handshake");
            return null;
        }

        return Decode(value, sessionId, now);
    }

    /// <inheritdoc />
    public async ValueTask<TlsSession?> FindAsync(ReadOnlyMemory<byte> sessionId, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        byte[]? value;
        try
        {
            value = await _redis.GetDatabase().StringGetAsync(_prefix + Convert.ToHexString(sessionId.Span)).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            _log?.Invoke($"redis session store unreachable ({ex.GetType().Name}); full handshake");
            return null;
        }

        return Decode(value, sessionId, now);
    }

    private static TlsSession? Decode(byte[]? value, ReadOnlyMemory<byte> sessionId, DateTimeOffset now)
    {
        if (value is null)
        {
            return null;
        }

        try
        {
            var session = TlsSession.Import(value);
            return session.IsExpiredAt(now) || !session.SessionId.AsSpan().SequenceEqual(sessionId.Span) ? null : session;
        }
        catch (FormatException)
        {
            return null;
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(value);
        }
    }
}
