using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Tessera.Pki;
using Tessera.Sessions;

namespace Tessera.Cli;

/// <summary>What one connection of a load run does.</summary>
internal enum LoadKind
{
    /// <summary>A full handshake, one small request, close_notify.</summary>
    Full,

    /// <summary>As Full, offering the worker's last session (a ticket or an ID).</summary>
    Resumed,

    /// <summary>A handshake, then a large response read to its end.</summary>
    Bulk,

    /// <summary>A handshake broken off at a random moment by a TCP reset (an injected fault, not an error).</summary>
    Abort,
}

/// <summary>The weights of each kind of connection, e.g. <c>full:60,resumed:25,bulk:5,abort:10</c>.</summary>
internal sealed record LoadMix(int Full, int Resumed, int Bulk, int Abort)
{
    public static LoadMix Default { get; } = new(60, 25, 5, 10);

    public static LoadMix Parse(string text)
    {
        int full = 0, resumed = 0, bulk = 0, abort = 0;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pair = part.Split(':', 2);
            if (pair.Length != 2 || !int.TryParse(pair[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int weight))
            {
                throw new CliException($"-mix: '{part}' is not KIND:WEIGHT (kinds: full, resumed, bulk, abort)");
            }

            switch (pair[0].ToLowerInvariant())
            {
                case "full": full = weight; break;
                case "resumed": resumed = weight; break;
                case "bulk": bulk = weight; break;
                case "abort": abort = weight; break;
                default: throw new CliException($"-mix: unknown kind '{pair[0]}' (full, resumed, bulk, abort)");
            }
        }

        return full + resumed + bulk + abort == 0 ? throw new CliException("-mix: all weights are 0") : new LoadMix(full, resumed, bulk, abort);
    }

    public LoadKind Pick(Random random)
    {
        int n = random.Next(Full + Resumed + Bulk + Abort);
        return n < Full ? LoadKind.Full : n < Full + Resumed ? LoadKind.Resumed : n < Full + Resumed + Bulk ? LoadKind.Bulk : LoadKind.Abort;
    }

    public override string ToString() => $"full:{Full},resumed:{Resumed},bulk:{Bulk},abort:{Abort}";
}

/// <summary>How a load run is set up.</summary>
internal sealed record LoadSettings(IPEndPoint Server, string ServerName, IReadOnlyList<byte[]> Roots, int Clients, long Connections, TimeSpan Duration,
    LoadMix Mix, int BulkBytes, TlsProtocolVersion? Version);

/// <summary>What a load run saw.</summary>
internal sealed class LoadResult
{
    public ConcurrentDictionary<LoadKind, long> Completed { get; } = new();

    public ConcurrentDictionary<string, long> Errors { get; } = new();

    public long Resumed;

    public long ResumptionDeclined;

    public long BulkBytes;

    public List<double> HandshakeMilliseconds { get; } = [];

    public TimeSpan Elapsed { get; set; }

    public long ErrorCount => Errors.Values.Sum();
}

/// <summary>Runs <see cref="LoadSettings.Clients"/> concurrent clients against one server until the connection count or the time is reached.</summary>
internal static class LoadRunner
{
    private static readonly TimeSpan ConnectionBound = TimeSpan.FromSeconds(30);

    public static async Task<LoadResult> RunAsync(LoadSettings settings, Action<string>? progress, CancellationToken cancellationToken)
    {
        var result = new LoadResult();
        var verifier = new X509CertificateVerifier(settings.Roots);
        long remaining = settings.Connections;
        var clock = Stopwatch.StartNew();
        var latencies = new ConcurrentBag<List<double>>();
        var workers = Enumerable.Range(0, settings.Clients).Select(i => Task.Run(async () =>
        {
            var random = new Random(i + 1);
            var mine = new List<double>();
            latencies.Add(mine);
            TlsSession? session = null;
            while (Interlocked.Decrement(ref remaining) >= 0 && clock.Elapsed < settings.Duration && !cancellationToken.IsCancellationRequested)
            {
                var kind = settings.Mix.Pick(random);
                try
                {
                    session = await OneAsync(settings, verifier, kind, kind == LoadKind.Resumed ? session : null, random, result, mine, cancellationToken).ConfigureAwait(false) ?? session;
                    result.Completed.AddOrUpdate(kind, 1, (_, n) => n + 1);
                }
                catch (Exception ex) when (ex is TlsException or IOException or SocketException or TimeoutException or OperationCanceledException)
                {
                    if (cancellationToken.IsCancellationRequested)
                    {
                        break;
                    }

                    result.Errors.AddOrUpdate($"{kind.ToString().ToLowerInvariant()}: {Describe(ex)}", 1, (_, n) => n + 1);
                }
            }
        }, CancellationToken.None)).ToList();

        var all = Task.WhenAll(workers);
        while (await Task.WhenAny(all, Task.Delay(1000, CancellationToken.None)).ConfigureAwait(false) != all)
        {
            long done = result.Completed.Values.Sum();
            progress?.Invoke($"{done:N0} connections, {done / clock.Elapsed.TotalSeconds:N0}/s, {result.ErrorCount} errors, {clock.Elapsed.TotalSeconds:0} s");
        }

        await all.ConfigureAwait(false);
        result.Elapsed = clock.Elapsed;
        foreach (var list in latencies)
        {
            result.HandshakeMilliseconds.AddRange(list);
        }

        result.HandshakeMilliseconds.Sort();
        return result;
    }

    /// <summary>One connection of <paramref name="kind"/>; returns the session it left for resumption, if any.</summary>
    private static async Task<TlsSession?> OneAsync(LoadSettings settings, X509CertificateVerifier verifier, LoadKind kind, TlsSession? resume, Random random,
        LoadResult result, List<double> latencies, CancellationToken cancellationToken)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(ConnectionBound);
        long started = Stopwatch.GetTimestamp();
        var socket = new Socket(settings.Server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(settings.Server, bound.Token).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        await using var tls = new TlsStream(new NetworkStream(socket, ownsSocket: true));
        var options = new TlsClientOptions
        {
            ServerName = settings.ServerName,
            CertificateVerifier = verifier,
            ResumeSession = resume,
            EnableSessionTickets = true,
        };
        if (settings.Version is { } version)
        {
            options.MinProtocolVersion = options.MaxProtocolVersion = version;
        }

        if (kind == LoadKind.Abort)
        {
            // Break off at a random moment of the handshake (or just after it): a reset, no alert, no close_notify.
            var handshake = tls.AuthenticateAsClientAsync(options, bound.Token);
            await Task.WhenAny(handshake, Task.Delay(random.Next(0, 4), CancellationToken.None)).ConfigureAwait(false);
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
            _ = handshake.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            return null;
        }

        await tls.AuthenticateAsClientAsync(options, bound.Token).ConfigureAwait(false);
        lock (latencies)
        {
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        if (resume is not null)
        {
            Interlocked.Increment(ref tls.Connection.IsResumed ? ref result.Resumed : ref result.ResumptionDeclined);
        }

        string path = kind == LoadKind.Bulk ? $"/bytes/{settings.BulkBytes}" : "/";
        await tls.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"GET {path} HTTP/1.0\r\nHost: {settings.ServerName}\r\n\r\n"), bound.Token).ConfigureAwait(false);
        var buffer = new byte[64 * 1024];
        long total = 0;
        int n;
        while ((n = await tls.ReadAsync(buffer, bound.Token).ConfigureAwait(false)) > 0)
        {
            total += n;
        }

        if (kind == LoadKind.Bulk)
        {
            if (total < settings.BulkBytes)
            {
                throw new IOException($"the response ended after {total} bytes");
            }

            Interlocked.Add(ref result.BulkBytes, settings.BulkBytes);
        }

        await tls.ShutdownAsync(bound.Token).ConfigureAwait(false);
        return tls.Connection.Session;
    }

    public static string Describe(Exception ex) => ex switch
    {
        TlsException tls => $"TLS alert {tls.Alert} ({tls.AlertSource.ToString().ToLowerInvariant()})",
        SocketException socket => $"socket {socket.SocketErrorCode}",
        OperationCanceledException => $"no answer within {ConnectionBound.TotalSeconds} s",
        TimeoutException => "timeout",
        _ => ex.GetType().Name + ": " + ex.Message,
    };
}
