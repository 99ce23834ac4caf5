namespace Tessera.Fuzz;

/// <summary>Moves bytes between two sans-IO engines, finishing pending operations (certificate checks, signatures) on the spot.</summary>
public static class EnginePump
{
    private static readonly TimeSpan PendingBound = TimeSpan.FromSeconds(10);

    /// <summary>Delivers everything <paramref name="from"/> has queued to <paramref name="to"/>; true when anything moved.</summary>
    public static bool Deliver(TlsConnection from, TlsConnection to)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        if (from.PendingOutputLength == 0)
        {
            return false;
        }

        var output = from.PeekOutput();
        int count = output.Length;
        try
        {
            to.ReceiveBytes(output);
        }
        finally
        {
            from.ConsumeOutput(count);
        }

        FinishPending(to);
        return true;
    }

    /// <summary>Completes <paramref name="connection"/>'s pending operation, if any; a wait over 10 s is a hang.</summary>
    public static void FinishPending(TlsConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        while (connection.PendingOperation is { } pending)
        {
            if (!pending.Wait(PendingBound))
            {
                throw new FuzzFinding("a pending operation did not complete within 10 s");
            }

            connection.ResumePendingOperation();
        }
    }
}
