namespace Tessera.Sessions;

/// <summary>
/// The server's TLS 1.2 session-ID cache in this process (<see cref="ISessionStore"/>): bounded (the oldest entry leaves first), entries expire,
/// safe to share between connections on many threads.
/// </summary>
public sealed class TlsSessionCache : ISessionStore
{
    // Insertion order in a linked list whose nodes the dictionary holds, so a session taken or expired leaves both at once.
    private readonly Dictionary<string, LinkedListNode<(string Key, TlsSession Session)>> _sessions = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Key, TlsSession Session)> _order = new();
    private readonly Lock _gate = new();

    /// <summary>Creates a cache holding at most <paramref name="capacity"/> sessions.</summary>
    public TlsSessionCache(int capacity = 10_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    /// <summary>The most sessions held at once.</summary>
    public int Capacity { get; }

    /// <summary>Sessions held now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _sessions.Count;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask AddAsync(TlsSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        Add(session);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<TlsSession?> FindAsync(ReadOnlyMemory<byte> sessionId, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Find(sessionId.Span, now));

    /// <inheritdoc />
    public ValueTask<TlsSession?> TakeAsync(ReadOnlyMemory<byte> sessionId, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var key = Convert.ToHexString(sessionId.Span);
        lock (_gate)
        {
            if (!_sessions.Remove(key, out var node))
            {
                return ValueTask.FromResult<TlsSession?>(null);
            }

            _order.Remove(node);
            var session = node.Value.Session;
            if (session.IsExpiredAt(now))
            {
                session.Clear();
                return ValueTask.FromResult<TlsSession?>(null);
            }

            return ValueTask.FromResult<TlsSession?>(session);
        }
    }

    internal void Add(TlsSession session)
    {
        var key = Convert.ToHexString(session.SessionId);
        lock (_gate)
        {
            if (_sessions.ContainsKey(key))
            {
                return;
            }

            while (_sessions.Count >= Capacity && _order.First is { } oldest)
            {
                _order.RemoveFirst();
                _sessions.Remove(oldest.Value.Key);
                oldest.Value.Session.Clear();
            }

            _sessions[key] = _order.AddLast((key, session));
        }
    }

    internal TlsSession? Find(ReadOnlySpan<byte> sessionId, DateTimeOffset now)
    {
        var key = Convert.ToHexString(sessionId);
        lock (_gate)
        {
            if (!_sessions.TryGetValue(key, out var node))
            {
                return null;
            }

            var session = node.Value.Session;
            if (session.IsExpiredAt(now))
            {
                _sessions.Remove(key);
                _order.Remove(node);
                session.Clear();
                return null;
            }

            return session;
        }
    }
}
