namespace Tessera.Bench;

/// <summary>One figure for one stack: the median of several windows with their spread.</summary>
/// <param name="Id">What was measured, e.g. <c>handshake.full.tls13-x25519-ecdsa</c>.</param>
/// <param name="Title">The same in words, for the table.</param>
/// <param name="Stack">"Tessera", "SslStream", "BouncyCastle" or "bound" (the primitives called directly).</param>
/// <param name="Unit">"handshakes/s", "MB/s", "bytes/connection", ...</param>
/// <param name="HigherIsBetter">True for rates, false for costs.</param>
/// <param name="Median">Median over the windows.</param>
/// <param name="Min">Lowest window.</param>
/// <param name="Max">Highest window.</param>
/// <param name="Windows">How many windows.</param>
public sealed record Measurement(string Id, string Title, string Stack, string Unit, bool HigherIsBetter, double Median, double Min, double Max, int Windows)
{
    /// <summary>A note: why a stack did not run, or what the figure includes.</summary>
    public string? Note { get; init; }

    /// <summary>Managed bytes allocated per unit of work (per handshake, per MiB), both ends counted; null when not measured.</summary>
    public double? AllocatedBytes { get; init; }

    /// <summary>What <see cref="AllocatedBytes"/> is per: "handshake", "MiB".</summary>
    public string? AllocationUnit { get; init; }

    /// <summary>A stack that did not run this workload, with the reason.</summary>
    public static Measurement Skipped(string id, string title, string stack, string unit, bool higherIsBetter, string reason) =>
        new(id, title, stack, unit, higherIsBetter, double.NaN, double.NaN, double.NaN, 0) { Note = reason };

    /// <summary>Builds a measurement from per-window values.</summary>
    public static Measurement FromWindows(string id, string title, string stack, string unit, bool higherIsBetter, IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var sorted = values.Order().ToArray();
        double median = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        return new Measurement(id, title, stack, unit, higherIsBetter, median, sorted[0], sorted[^1], sorted.Length);
    }

    /// <summary>True when the stack ran.</summary>
    public bool Ran => Windows > 0;
}
