using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tessera.Bench;

/// <summary>The figures of one run, as a table for people and as JSON for the record.</summary>
public sealed class BenchReport
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Creates a report of <paramref name="results"/>.</summary>
    public BenchReport(BenchSettings settings, IReadOnlyList<Measurement> results)
    {
        Settings = settings;
        Results = results;
    }

    /// <summary>How the run measured.</summary>
    public BenchSettings Settings { get; }

    /// <summary>Every figure, stacks that did not run included (with the reason).</summary>
    public IReadOnlyList<Measurement> Results { get; }

    /// <summary>Where the figures come from: OS, cores, runtime, the OpenSSL under SslStream, BouncyCastle's version.</summary>
    public static string Machine =>
        $"{RuntimeInformation.OSDescription}, {Environment.ProcessorCount} cores, .NET {Environment.Version}, " +
        $"{OpenSslVersion()}, BouncyCastle {BouncyCastleVersion()}";

    private static string BouncyCastleVersion()
    {
        var assembly = typeof(Org.BouncyCastle.Tls.TlsClientProtocol).Assembly;
        var informational = System.Reflection.CustomAttributeExtensions.GetCustomAttribute<System.Reflection.AssemblyInformationalVersionAttribute>(assembly)?.InformationalVersion;
        return informational?.Split('+')[0] ?? assembly.GetName().Version?.ToString() ?? "?";
    }

    /// <summary>A number for the table: no decimals from 100 up, three significant digits below.</summary>
    public static string Format(double value) => double.IsNaN(value) ? "-"
        : Math.Abs(value) >= 100 ? value.ToString("#,0", CultureInfo.InvariantCulture)
        : value.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>Writes the table: per line the median of each stack, then Tessera ÷ that stack, and Tessera ÷ the primitives' bound.</summary>
    public void WriteText(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var stacks = Results.Select(r => r.Stack).Where(s => s != "bound").Distinct().OrderBy(s => BenchRunner.ReferenceStacks.Contains(s) ? 1 : 0).ToList();
        bool anyBound = Results.Any(r => r.Stack == "bound");
        output.WriteLine($"Tessera bench — {Machine}");
        output.WriteLine($"{Settings.Windows} windows of {Settings.Window.TotalSeconds:0.##} s (bulk: {Settings.BulkBytes >> 20} MiB per window); median, then (Tessera ÷ stack).");
        output.WriteLine();
        var header = $"{"",-46}" + string.Concat(stacks.Select(s => $"{s,22}")) + (anyBound ? $"{"primitives alone",22}" : "");
        foreach (var group in Results.GroupBy(r => r.Id))
        {
            var first = group.First();
            if (ReferenceEquals(first, Results[0]) || SectionOf(first.Id) != SectionOf(Results[Results.ToList().IndexOf(first) - 1].Id))
            {
                output.WriteLine($"{SectionTitle(first)}");
                output.WriteLine(header);
            }

            var tessera = group.FirstOrDefault(r => r.Stack == "Tessera" && r.Ran);
            var line = $"  {first.Title,-44}";
            foreach (var stack in stacks)
            {
                var m = group.FirstOrDefault(r => r.Stack == stack);
                line += $"{Cell(m, tessera),22}";
            }

            if (anyBound)
            {
                var bound = group.FirstOrDefault(r => r.Stack == "bound");
                line += bound is null ? $"{"",22}" : $"{Format(bound.Median) + (tessera is null ? "" : $" ({tessera.Median / bound.Median:P0})"),22}";
            }

            output.WriteLine(line);
        }

        var allocations = Results.Where(r => r.AllocatedBytes is not null).ToList();
        if (allocations.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("Managed bytes allocated (both ends, sockets included)");
            output.WriteLine(header);
            foreach (var group in allocations.GroupBy(r => r.Id))
            {
                var tessera = group.FirstOrDefault(r => r.Stack == "Tessera");
                var line = $"  {group.First().Title + " per " + group.First().AllocationUnit,-44}";
                foreach (var stack in stacks)
                {
                    var m = group.FirstOrDefault(r => r.Stack == stack);
                    line += m?.AllocatedBytes is { } bytes
                        ? $"{Format(bytes) + (tessera?.AllocatedBytes is { } t && stack != "Tessera" && !BenchRunner.ReferenceStacks.Contains(stack) && bytes > 0 ? $" ({t / bytes:0.00}×)" : ""),22}"
                        : $"{"-",22}";
                }

                output.WriteLine(line);
            }
        }

        var notes = Results.Where(r => r.Note is not null && r.Stack != "bound").Select(r => $"  {r.Id} / {r.Stack}: {r.Note}").ToList();
        if (notes.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("Notes");
            notes.ForEach(output.WriteLine);
        }
    }

    /// <summary>Writes every figure as JSON.</summary>
    public void WriteJson(Stream output)
    {
        var document = new
        {
            machine = Machine,
            date = DateTimeOffset.UtcNow,
            settings = new { windowSeconds = Settings.Window.TotalSeconds, Settings.Windows, Settings.BulkBytes, Settings.IdleConnections },
            results = Results,
        };
        JsonSerializer.Serialize(output, document, Json);
    }

    private static string Cell(Measurement? m, Measurement? tessera)
    {
        if (m is null || !m.Ran)
        {
            return m?.Note is null ? "-" : "n/a";
        }

        if (m.Median < 0)
        {
            return "noise";   // RSS moves in pages and with the GC: too few connections to see one
        }

        string spread = double.IsNaN(m.Min) || m.Median == 0 ? "" : $" ±{Math.Max(m.Max - m.Median, m.Median - m.Min) / m.Median:P0}";
        if (m.Stack == "Tessera" || BenchRunner.ReferenceStacks.Contains(m.Stack) || tessera is null || m.Median == 0)
        {
            return Format(m.Median) + spread;
        }

        return $"{Format(m.Median)} ({tessera.Median / m.Median:0.00}×)";
    }

    private static string SectionOf(string id) => id.Split('.')[0];

    private static string SectionTitle(Measurement m) => SectionOf(m.Id) switch
    {
        "handshake" => "Handshakes per second (higher is better), loopback TCP, chain validated",
        "bulk" => "Bulk throughput, MB/s of plaintext one way (higher is better), loopback TCP",
        "memory" => "Memory held per idle established connection, bytes, both ends (lower is better), in-memory transport",
        _ => m.Id,
    };

    private static string OpenSslVersion()
    {
        if (OperatingSystem.IsWindows())
        {
            return "SChannel";
        }

        try
        {
            long v = System.Security.Cryptography.SafeEvpPKeyHandle.OpenSslVersion;
            return $"OpenSSL {(v >> 28) & 0xF}.{(v >> 20) & 0xFF}.{(v >> 4) & 0xFF}";
        }
        catch (PlatformNotSupportedException)
        {
            return "no OpenSSL";
        }
    }
}
