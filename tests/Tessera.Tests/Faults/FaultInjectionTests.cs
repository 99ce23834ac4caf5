using System.Collections.Concurrent;
using Tessera.Fuzz.Targets;

namespace Tessera.Tests.Faults;

[CollectionDefinition(nameof(FaultInjection), DisableParallelization = true)]
public sealed class FaultInjection;

/// <summary>
/// Every handshake mode over a transport that drops, closes, duplicates, reorders, flips and delays bytes, in either
/// direction, at offsets from the first record header to the middle of the application data. Whatever the fault:
/// both ends finish within a bound with a clear error (or succeed, when the fault hit nothing that matters), neither
/// ever delivers plaintext its peer did not send, a clean end (close_notify) means all data arrived, a delay changes
/// nothing, and no task is left with an unobserved exception.
/// </summary>
[Collection(nameof(FaultInjection))]
public sealed class FaultInjectionTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(5);
    private static readonly int[] Offsets = [0, 4, 40, 200, 700, 3000, 20000];

    public static TheoryData<int> Scenarios() => [.. Enumerable.Range(0, EngineScenario.All.Count)];

    private sealed record Side(byte[] Received, Exception? Error, bool CleanEnd, bool IdleTimedOut)
    {
        public bool EarlyAccepted { get; init; }
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task EveryFaultEndsCleanlyOrWithAClearErrorAndNeverCorruptsData(int index)
    {
        var scenario = EngineScenario.All[index];
        var faults = new List<Fault?> { null };
        foreach (var kind in Enum.GetValues<FaultKind>())
        {
            foreach (bool clientToServer in new[] { true, false })
            {
                faults.AddRange(Offsets.Select(offset => new Fault(kind, clientToServer, offset)));
            }
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();   // what earlier tests left unobserved is not this test's
        var unobserved = new ConcurrentQueue<Exception>();
        void OnUnobserved(object? sender, UnobservedTaskExceptionEventArgs e) => unobserved.Enqueue(e.Exception);
        TaskScheduler.UnobservedTaskException += OnUnobserved;
        try
        {
            var runs = faults.Select(fault => (Fault: fault, Task: RunAsync(scenario, fault))).ToList();
            var all = Task.WhenAll(runs.Select(r => r.Task));
            Assert.True(await Task.WhenAny(all, Task.Delay(Bound)) == all, $"{scenario.Name}: a connection did not end within {Bound.TotalSeconds} s");
            var problems = runs.SelectMany(r => Check(r.Fault, r.Task.Result).Select(p => $"{scenario.Name}, {r.Fault?.ToString() ?? "no fault"}: {p}")).ToList();
            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }
        finally
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            TaskScheduler.UnobservedTaskException -= OnUnobserved;
        }

        Assert.True(unobserved.IsEmpty, string.Join("\n", unobserved));
    }

    private static IEnumerable<string> Check(Fault? fault, (Side Client, Side Server, byte[] Request, byte[] Response, byte[]? EarlyData) run)
    {
        var (client, server, request, response, early) = run;
        // With 0-RTT accepted, the early data comes first and must not be lost; declined, it is not delivered at all.
        byte[] expectedByServer = client.EarlyAccepted && early is not null ? [.. early, .. request] : request;
        foreach (var (name, side, sent) in new[] { ("server", server, expectedByServer), ("client", client, response) })
        {
            // Nothing but what the peer sent, in order.
            if (!IsPrefix(side.Received, sent))
            {
                yield return $"the {name} received {side.Received.Length} bytes that are not a prefix of what its peer sent";
            }

            if (side.CleanEnd && !side.Received.AsSpan().SequenceEqual(sent))
            {
                yield return $"the {name} saw close_notify after {side.Received.Length} of {sent.Length} bytes";
            }

            if (side.Error is { } error && error is not (TlsException or IOException or TimeoutException))
            {
                yield return $"the {name} failed with {error.GetType().Name}: {error}";
            }

            if (side.Error is { Message.Length: 0 })
            {
                yield return $"the {name}'s error has no message";
            }

            if (side.IdleTimedOut && fault?.Kind is not (FaultKind.Drop or FaultKind.Reorder or FaultKind.FlipBit))
            {
                // Only lost or held-back bytes (or a flipped length that promises more) may leave a reader waiting for data that never comes.
                yield return $"the {name} waited {IdleTimeout.TotalSeconds} s for data that never came";
            }
        }

        if (fault is { Kind: FaultKind.FlipBit or FaultKind.CloseAt or FaultKind.Duplicate or FaultKind.Drop, Offset: <= 200 } && client.Error is null && server.Error is null
            && !client.IdleTimedOut && !server.IdleTimedOut)
        {
            // Every byte of a handshake is covered by the transcript, a MAC or a length: such a fault cannot pass unnoticed.
            yield return "the fault in the handshake went unnoticed";
        }

        if (fault is null or { Kind: FaultKind.Delay })
        {
            if (client.Error is not null || server.Error is not null || !client.CleanEnd || !server.CleanEnd)
            {
                yield return $"expected success: client {client.Error?.Message ?? "ok"}, server {server.Error?.Message ?? "ok"}";
            }
        }
    }

    private static int StableSeed(string text)
    {
        uint hash = 2166136261;   // FNV-1a: the same seed in every process, unlike string.GetHashCode
        foreach (char c in text)
        {
            hash = (hash ^ c) * 16777619;
        }

        return (int)(hash & 0x7FFFFFFF);
    }

    private static bool IsPrefix(byte[] received, byte[] sent) => received.Length <= sent.Length && sent.AsSpan(0, received.Length).SequenceEqual(received);

    private static async Task<(Side Client, Side Server, byte[] Request, byte[] Response, byte[]? EarlyData)> RunAsync(EngineScenario scenario, Fault? fault)
    {
        var request = new byte[24_000];
        var response = new byte[9_000];
        new Random(StableSeed(fault?.ToString() ?? "none")).NextBytes(request);
        new Random(7).NextBytes(response);
        var clientOptions = scenario.Client();
        var serverOptions = scenario.Server();
        serverOptions.HandshakeTimeout = IdleTimeout;
        var pipe = new FaultyPipe(fault);
        var client = new TlsStream(pipe.Client);
        var server = new TlsStream(pipe.Server);
        var serverSide = Task.Run(() => ServeAsync(server, serverOptions, request.Length, response));
        var clientSide = Task.Run(() => RequestAsync(client, clientOptions, request));
        await Task.WhenAll(serverSide, clientSide);
        return (clientSide.Result, serverSide.Result, request, response, clientOptions.EarlyData);
    }

    /// <summary>Handshake, read the request, send the response and close_notify, then read to the end.</summary>
    private static async Task<Side> ServeAsync(TlsStream server, TlsServerOptions options, int requestLength, byte[] response)
    {
        var received = new MemoryStream();
        bool idle = false;
        try
        {
            await server.AuthenticateAsServerAsync(options);
            idle = !await ReadAsync(server, received, requestLength);
            if (!idle && received.Length >= requestLength)
            {
                await server.WriteAsync(response);
                await server.ShutdownAsync();
                idle = !await ReadAsync(server, received, int.MaxValue);
                return new Side(received.ToArray(), null, !idle, false);
            }

            return new Side(received.ToArray(), idle ? null : new IOException("the transport ended before the whole request"), false, idle);
        }
        catch (Exception ex)
        {
            return new Side(received.ToArray(), ex, false, idle);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    /// <summary>Handshake, send the request, read the response to close_notify, answer it with ours.</summary>
    private static async Task<Side> RequestAsync(TlsStream client, TlsClientOptions options, byte[] request)
    {
        var received = new MemoryStream();
        bool idle = false, early = false;
        try
        {
            await client.AuthenticateAsClientAsync(options);
            early = client.Connection.EarlyDataStatus == TlsEarlyDataStatus.Accepted;
            await client.WriteAsync(request);
            idle = !await ReadAsync(client, received, int.MaxValue);
            if (!idle)
            {
                await client.ShutdownAsync();
            }

            return new Side(received.ToArray(), null, !idle, idle) { EarlyAccepted = early };
        }
        catch (Exception ex)
        {
            return new Side(received.ToArray(), ex, false, idle) { EarlyAccepted = early };
        }
        finally
        {
            await client.DisposeAsync();
        }
    }

    /// <summary>Reads until <paramref name="until"/> bytes or the end of the stream (true), or until nothing came for a while (false).</summary>
    private static async Task<bool> ReadAsync(Stream stream, MemoryStream into, int until)
    {
        var buffer = new byte[16 * 1024];
        while (into.Length < until)
        {
            using var idle = new CancellationTokenSource(IdleTimeout);
            int n;
            try
            {
                n = await stream.ReadAsync(buffer, idle.Token);
            }
            catch (OperationCanceledException) when (idle.IsCancellationRequested)
            {
                return false;
            }

            if (n == 0)
            {
                return true;
            }

            into.Write(buffer, 0, n);
        }

        return true;
    }
}
