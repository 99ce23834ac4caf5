using System.Security.Cryptography;

namespace Tessera.Sessions;

/// <summary>
/// The anti-replay store of one process: keys (hashed) with an expiry, thread-safe and bounded. When full of
/// unexpired entries it answers "seen" (0-RTT refused) rather than forget one that could be replayed.
/// </summary>
public sealed class InMemoryAntiReplayStore : IAntiReplayStore
{
    private readonly Dictionary<(UInt128, UInt128), DateTimeOffset> _seen = [];
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;

    /// <summary>Creates a store holding at most <paramref name="capacity"/> recent ClientHellos.</summary>
    public InMemoryAntiReplayStore(int capacity = 100_000, TimeProvider? timeProvider = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The most entries held.</summary>
    public int Capacity { get; }

    /// <summary>Entries held now (expired ones included until the next sweep).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _seen.Count;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> TryAddAsync(ReadOnlyMemory<byte> key, TimeSpan lifetime, CancellationToken cancellationToken = default)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(key.Span, digest);
        var id = (System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(digest), System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(digest[16..]));
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            if (_seen.TryGetValue(id, out var expires) && expires > now)
            {
                return ValueTask.FromResult(false);
            }

            if (_seen.Count >= Capacity)
            {
                foreach (var stale in _seen.Where(e => e.Value <= now).Select(e => e.Key).ToList())
                {
                    _seen.Remove(stale);
                }

                if (_seen.Count >= Capacity)
                {
                    return ValueTask.FromResult(false);
                }
            }

            _seen[id] = now + lifetime;
            return ValueTask.FromResult(true);
        }
    }
}
