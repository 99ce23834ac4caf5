using Tessera.Bench.Stacks;
using Tessera.Bench.Transports;

namespace Tessera.Bench.Workloads;

/// <summary>
/// Memory held per idle established connection: N connections over in-memory pipes (sockets would need 2N file
/// descriptors and put the kernel's buffers outside the process), handshake done and one byte delivered, no read
/// pending. Measured after a full GC as managed heap (GC.GetTotalMemory) and as resident set (RSS, which also sees
/// native memory such as OpenSSL's), minus the same N bare pipe pairs; both ends of each connection are counted.
/// </summary>
public static class IdleMemoryWorkload
{
    private static readonly byte[] OneByte = [0x2A];

    /// <summary>Measures one stack; returns the managed and the RSS figure.</summary>
    public static async Task<(Measurement Managed, Measurement Resident)> RunAsync(string id, string title, ITlsStackFactory factory, Scenario scenario,
        BenchCredentials credentials, BenchSettings settings, Action<string>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(settings);
        using var stack = factory.Create(scenario, credentials);
        int count = settings.IdleConnections;
        var transports = new List<(Stream Client, Stream Server)>(count);
        var pairs = new List<TlsPair>(count);
        try
        {
            // One connection first, so that everything loaded once (code, caches, pools) is in the baseline.
            var (a, b) = InMemoryDuplex.CreatePair();
            await using (await EstablishAsync(stack, a, b, cancellationToken).ConfigureAwait(false))
            {
            }

            for (int i = 0; i < count; i++)
            {
                transports.Add(InMemoryDuplex.CreatePair());
            }

            var (bareManaged, bareResident) = Snapshot();
            var buffer = new byte[1];
            for (int i = 0; i < count; i++)
            {
                pairs.Add(await EstablishAsync(stack, transports[i].Client, transports[i].Server, cancellationToken).ConfigureAwait(false));
                if (progress is not null && (i + 1) % Math.Max(1, count / 10) == 0)
                {
                    progress($"{i + 1}/{count} connections");
                }
            }

            var (heldManaged, heldResident) = Snapshot();
            var managed = new Measurement(id + ".managed", title + " (managed heap)", factory.Name, "bytes/connection", false,
                (double)(heldManaged - bareManaged) / count, double.NaN, double.NaN, 1) { Note = $"{count} connections, both ends" };
            var resident = new Measurement(id + ".rss", title + " (RSS)", factory.Name, "bytes/connection", false,
                (double)(heldResident - bareResident) / count, double.NaN, double.NaN, 1) { Note = $"{count} connections, both ends" };
            GC.KeepAlive(buffer);
            return (managed, resident);
        }
        finally
        {
            foreach (var pair in pairs)
            {
                await pair.DisposeAsync().ConfigureAwait(false);
            }

            foreach (var (client, server) in transports.Skip(pairs.Count))
            {
                await client.DisposeAsync().ConfigureAwait(false);
                await server.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static async Task<TlsPair> EstablishAsync(ITlsStack stack, Stream client, Stream server, CancellationToken cancellationToken)
    {
        var pair = await stack.ConnectAsync(client, server, cancellationToken).ConfigureAwait(false);
        await pair.Server.WriteAsync(OneByte, cancellationToken).ConfigureAwait(false);
        await pair.Server.FlushAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new byte[1];
        if (await pair.Client.ReadAsync(buffer, cancellationToken).ConfigureAwait(false) != 1)
        {
            throw new InvalidOperationException("the byte sent after the handshake did not arrive");
        }

        return pair;
    }

    private static (long Managed, long Resident) Snapshot()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        return (GC.GetTotalMemory(forceFullCollection: true), Environment.WorkingSet);
    }
}
