namespace Tessera.Bench.Workloads;

/// <summary>
/// One stack's side of a measurement that runs in windows. The runner interleaves the windows of every stack
/// (A, B, C, A, B, C, ...), so that a shared machine's drift falls on all of them alike; each window's managed
/// allocation is charged to the stack that ran it.
/// </summary>
public abstract class WindowedRun : IAsyncDisposable
{
    private readonly List<double> _rates = [];
    private long _allocated;
    private double _units;

    /// <summary>The stack measured.</summary>
    public abstract string Stack { get; }

    /// <summary>Runs untimed work first (JIT, pools, caches, the first full handshake of a resuming scenario).</summary>
    public abstract Task WarmUpAsync(CancellationToken cancellationToken);

    /// <summary>Runs one timed window; returns its rate and how many units of allocation accounting (handshakes, MiB) it did.</summary>
    protected abstract Task<(double Rate, double Units)> RunWindowCoreAsync(CancellationToken cancellationToken);

    /// <summary>Runs one window and records it.</summary>
    public async Task RunWindowAsync(CancellationToken cancellationToken)
    {
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var (rate, units) = await RunWindowCoreAsync(cancellationToken).ConfigureAwait(false);
        _allocated += GC.GetTotalAllocatedBytes(precise: true) - before;
        _units += units;
        _rates.Add(rate);
    }

    /// <summary>A note for the report, or null.</summary>
    public virtual string? Note => null;

    /// <summary>The figure: median of the windows' rates, with the managed bytes allocated per unit.</summary>
    public Measurement ToMeasurement(string id, string title, string unit, string allocationUnit) =>
        Measurement.FromWindows(id, title, Stack, unit, true, _rates) with
        {
            AllocatedBytes = _units > 0 ? _allocated / _units : null,
            AllocationUnit = allocationUnit,
            Note = Note,
        };

    /// <inheritdoc />
    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}
