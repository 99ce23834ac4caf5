using Tessera.KeySchedule;

namespace Tessera.Tests.Engine;

/// <summary>Wires a client and a server <see cref="TlsConnection"/> together in memory.</summary>
internal sealed class Loopback : IDisposable
{
    public Loopback(TlsClientOptions clientOptions, TlsServerOptions serverOptions)
    {
        ClientOptions = clientOptions;
        ServerOptions = serverOptions;
        Client = TlsConnection.CreateClient(clientOptions);
        Server = TlsConnection.CreateServer(serverOptions);
    }

    public TlsClientOptions ClientOptions { get; }

    public TlsServerOptions ServerOptions { get; }

    public TlsConnection Client { get; }

    public TlsConnection Server { get; }

    /// <summary>Bytes each side has sent so far, for tests that inspect the wire.</summary>
    public List<byte[]> ClientToServer { get; } = [];

    public List<byte[]> ServerToClient { get; } = [];

    /// <summary>Delivers output both ways until neither side has anything to say. <paramref name="chunk"/> bounds each delivery.</summary>
    /// <summary>
    /// A side that fails stops receiving, but its alert is still delivered to the other side; the first
    /// failure is rethrown once everything has settled.
    /// </summary>
    public void Pump(int chunk = int.MaxValue)
    {
        TlsException? first = null;
        Try(() => Client.Start(), ref first);
        for (int rounds = 0; rounds < 10_000; rounds++)
        {
            bool moved = Move(Client, Server, ClientToServer, chunk, ref first) | Move(Server, Client, ServerToClient, chunk, ref first);
            moved |= FinishPending(Client) | FinishPending(Server);
            if (!moved)
            {
                if (first is not null)
                {
                    throw first;
                }

                return;
            }
        }

        throw new InvalidOperationException("Loopback did not settle.");
    }

    private static void Try(Action action, ref TlsException? first)
    {
        try
        {
            action();
        }
        catch (TlsException ex)
        {
            first ??= ex;
        }
    }

    public void Handshake(int chunk = int.MaxValue)
    {
        Pump(chunk);
        Assert.True(Client.IsHandshakeComplete, "client handshake incomplete");
        Assert.True(Server.IsHandshakeComplete, "server handshake incomplete");
    }

    public static byte[] Send(TlsConnection from, TlsConnection to, byte[] data)
    {
        from.WriteApplicationData(data);
        var wire = new byte[from.PendingOutputLength];
        from.ReadOutput(wire);
        to.ReceiveBytes(wire);
        var received = new byte[to.AvailableApplicationData];
        to.ReadApplicationData(received);
        return received;
    }

    public void Dispose()
    {
        Client.Dispose();
        Server.Dispose();
    }

    private static bool Move(TlsConnection from, TlsConnection to, List<byte[]> log, int chunk, ref TlsException? first)
    {
        if (from.PendingOutputLength == 0 || to.State == TlsConnectionState.Failed)
        {
            return false;
        }

        var bytes = new byte[from.PendingOutputLength];
        from.ReadOutput(bytes);
        log.Add(bytes);
        for (int offset = 0; offset < bytes.Length && to.State != TlsConnectionState.Failed; offset += chunk)
        {
            int at = offset;
            Try(() =>
            {
                to.ReceiveBytes(bytes.AsSpan(at, Math.Min(chunk, bytes.Length - at)));
                FinishPending(to);
            }, ref first);
        }

        return true;
    }

    private static bool FinishPending(TlsConnection connection)
    {
        bool any = false;
        while (connection.State != TlsConnectionState.Failed && connection.PendingOperation is { } pending)
        {
            Assert.True(pending.Wait(TimeSpan.FromSeconds(10)), "pending operation timed out");
            connection.ResumePendingOperation();
            any = true;
        }

        return any;
    }
}

/// <summary>Collects key log lines in memory.</summary>
internal sealed class MemoryKeyLog : IKeyLogWriter
{
    public List<string> Lines { get; } = [];

    public void WriteLine(string line) => Lines.Add(line);

    public byte[] Secret(string label) =>
        Convert.FromHexString(Lines.Single(l => l.StartsWith(label + " ", StringComparison.Ordinal)).Split(' ')[2]);
}
