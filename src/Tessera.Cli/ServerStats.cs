using System.Diagnostics;
using System.Text;

namespace Tessera.Cli;

/// <summary>
/// What <c>tessera s_server</c> holds right now, for <c>GET /stats</c> under <c>-www</c> (what <c>tessera load</c> reads
/// before and after a run to see that memory returns to where it was).
/// </summary>
internal sealed class ServerStats(TlsServerOptions options)
{
    private long _open;
    private long _accepted;

    /// <summary>Connections open now.</summary>
    public long Open => Interlocked.Read(ref _open);

    /// <summary>A connection was accepted; dispose the result when it ends.</summary>
    public IDisposable Track()
    {
        Interlocked.Increment(ref _accepted);
        Interlocked.Increment(ref _open);
        return new Release(this);
    }

    /// <summary>The lines of <c>/stats</c>, after a full, compacting collection so the managed figure is what is live.</summary>
    public string Describe()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        using var process = Process.GetCurrentProcess();
        var sb = new StringBuilder();
        sb.Append("connections_open: ").Append(Open - 1).Append('\n');   // not counting the one asking
        sb.Append("connections_accepted: ").Append(Interlocked.Read(ref _accepted)).Append('\n');
        sb.Append("handshakes_in_progress: ").Append(options.HandshakesInProgress).Append('\n');
        sb.Append("sessions_cached: ").Append((options.SessionCache as Tessera.Sessions.TlsSessionCache)?.Count ?? 0).Append('\n');
        sb.Append("managed_bytes: ").Append(GC.GetTotalMemory(forceFullCollection: false)).Append('\n');
        sb.Append("rss_bytes: ").Append(process.WorkingSet64).Append('\n');
        return sb.ToString();
    }

    private sealed class Release(ServerStats owner) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                Interlocked.Decrement(ref owner._open);
            }
        }
    }
}
