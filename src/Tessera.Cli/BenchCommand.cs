using System.CommandLine;
using System.Globalization;
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Tessera.Bench;

namespace Tessera.Cli;

/// <summary>
/// <c>tessera bench</c>: the same workloads on Tessera, SslStream and BouncyCastle's TLS in this one process (handshakes,
/// resumption, bulk, allocation, idle memory) beside the bound the primitives alone set; prints a table with ratios
/// and optionally writes JSON.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var seconds = CliOptions.Create<double?>("seconds", "length of one measuring window (default 2)");
        var windows = CliOptions.Create<int?>("windows", "windows per figure (default 5); the table shows their median");
        var quick = CliOptions.Flag("quick", "a smoke run in a minute or so: short windows, small transfers, 200 idle connections");
        var json = CliOptions.Create<string?>("json", "also write every figure to this JSON file");
        var only = CliOptions.Create<string?>("only", "comma-separated ids or parts of ids to run, e.g. handshake.full,bulk.aes128gcm.16k,memory");
        var stacks = CliOptions.Create<string?>("stacks", "comma-separated stacks to run: Tessera, SslStream, BouncyCastle, and tcp for the transport alone (all by default)");
        var connections = CliOptions.Create<int?>("connections", "idle connections held for the memory figure (default 10000)");
        var bulk = CliOptions.Create<int?>("bulk-mib", "MiB sent one way per bulk window (default 256)");
        var command = new Command("bench", "compare Tessera with SslStream and BouncyCastle: handshakes/s, MB/s, allocation, memory per connection");
        foreach (var option in new Option[] { seconds, windows, quick, json, only, stacks, connections, bulk })
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, cancellationToken) => Program.Guarded(async () =>
        {
            var onlyList = Split(parse.GetValue(only));
            var stackList = Split(parse.GetValue(stacks));
            var unknown = stackList.Where(s => !s.Equals("tcp", StringComparison.OrdinalIgnoreCase) &&
                !BenchRunner.DefaultStacks.Any(d => d.Name.Equals(s, StringComparison.OrdinalIgnoreCase))).ToList();
            if (unknown.Count > 0)
            {
                throw new CliException($"-stacks: unknown stack '{unknown[0]}' (Tessera, SslStream, BouncyCastle, tcp)");
            }

            if (onlyList.Count > 0 && BenchPlan.Select(onlyList).Count == 0)
            {
                throw new CliException($"-only: nothing matches; ids are {string.Join(", ", BenchPlan.All.Select(i => i.Id))}");
            }

            var basis = parse.GetValue(quick) ? BenchSettings.Quick(onlyList, stackList) : new BenchSettings { Only = onlyList, Stacks = stackList };
            var settings = new BenchSettings
            {
                Window = parse.GetValue(seconds) is { } s ? Positive(s, "-seconds", v => TimeSpan.FromSeconds(v)) : basis.Window,
                Windows = parse.GetValue(windows) is { } w ? Positive(w, "-windows", v => v) : basis.Windows,
                BulkBytes = parse.GetValue(bulk) is { } b ? Positive(b, "-bulk-mib", v => (long)v << 20) : basis.BulkBytes,
                IdleConnections = parse.GetValue(connections) is { } c ? Positive(c, "-connections", v => v) : basis.IdleConnections,
                Only = onlyList,
                Stacks = stackList,
            };

            var jsonPath = parse.GetValue(json);
            FileStream? jsonFile = null;
            try
            {
                jsonFile = jsonPath is null ? null : File.Create(jsonPath);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CliException($"-json {jsonPath}: {ex.Message}");
            }

            await using (jsonFile)
            {
                // After SIGINT or SIGTERM the runner sees each stack's cancelled window as a failure: say nothing of
                // those, and print no report of a run cut short (Interrupts sets the exit code).
                var runner = new BenchRunner(settings, BenchRunner.DefaultStacks, line =>
                {
                    if (!cancellationToken.IsCancellationRequested)
                    {
                        Console.Error.WriteLine(line);
                    }
                });
                Console.Error.WriteLine($"tessera bench: {string.Join(", ", runner.StackNames)}; {BenchReport.Machine}");
                var report = await runner.RunAsync(cancellationToken).ConfigureAwait(false);
                if (cancellationToken.IsCancellationRequested)
                {
                    if (jsonFile is not null)
                    {
                        await jsonFile.DisposeAsync().ConfigureAwait(false);
                        File.Delete(jsonPath!);   // no figures: no file, rather than an empty one
                    }

                    cancellationToken.ThrowIfCancellationRequested();
                }

                Console.Out.WriteLine();
                report.WriteText(Console.Out);
                if (jsonFile is not null)
                {
                    WriteJson(report, jsonFile);
                    Console.Error.WriteLine($"tessera bench: figures written to {jsonPath}");
                }
            }

            return 0;
        }));
        return command;
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new NotMeasuredAsNull() },
    };

    /// <summary>
    /// The figures as JSON, laid out as <see cref="BenchReport.WriteJson"/> lays them out, except that a figure that was not
    /// measured (NaN: a stack that did not run the workload) is written as null rather than as the string "NaN".
    /// </summary>
    internal static void WriteJson(BenchReport report, Stream output)
    {
        var document = new
        {
            machine = BenchReport.Machine,
            date = DateTimeOffset.UtcNow,
            settings = new
            {
                windowSeconds = report.Settings.Window.TotalSeconds,
                windows = report.Settings.Windows,
                bulkBytes = report.Settings.BulkBytes,
                idleConnections = report.Settings.IdleConnections,
            },
            results = report.Results,
        };
        JsonSerializer.Serialize(output, document, JsonOptions);
    }

    /// <summary>A double as a JSON number, or null when it is not a number (not measured) or not finite.</summary>
    private sealed class NotMeasuredAsNull : JsonConverter<double>
    {
        public override bool HandleNull => true;

        public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Null ? double.NaN : reader.GetDouble();

        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
        {
            if (double.IsFinite(value))
            {
                writer.WriteNumberValue(value);
            }
            else
            {
                writer.WriteNullValue();
            }
        }
    }

    private static List<string> Split(string? text) =>
        text is null ? [] : [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    private static TResult Positive<T, TResult>(T value, string name, Func<T, TResult> convert)
        where T : IComparable<T>, INumber<T> =>
        value > T.Zero ? convert(value) : throw new CliException($"{name} must be greater than 0 (got {Convert.ToString(value, CultureInfo.InvariantCulture)})");
}
