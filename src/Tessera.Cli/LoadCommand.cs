using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Tessera.Pki;

namespace Tessera.Cli;

/// <summary>
/// <c>tessera load</c>: many concurrent clients against one <c>tessera s_server -www</c> (its own, started on
/// 127.0.0.1, unless <c>-connect</c> names one): full, resumed and bulk connections and abrupt resets in a chosen mix,
/// bounded in count and time. Reports connections/s, handshake latency percentiles, errors by kind, and the server's
/// memory and open connections before and after (from its <c>/stats</c> page): a run passes when nothing failed but
/// the injected resets and the server is back where it started.
/// </summary>
internal static class LoadCommand
{
    public static Command Create()
    {
        var connect = CliOptions.Create<string?>("connect", "host:port of a running 'tessera s_server -www'; by default one is started on 127.0.0.1");
        var serverName = CliOptions.Create<string?>("servername", "SNI and the name checked (default localhost)");
        var clients = CliOptions.Create<int?>("clients", "clients connecting at once (default 200)");
        var connections = CliOptions.Create<long?>("connections", "connections in all (default 20000)");
        var seconds = CliOptions.Create<double?>("seconds", "stop after this long at most (default 300)");
        var mix = CliOptions.Create<string?>("mix", $"weights of each kind of connection (default {LoadMix.Default})");
        var bulkKib = CliOptions.Create<int?>("bulk-kib", "KiB each bulk connection reads (default 1024)");
        var json = CliOptions.Create<string?>("json", "also write the figures to this JSON file");
        var common = new CommonTlsOptions();
        var command = new Command("load", "many concurrent clients against one s_server: connections/s, latency, errors, server memory before and after");
        foreach (var option in new Option[] { connect, serverName, clients, connections, seconds, mix, bulkKib, json, common.CaFile, common.Tls12, common.Tls13 })
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, cancellationToken) => Program.Guarded(async () =>
        {
            int clientCount = Positive(parse.GetValue(clients) ?? 200, "-clients");
            long total = Positive(parse.GetValue(connections) ?? 20_000, "-connections");
            double limit = parse.GetValue(seconds) ?? 300;
            if (limit <= 0)
            {
                throw new CliException("-seconds must be positive");
            }

            var weights = parse.GetValue(mix) is { } m ? LoadMix.Parse(m) : LoadMix.Default;
            int bulk = Positive(parse.GetValue(bulkKib) ?? 1024, "-bulk-kib");
            if (bulk > 64 * 1024)
            {
                throw new CliException("-bulk-kib: at most 65536 (64 MiB)");
            }

            TlsProtocolVersion? version = parse.GetValue(common.Tls12) ? TlsProtocolVersion.Tls12 : parse.GetValue(common.Tls13) ? TlsProtocolVersion.Tls13 : null;
            string name = parse.GetValue(serverName) ?? "localhost";
            using var server = parse.GetValue(connect) is { } target ? null : await SpawnedServer.StartAsync(version, cancellationToken).ConfigureAwait(false);
            var endpoint = server?.Endpoint ?? await Resolve(parse.GetValue(connect)!, cancellationToken).ConfigureAwait(false);
            var roots = server?.Roots ?? (parse.GetValue(common.CaFile) is { } caFile ? PemFiles.LoadCertificates(caFile) : throw new CliException("-connect needs -CAfile (the roots the server's certificate chains to)"));
            var settings = new LoadSettings(endpoint, name, roots, clientCount, total, TimeSpan.FromSeconds(limit), weights, bulk * 1024, version);

            // A short warm-up (JIT, pools, caches on both sides), then the server's figures as the baseline.
            Console.WriteLine($"tessera load: {clientCount} clients, {total:N0} connections ({weights}) against {endpoint}");
            await LoadRunner.RunAsync(settings with { Connections = Math.Min(total, 2L * clientCount), Mix = new LoadMix(1, 1, 0, 0) }, null, cancellationToken).ConfigureAwait(false);
            var before = await FetchStatsAsync(settings, cancellationToken).ConfigureAwait(false);
            var result = await LoadRunner.RunAsync(settings, line => Progress(line), cancellationToken).ConfigureAwait(false);
            if (!Console.IsErrorRedirected)
            {
                Console.Error.Write("\r" + new string(' ', 79) + "\r");
            }

            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);   // the server finishes its side of the last connections
            var after = await FetchStatsAsync(settings, cancellationToken).ConfigureAwait(false);
            var verdict = Verdict(result, before, after);
            Write(Console.Out, settings, result, before, after, verdict, server?.ErrorLines ?? []);
            if (parse.GetValue(json) is { } jsonPath)
            {
                await File.WriteAllTextAsync(jsonPath, Json(settings, result, before, after, verdict), cancellationToken).ConfigureAwait(false);
            }

            return verdict.Count == 0 ? 0 : 1;
        }));
        return command;
    }

    private static void Progress(string line)
    {
        if (Console.IsErrorRedirected)
        {
            Console.Error.WriteLine($"tessera load: {line}");
        }
        else
        {
            Console.Error.Write($"\r{line,-78}");
        }
    }

    private static T Positive<T>(T value, string option) where T : System.Numerics.INumber<T> =>
        value > T.Zero ? value : throw new CliException($"{option} must be positive");

    private static async Task<IPEndPoint> Resolve(string text, CancellationToken cancellationToken)
    {
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is 0 or > 65535)
        {
            throw new CliException($"-connect: '{text}' is not host:port");
        }

        string host = text[..colon].Trim('[', ']');
        if (IPAddress.TryParse(host, out var address))
        {
            return new IPEndPoint(address, port);
        }

        try
        {
            var addresses = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
            return new IPEndPoint(addresses.First(), port);
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or InvalidOperationException)
        {
            throw new CliException($"-connect: cannot resolve '{host}'");
        }
    }

    /// <summary>The server's <c>/stats</c> lines as numbers.</summary>
    private static async Task<Dictionary<string, long>> FetchStatsAsync(LoadSettings settings, CancellationToken cancellationToken)
    {
        using var socket = new System.Net.Sockets.Socket(settings.Server.AddressFamily, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(settings.Server, cancellationToken).ConfigureAwait(false);
            await using var tls = new TlsStream(new System.Net.Sockets.NetworkStream(socket, ownsSocket: false));
            await tls.AuthenticateAsClientAsync(new TlsClientOptions { ServerName = settings.ServerName, CertificateVerifier = new X509CertificateVerifier(settings.Roots) }, cancellationToken).ConfigureAwait(false);
            await tls.WriteAsync("GET /stats HTTP/1.0\r\n\r\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
            using var reader = new StreamReader(tls, Encoding.ASCII);
            string text = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            var stats = new Dictionary<string, long>();
            foreach (var line in text.Split('\n').SkipWhile(l => l.Trim().Length > 0))
            {
                var pair = line.Split(':', 2, StringSplitOptions.TrimEntries);
                if (pair.Length == 2 && long.TryParse(pair[1], NumberStyles.None, CultureInfo.InvariantCulture, out long value))
                {
                    stats[pair[0]] = value;
                }
            }

            return stats.Count > 0 ? stats : throw new CliException($"{settings.Server} has no /stats page: is it 'tessera s_server -www'?");
        }
        catch (Exception ex) when (ex is TlsException or IOException or System.Net.Sockets.SocketException)
        {
            throw new CliException($"cannot read the server's /stats: {Program.Describe(ex)}");
        }
    }

    /// <summary>Why the run failed (nothing when it passed): errors other than the injected resets, or a server that kept what it should have let go.</summary>
    private static List<string> Verdict(LoadResult result, Dictionary<string, long> before, Dictionary<string, long> after)
    {
        var why = new List<string>();
        if (result.ErrorCount > 0)
        {
            why.Add($"{result.ErrorCount} connections failed");
        }

        if (after.GetValueOrDefault("connections_open") > 0)
        {
            why.Add($"the server still holds {after["connections_open"]} connections");
        }

        if (after.GetValueOrDefault("handshakes_in_progress") > 0)
        {
            why.Add($"the server still counts {after["handshakes_in_progress"]} handshakes in progress");
        }

        long grown = after.GetValueOrDefault("managed_bytes") - before.GetValueOrDefault("managed_bytes");
        // Pools and caches fill during a run (a TLS 1.2 session cache holds up to its capacity, about 2 KB a session).
        long sessions = Math.Max(0, after.GetValueOrDefault("sessions_cached") - before.GetValueOrDefault("sessions_cached"));
        long allowance = Math.Max(4L << 20, before.GetValueOrDefault("managed_bytes") / 5) + (sessions * 2048);
        if (grown > allowance)
        {
            why.Add($"the server's managed heap grew by {grown / 1024.0 / 1024:0.0} MiB (allowed {allowance / 1024.0 / 1024:0.0} MiB)");
        }

        return why;
    }

    private static void Write(TextWriter output, LoadSettings settings, LoadResult result, Dictionary<string, long> before, Dictionary<string, long> after, List<string> verdict,
        IReadOnlyCollection<string> serverErrors)
    {
        long done = result.Completed.Values.Sum();
        var ms = result.HandshakeMilliseconds;
        double Percentile(double p) => ms.Count == 0 ? double.NaN : ms[Math.Clamp((int)Math.Ceiling(p * ms.Count) - 1, 0, ms.Count - 1)];
        output.WriteLine($"connections   {done:N0} in {result.Elapsed.TotalSeconds:0.0} s: {done / result.Elapsed.TotalSeconds:N0}/s with {settings.Clients} clients at once");
        output.WriteLine($"  by kind     {string.Join(", ", Enum.GetValues<LoadKind>().Select(k => $"{k.ToString().ToLowerInvariant()} {result.Completed.GetValueOrDefault(k):N0}"))}");
        output.WriteLine($"  resumed     {result.Resumed:N0} of {result.Resumed + result.ResumptionDeclined:N0} offered sessions");
        output.WriteLine($"  bulk        {result.BulkBytes / 1e6:N0} MB read");
        output.WriteLine($"connect+handshake p50 {Percentile(0.50):0.0} ms, p99 {Percentile(0.99):0.0} ms, max {(ms.Count > 0 ? ms[^1] : double.NaN):0.0} ms");
        output.WriteLine($"errors        {result.ErrorCount}" + (result.ErrorCount > 0 ? ":" : " (the injected resets are not errors)"));
        foreach (var (kind, count) in result.Errors.OrderByDescending(e => e.Value))
        {
            output.WriteLine($"  {count,8:N0}  {kind}");
        }

        if (serverErrors.Count > 0)
        {
            output.WriteLine($"server said   {serverErrors.Count:N0} lines on stderr (resets show up there), e.g. {serverErrors.First()}");
        }

        output.WriteLine("server        before       after");
        foreach (var key in new[] { "connections_open", "handshakes_in_progress", "sessions_cached", "managed_bytes", "rss_bytes" })
        {
            output.WriteLine($"  {key,-24}{before.GetValueOrDefault(key),12:N0}{after.GetValueOrDefault(key),12:N0}");
        }

        output.WriteLine(verdict.Count == 0 ? "PASS: no errors, and the server is back where it started" : "FAIL: " + string.Join("; ", verdict));
    }

    private static string Json(LoadSettings settings, LoadResult result, Dictionary<string, long> before, Dictionary<string, long> after, List<string> verdict)
    {
        var ms = result.HandshakeMilliseconds;
        double Percentile(double p) => ms.Count == 0 ? 0 : ms[Math.Clamp((int)Math.Ceiling(p * ms.Count) - 1, 0, ms.Count - 1)];
        long done = result.Completed.Values.Sum();
        // Every key camelCase: the settings' names too, and the server's /stats lines (connections_open → connectionsOpen).
        return JsonSerializer.Serialize(new
        {
            settings = new { server = settings.Server.ToString(), clients = settings.Clients, connections = settings.Connections, mix = settings.Mix.ToString(), bulkBytes = settings.BulkBytes },
            connections = done,
            seconds = result.Elapsed.TotalSeconds,
            perSecond = done / result.Elapsed.TotalSeconds,
            byKind = Enum.GetValues<LoadKind>().ToDictionary(k => k.ToString().ToLowerInvariant(), k => result.Completed.GetValueOrDefault(k)),
            resumed = result.Resumed,
            resumptionDeclined = result.ResumptionDeclined,
            connectAndHandshakeMs = new { p50 = Percentile(0.5), p99 = Percentile(0.99), max = ms.Count > 0 ? ms[^1] : 0 },
            errors = result.Errors,
            serverBefore = CamelCaseKeys(before),
            serverAfter = CamelCaseKeys(after),
            pass = verdict.Count == 0,
            verdict,
        }, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase });
    }

    /// <summary>The /stats names as JSON keys: connections_open → connectionsOpen.</summary>
    private static Dictionary<string, long> CamelCaseKeys(Dictionary<string, long> stats) =>
        stats.ToDictionary(
            pair => string.Concat(pair.Key.Split('_', StringSplitOptions.RemoveEmptyEntries).Select((word, i) => i == 0 ? word : char.ToUpperInvariant(word[0]) + word[1..])),
            pair => pair.Value);

    /// <summary>A <c>tessera s_server -www -quiet</c> of this same program on 127.0.0.1, with a throwaway CA; stopped on dispose.</summary>
    private sealed class SpawnedServer : IDisposable
    {
        private readonly Process _process;
        private readonly string _folder;
        private readonly ConcurrentLines _errors = new();

        private SpawnedServer(Process process, string folder, IPEndPoint endpoint, IReadOnlyList<byte[]> roots)
        {
            _process = process;
            _folder = folder;
            Endpoint = endpoint;
            Roots = roots;
        }

        public IPEndPoint Endpoint { get; private set; }

        public IReadOnlyList<byte[]> Roots { get; }

        public IReadOnlyCollection<string> ErrorLines => _errors.Snapshot();

        public static async Task<SpawnedServer> StartAsync(TlsProtocolVersion? version, CancellationToken cancellationToken)
        {
            var folder = Directory.CreateTempSubdirectory("tessera-load-").FullName;
            using var ca = TestCertificateAuthority.Create(CertificateKeyType.EcdsaP256, "Tessera load CA");
            var certificate = ca.IssueServerCertificate(["localhost", "127.0.0.1"], CertificateKeyType.EcdsaP256);
            string certPath = Path.Combine(folder, "server.pem"), keyPath = Path.Combine(folder, "server.key");
            await File.WriteAllTextAsync(certPath, TestCertificateAuthority.ExportCertificatePem(certificate), cancellationToken).ConfigureAwait(false);
            await File.WriteAllTextAsync(keyPath, TestCertificateAuthority.ExportPrivateKeyPem(certificate), cancellationToken).ConfigureAwait(false);

            string self = Environment.ProcessPath ?? throw new CliException("cannot tell which program to start the server with");
            var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            if (Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            {
                start.ArgumentList.Add(typeof(LoadCommand).Assembly.Location);
            }

            foreach (var argument in new[] { "s_server", "-accept", "127.0.0.1:0", "-www", "-quiet", "-cert", certPath, "-key", keyPath })
            {
                start.ArgumentList.Add(argument);
            }

            if (version is { } v)
            {
                start.ArgumentList.Add(v == TlsProtocolVersion.Tls12 ? "-tls1_2" : "-tls1_3");
            }

            var process = Process.Start(start) ?? throw new CliException("cannot start tessera s_server");
            var server = new SpawnedServer(process, folder, new IPEndPoint(IPAddress.Loopback, 0), [ca.RootCertificateDer]);
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is { } line)
                {
                    server._errors.Add(line);
                }
            };
            process.BeginErrorReadLine();
            try
            {
                using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                bound.CancelAfter(TimeSpan.FromSeconds(30));
                while (await process.StandardOutput.ReadLineAsync(bound.Token).ConfigureAwait(false) is { } line)
                {
                    if (line.StartsWith("ACCEPT ", StringComparison.Ordinal) && IPEndPoint.TryParse(line[7..].Trim(), out var endpoint))
                    {
                        _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);   // keep its stdout drained
                        server.Endpoint = endpoint;
                        return server;
                    }
                }
            }
            catch
            {
                server.Dispose();   // stopped, its key deleted, whatever ended the wait
                throw;
            }

            server.Dispose();
            throw new CliException("tessera s_server did not start: " + string.Join(" ", server._errors.Snapshot().Take(3)));
        }

        public void Dispose()
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill(entireProcessTree: true);
                    _process.WaitForExit(5000);
                }
            }
            catch (InvalidOperationException)
            {
                // already gone
            }

            _process.Dispose();
            try
            {
                Directory.Delete(_folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Lines a child writes on stderr, kept up to a bound (the first 10,000 and a count).</summary>
    private sealed class ConcurrentLines
    {
        private readonly List<string> _lines = [];

        public void Add(string line)
        {
            lock (_lines)
            {
                if (_lines.Count < 10_000)
                {
                    _lines.Add(line);
                }
            }
        }

        public IReadOnlyCollection<string> Snapshot()
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }
}
