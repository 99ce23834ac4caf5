namespace Tessera.Bench;

/// <summary>How long and how much `tessera bench` measures.</summary>
public sealed class BenchSettings
{
    /// <summary>Length of one measuring window for rates.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Windows per measurement; the report gives their median, min and max.</summary>
    public int Windows { get; init; } = 5;

    /// <summary>Bytes sent one way per bulk window.</summary>
    public long BulkBytes { get; init; } = 256L << 20;

    /// <summary>Idle connections held at once for the memory measurement.</summary>
    public int IdleConnections { get; init; } = 10_000;

    /// <summary>Measurement ids (or parts of them) to run, e.g. "handshake", "bulk.aes128gcm"; empty runs all.</summary>
    public IReadOnlyList<string> Only { get; init; } = [];

    /// <summary>Stacks to run (by name, case-insensitive); empty runs all.</summary>
    public IReadOnlyList<string> Stacks { get; init; } = [];

    /// <summary>A few hundred milliseconds per window, small transfers: a smoke run for CI, not figures to quote.</summary>
    public static BenchSettings Quick(IReadOnlyList<string> only, IReadOnlyList<string> stacks) => new()
    {
        Window = TimeSpan.FromMilliseconds(250),
        Windows = 3,
        BulkBytes = 8L << 20,
        IdleConnections = 200,
        Only = only,
        Stacks = stacks,
    };
}
