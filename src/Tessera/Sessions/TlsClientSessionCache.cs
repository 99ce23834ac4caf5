namespace Tessera.Sessions;

/// <summary>
/// A client's sessions, by server name: set it as <see cref="TlsClientOptions.SessionCache"/> and connections to
/// a name resume what earlier connections to that name left. TLS 1.3 tickets are used once each (RFC 8446 §C.4:
/// a reused ticket would let an observer link the connections) and a few are kept per name; a TLS 1.2 session
/// stays until it expires or is replaced. Bounded, and safe to share between connections on many threads.
/// </summary>
public sealed class TlsClientSessionCache
{
    private readonly Dictionary<string, List<TlsSession>> _byName = new(StringComparer.OrdinalIgnoreCase);
    private readonly Queue<string> _names = new();
    private readonly Lock _gate = new();

    /// <summary>Creates a cache for up to <paramref name="maxServers"/> names, keeping up to <paramref name="ticketsPerServer"/> TLS 1.3 tickets each.</summary>
    public TlsClientSessionCache(int maxServers = 1000, int ticketsPerServer = 4)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxServers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ticketsPerServer, 1);
        MaxServers = maxServers;
        TicketsPerServer = ticketsPerServer;
    }

    /// <summary>The most server names remembered.</summary>
    public int MaxServers { get; }

    /// <summary>The most TLS 1.3 tickets kept per name.</summary>
    public int TicketsPerServer { get; }

    /// <summary>Sessions held now, over all names.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _byName.Values.Sum(l => l.Count);
            }
        }
    }

    /// <summary>Remembers <paramref name="session"/> under its server name (connections without a name share the empty one).</summary>
    public void Add(TlsSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var name = session.ServerName ?? "";
        lock (_gate)
        {
            if (!_byName.TryGetValue(name, out var list))
            {
                while (_byName.Count >= MaxServers && _names.TryDequeue(out var oldest))
                {
                    if (_byName.Remove(oldest, out var evicted))
                    {
                        evicted.ForEach(s => s.Clear());
                    }
                }

                list = [];
                _byName[name] = list;
                _names.Enqueue(name);
            }

            if (session.Version == TlsProtocolVersion.Tls12)
            {
                list.RemoveAll(s => s.Version == TlsProtocolVersion.Tls12);
            }
            else if (list.Count(s => s.Version == TlsProtocolVersion.Tls13) >= TicketsPerServer)
            {
                var oldest = list.First(s => s.Version == TlsProtocolVersion.Tls13);
                list.Remove(oldest);
                oldest.Clear();
            }

            list.Add(session);
        }
    }

    /// <summary>
    /// A session to offer to <paramref name="serverName"/>: the newest current TLS 1.3 ticket (taken out: it is
    /// used once), else the TLS 1.2 session (left in place). Expired ones are dropped on the way.
    /// </summary>
    internal TlsSession? Take(string? serverName, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (!_byName.TryGetValue(serverName ?? "", out var list))
            {
                return null;
            }

            foreach (var expired in list.Where(s => s.IsExpiredAt(now)).ToList())
            {
                list.Remove(expired);
                expired.Clear();
            }

            var ticket = list.LastOrDefault(s => s.Version == TlsProtocolVersion.Tls13);
            if (ticket is not null)
            {
                list.Remove(ticket);
                return ticket;
            }

            return list.LastOrDefault();
        }
    }
}
