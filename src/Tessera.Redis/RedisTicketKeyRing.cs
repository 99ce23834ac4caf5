using System.Buffers.Binary;
using System.Security.Cryptography;
using StackExchange.Redis;
using Tessera.Sessions;

namespace Tessera.Redis;

/// <summary>
/// Ticket keys shared by a fleet through Redis, so that any server resumes any other's tickets. The keys (next,
/// current, previous) live under one Redis key; whichever server holds a short lease rotates them every
/// <c>rotationInterval</c> (the next key, already known to every server, becomes current; the previous is dropped).
/// Each server refreshes its copy in the background and seals and opens locally, never waiting on Redis in a
/// handshake. Until Redis has answered once, or if it is unreachable from the start, the server seals with a key
/// of its own (its tickets then resume only on itself) and says so in its log. The Redis instance holds the
/// ticket keys: keep it private.
/// </summary>
public sealed class RedisTicketKeyRing : ITicketKeyRing, IDisposable
{
    private const byte FormatVersion = 1;
    private const int EntryLength = TicketKeyRing.NameLength + TicketKeyRing.KeyLength;
    private const string LeaseScript = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) " +
                                       "else if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 else return 0 end end";

    private readonly IConnectionMultiplexer _redis;
    private readonly string _keysKey;
    private readonly string _leaseKey;
    private readonly string _node = Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
    private readonly Action<string>? _log;
    private readonly TimeProvider _time;
    private readonly TicketKeyRing _local;
    private readonly CancellationTokenSource _stop = new();
    private volatile TicketKeyRing? _shared;
    private TicketKeyRing? _retiring;
    private byte[] _sharedBlob = [];
    private bool _reachable = true;
    private Task? _loop;

    /// <summary>Creates a ring under <paramref name="keyPrefix"/>; call <see cref="StartAsync"/> before serving.</summary>
    public RedisTicketKeyRing(IConnectionMultiplexer redis, TimeSpan rotationInterval, string keyPrefix = "tessera:", Action<string>? log = null,
        TimeSpan? refreshInterval = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(rotationInterval, TimeSpan.Zero);
        _redis = redis;
        RotationInterval = rotationInterval;
        RefreshInterval = refreshInterval ?? TimeSpan.FromSeconds(5);
        _keysKey = keyPrefix + "ticketkeys";
        _leaseKey = keyPrefix + "ticketkeys:lease";
        _log = log;
        _time = timeProvider ?? TimeProvider.System;
        _local = new TicketKeyRing(rotationInterval, _time);   // while Redis is out of reach, this server's own keys rotate too
    }

    /// <summary>How often the lease holder rotates the fleet's keys.</summary>
    public TimeSpan RotationInterval { get; }

    /// <summary>How often each server reads the keys again (and the lease holder checks whether to rotate).</summary>
    public TimeSpan RefreshInterval { get; }

    /// <summary>True once keys from Redis are in use.</summary>
    public bool HasSharedKeys => _shared is not null;

    /// <summary>Reads (or, as the first server, creates) the fleet's keys once, then keeps them fresh in the background.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await RefreshAsync(cancellationToken).ConfigureAwait(false);
        _loop ??= Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(RefreshInterval, _time, _stop.Token).ConfigureAwait(false);
                    await RefreshAsync(_stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    // Whatever went wrong this round, the loop must go on refreshing (and rotating) next round.
                    _log?.Invoke($"ticket key refresh failed ({ex.GetType().Name}); retrying in {RefreshInterval.TotalSeconds:0} s");
                }
            }
        }, CancellationToken.None);
    }

    /// <summary>One round: take or renew the lease, rotate if due and leading, read the keys. Failures are logged, never thrown.</summary>
    internal async Task RefreshAsync(CancellationToken cancellationToken)
    {
        try
        {
            var db = _redis.GetDatabase();
            var leaseMs = (long)(RefreshInterval.TotalMilliseconds * 3);
            bool leading = (long)await db.ScriptEvaluateAsync(LeaseScript, [_leaseKey], [_node, leaseMs]).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false) == 1;
            byte[]? blob = await db.StringGetAsync(_keysKey).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
            if (leading && (blob is null || !TryParse(blob, out var rotatedAt, out _) || _time.GetUtcNow() - rotatedAt >= RotationInterval))
            {
                var rotated = Rotate(blob);
                await db.StringSetAsync(_keysKey, rotated).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
                CryptographicOperations.ZeroMemory(blob);
                blob = rotated;
                _log?.Invoke("ticket keys rotated for the fleet");
            }

            if (blob is not null)
            {
                Install(blob);
            }

            if (!_reachable)
            {
                _log?.Invoke("redis reachable again: ticket keys shared");
                _reachable = true;
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            if (_reachable)
            {
                _log?.Invoke(_shared is null
                    ? $"redis unreachable ({ex.GetType().Name}): sealing tickets with this server's own key; they resume only here"
                    : $"redis unreachable ({ex.GetType().Name}): keeping the last ticket keys read");
                _reachable = false;
            }
        }
    }

    /// <summary>next → current → previous: a new next key, the current from the old next, the old current kept to open.</summary>
    private byte[] Rotate(byte[]? blob)
    {
        var entries = blob is not null && TryParse(blob, out _, out var parsed) ? parsed : [];
        var next = RandomNumberGenerator.GetBytes(EntryLength);
        List<byte[]> ordered = entries.Count switch
        {
            0 => [RandomNumberGenerator.GetBytes(EntryLength), next],   // first time: current and next
            _ => [entries.Count > 1 ? entries[1] : RandomNumberGenerator.GetBytes(EntryLength), next, entries[0]],
        };
        var result = new byte[1 + 8 + 1 + (ordered.Count * EntryLength)];
        result[0] = FormatVersion;
        BinaryPrimitives.WriteInt64BigEndian(result.AsSpan(1), _time.GetUtcNow().ToUnixTimeMilliseconds());
        result[9] = (byte)ordered.Count;
        for (int i = 0; i < ordered.Count; i++)
        {
            ordered[i].CopyTo(result, 10 + (i * EntryLength));
        }

        foreach (var entry in entries.Concat(ordered))
        {
            CryptographicOperations.ZeroMemory(entry);
        }

        return result;
    }

    /// <summary>Format: version(1), rotated-at unix ms(8), count(1), then count × (name 16 ‖ key 32): current, next, previous.</summary>
    private static bool TryParse(byte[] blob, out DateTimeOffset rotatedAt, out List<byte[]> entries)
    {
        rotatedAt = default;
        entries = [];
        if (blob.Length < 10 || blob[0] != FormatVersion || blob[9] is 0 or > 3 || blob.Length != 10 + (blob[9] * EntryLength))
        {
            return false;
        }

        long rotatedMs = BinaryPrimitives.ReadInt64BigEndian(blob.AsSpan(1));
        if (rotatedMs < 0 || rotatedMs > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            return false;
        }

        rotatedAt = DateTimeOffset.FromUnixTimeMilliseconds(rotatedMs);
        for (int i = 0; i < blob[9]; i++)
        {
            entries.Add(blob.AsSpan(10 + (i * EntryLength), EntryLength).ToArray());
        }

        return true;
    }

    private void Install(byte[] blob)
    {
        if (blob.AsSpan().SequenceEqual(_sharedBlob) || !TryParse(blob, out _, out var entries))
        {
            return;
        }

        var ring = TicketKeyRing.FromKeys([.. entries.Select(e => (e[..TicketKeyRing.NameLength], e[TicketKeyRing.NameLength..]))]);
        entries.ForEach(e => CryptographicOperations.ZeroMemory(e));
        CryptographicOperations.ZeroMemory(_sharedBlob);
        _sharedBlob = blob;
        _retiring?.Dispose();   // two refreshes old: no handshake still holds it
        _retiring = _shared;
        _shared = ring;
    }

    /// <inheritdoc />
    public byte[] Seal(ReadOnlySpan<byte> state) => (_shared ?? _local).Seal(state);

    /// <inheritdoc />
    public byte[]? Open(ReadOnlySpan<byte> ticket) => _shared?.Open(ticket) ?? _retiring?.Open(ticket) ?? _local.Open(ticket);

    /// <summary>Stops refreshing and destroys every key held.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _loop?.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }

        _shared?.Dispose();
        _retiring?.Dispose();
        _local.Dispose();
        CryptographicOperations.ZeroMemory(_sharedBlob);
        _stop.Dispose();
    }
}
