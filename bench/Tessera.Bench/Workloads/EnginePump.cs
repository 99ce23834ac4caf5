namespace Tessera.Bench.Workloads;

/// <summary>Moves bytes between two sans-IO engines on the calling thread, finishing any pending operation on the spot.</summary>
public static class EnginePump
{
    /// <summary>Delivers everything <paramref name="from"/> has to send to <paramref name="to"/>; true when anything moved.</summary>
    public static bool Move(TlsConnection from, TlsConnection to, byte[] buffer)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        bool any = false;
        while (from.PendingOutputLength > 0)
        {
            int n = from.ReadOutput(buffer);
            to.ReceiveBytes(buffer.AsSpan(0, n));
            while (to.PendingOperation is { } pending)
            {
                pending.Wait();
                to.ResumePendingOperation();
            }

            any = true;
        }

        return any;
    }
}
