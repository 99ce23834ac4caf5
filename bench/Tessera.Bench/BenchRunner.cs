using Tessera.Bench.Stacks;
using Tessera.Bench.Workloads;
using Tessera.Pki;

namespace Tessera.Bench;

/// <summary>Runs the plan on every stack, one measurement at a time, and collects the figures.</summary>
public sealed class BenchRunner
{
    private readonly BenchSettings _settings;
    private readonly IReadOnlyList<ITlsStackFactory> _stacks;
    private readonly bool _transportAlone;
    private readonly Action<string> _progress;
    private readonly Dictionary<CipherSuite, (double Seal, double Open)> _aeadRates = [];
    private readonly Dictionary<CertificateKeyType, BenchCredentials> _credentials = [];

    /// <summary>Creates a runner over <paramref name="stacks"/>; <paramref name="progress"/> receives one line per step.</summary>
    public BenchRunner(BenchSettings settings, IReadOnlyList<ITlsStackFactory> stacks, Action<string> progress)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(stacks);
        _settings = settings;
        _stacks = [.. stacks.Where(s => settings.Stacks.Count == 0 || settings.Stacks.Contains(s.Name, StringComparer.OrdinalIgnoreCase))];
        _transportAlone = settings.Stacks.Count == 0 || settings.Stacks.Contains("tcp", StringComparer.OrdinalIgnoreCase);
        _progress = progress;
    }

    /// <summary>Every stack compared: Tessera, SslStream, BouncyCastle.</summary>
    public static IReadOnlyList<ITlsStackFactory> DefaultStacks { get; } = [new TesseraStackFactory(), new SslStreamStackFactory(), new BouncyCastleStackFactory()];

    /// <summary>Stacks that are references, not competitors: shown beside the others without a ratio.</summary>
    public static IReadOnlyList<string> ReferenceStacks { get; } = ["Tessera engine", PlainTcpStackFactory.StackName, "bound"];

    /// <summary>Names of the stacks that will run.</summary>
    public IReadOnlyList<string> StackNames => [.. _stacks.Select(s => s.Name)];

    /// <summary>Measures every selected item.</summary>
    public async Task<BenchReport> RunAsync(CancellationToken cancellationToken)
    {
        var items = BenchPlan.Select(_settings.Only);
        if (items.Count == 0)
        {
            throw new ArgumentException($"--only {string.Join(',', _settings.Only)} matches nothing; ids are: {string.Join(", ", BenchPlan.All.Select(i => i.Id))}");
        }

        var results = new List<Measurement>();
        int step = 0;
        foreach (var item in items)
        {
            step++;
            var credentials = Credentials(item.Scenario.CertificateKey);
            var runnable = new List<ITlsStackFactory>();
            foreach (var stack in _stacks)
            {
                if (stack.Unsupported(item.Scenario) is { } reason)
                {
                    results.Add(Measurement.Skipped(item.Id, item.Title, stack.Name, UnitOf(item), item.Kind != BenchPlan.Kind.IdleMemory, reason));
                    _progress($"[{step}/{items.Count}] {item.Id}: {stack.Name} skipped: {reason}");
                }
                else
                {
                    runnable.Add(stack);
                }
            }

            if (item.Kind == BenchPlan.Kind.IdleMemory)
            {
                foreach (var stack in runnable)
                {
                    var (managed, resident) = await IdleMemoryWorkload.RunAsync(item.Id, item.Title, stack, item.Scenario, credentials, _settings,
                        line => _progress($"[{step}/{items.Count}] {item.Id}: {stack.Name} {line}"), cancellationToken).ConfigureAwait(false);
                    results.Add(managed);
                    results.Add(resident);
                    _progress($"[{step}/{items.Count}] {item.Id}: {stack.Name} {BenchReport.Format(managed.Median)} managed, {BenchReport.Format(resident.Median)} RSS bytes/connection");
                }

                continue;
            }

            _progress($"[{step}/{items.Count}] {item.Id}: {string.Join(", ", runnable.Select(s => s.Name))}, {_settings.Windows} windows each, interleaved");
            var runs = new List<WindowedRun>();
            try
            {
                foreach (var stack in runnable)
                {
                    runs.Add(item.Kind == BenchPlan.Kind.Handshake
                        ? new HandshakeWorkload(stack, item.Scenario, credentials, _settings)
                        : new BulkWorkload(stack, item.Scenario, credentials, item.WriteSize, _settings));
                }

                if (item.Kind == BenchPlan.Kind.Handshake && runnable.Any(s => s.Name == "Tessera"))
                {
                    runs.Add(new EngineWorkload(item.Scenario, credentials, _settings));
                }

                if (item.Kind == BenchPlan.Kind.Bulk && item.WriteSize == 16 * 1024 && runnable.Any(s => s.Name == "Tessera"))
                {
                    var (seal, open) = AeadRates(item.Scenario.Suite);
                    runs.Add(new EngineBulkWorkload(item.Scenario, credentials, item.WriteSize, 1 / ((1 / seal) + (1 / open)), _settings));
                }

                if (_transportAlone && (item.Kind == BenchPlan.Kind.Bulk || item.Scenario.Resumption == Resumption.None && item.Scenario.Id == "tls13-x25519-ecdsa"))
                {
                    // What the transport and the harness cost with no TLS: the ceiling for every stack on this machine.
                    var plain = new PlainTcpStackFactory();
                    runs.Add(item.Kind == BenchPlan.Kind.Handshake
                        ? new HandshakeWorkload(plain, item.Scenario, credentials, _settings)
                        : new BulkWorkload(plain, item.Scenario, credentials, item.WriteSize, _settings));
                }

                // A stack that fails (a handshake error, a peer that hangs up) is reported as failed; the others go on.
                var failed = new Dictionary<WindowedRun, string>();
                foreach (var run in runs)
                {
                    await GuardAsync(run, () => run.WarmUpAsync(cancellationToken), failed).ConfigureAwait(false);
                }

                for (int w = 0; w < _settings.Windows; w++)
                {
                    foreach (var run in runs.Where(r => !failed.ContainsKey(r)))
                    {
                        await GuardAsync(run, () => run.RunWindowAsync(cancellationToken), failed).ConfigureAwait(false);
                    }
                }

                foreach (var run in runs)
                {
                    var m = failed.TryGetValue(run, out var why)
                        ? Measurement.Skipped(item.Id, item.Title, run.Stack, UnitOf(item), true, "failed: " + why)
                        : run.ToMeasurement(item.Id, item.Title, UnitOf(item), item.Kind == BenchPlan.Kind.Handshake ? "handshake" : "MiB");
                    results.Add(m);
                    _progress($"[{step}/{items.Count}] {item.Id}: {m.Stack} {(m.Ran ? BenchReport.Format(m.Median) + " " + m.Unit : m.Note)}");
                }
            }
            finally
            {
                foreach (var run in runs)
                {
                    await run.DisposeAsync().ConfigureAwait(false);
                }
            }

            if (Bound(item) is { } bound)
            {
                results.Add(bound);
                _progress($"[{step}/{items.Count}] {item.Id}: primitives alone {BenchReport.Format(bound.Median)} {bound.Unit}");
            }
        }

        return new BenchReport(_settings, results);
    }

    private static async Task GuardAsync(WindowedRun run, Func<Task> step, Dictionary<WindowedRun, string> failed)
    {
        try
        {
            using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            await step().WaitAsync(bound.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ex.Message.Contains("interrupted", StringComparison.Ordinal))
        {
            failed[run] = ex is OperationCanceledException ? "no progress in 5 minutes" : $"{ex.GetType().Name}: {ex.Message}";
        }
    }

    private static string UnitOf(BenchPlan.Item item) => item.Kind switch
    {
        BenchPlan.Kind.Handshake => "handshakes/s",
        BenchPlan.Kind.Bulk => "MB/s",
        _ => "bytes/connection",
    };

    private Measurement? Bound(BenchPlan.Item item)
    {
        var s = item.Scenario;
        if (item.Kind == BenchPlan.Kind.Handshake && !(s.Version == TlsProtocolVersion.Tls12 && s.Resumption != Resumption.None))
        {
            double rate = CryptoBound.HandshakeBound(s.Group, s.CertificateKey, s.Resumption != Resumption.None, _settings);
            return new Measurement(item.Id, item.Title, "bound", "handshakes/s", true, rate, rate, rate, 1)
            {
                Note = s.Resumption == Resumption.None ? "2 key exchanges + 1 signature + 1 verification, nothing else" : "2 key exchanges, nothing else",
            };
        }

        if (item.Kind == BenchPlan.Kind.Bulk && item.WriteSize == 16 * 1024)
        {
            var (seal, open) = AeadRates(s.Suite);
            double rate = Math.Min(seal, open);
            return new Measurement(item.Id, item.Title, "bound", "MB/s", true, rate, rate, rate, 1) { Note = "the slower of seal and open, 16 KiB records" };
        }

        return null;
    }

    private (double Seal, double Open) AeadRates(CipherSuite suite)
    {
        if (!_aeadRates.TryGetValue(suite, out var rates))
        {
            rates = CryptoBound.AeadRates(suite, _settings);
            _aeadRates[suite] = rates;
        }

        return rates;
    }

    private BenchCredentials Credentials(CertificateKeyType keyType)
    {
        if (!_credentials.TryGetValue(keyType, out var credentials))
        {
            credentials = BenchCredentials.Create(keyType);
            _credentials[keyType] = credentials;
        }

        return credentials;
    }
}
