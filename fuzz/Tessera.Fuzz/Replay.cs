using System.Diagnostics;

namespace Tessera.Fuzz;

/// <summary>Runs inputs through a target outside libFuzzer: corpus replay (the tests' mode) and blind mutation.</summary>
public static class Replay
{
    /// <summary>How long one input may take before it counts as a hang.</summary>
    public static readonly TimeSpan InputBound = TimeSpan.FromSeconds(20);

    /// <summary>The outcome of one input: null when the target kept every rule, else what went wrong.</summary>
    public static Exception? RunOne(IFuzzTarget target, byte[] input, TimeSpan? bound = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        var limit = bound ?? InputBound;
        var run = Task.Factory.StartNew(() => target.Run(input), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            if (!run.Wait(limit))
            {
                return new FuzzFinding($"no answer within {limit.TotalSeconds} s (a hang)");
            }

            return null;
        }
        catch (AggregateException ex)
        {
            return ex.InnerException ?? ex;
        }
    }

    /// <summary>Replays every file under <paramref name="paths"/>; 0 when all kept the rules, 1 otherwise.</summary>
    public static int Run(IFuzzTarget target, IEnumerable<string> paths, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        int count = 0, findings = 0;
        foreach (var file in Corpus.Files(paths))
        {
            count++;
            if (RunOne(target, File.ReadAllBytes(file)) is { } error)
            {
                findings++;
                output.WriteLine($"FINDING {file}: {error}");
            }
        }

        output.WriteLine($"{target.Name}: {count} inputs replayed, {findings} findings");
        return findings == 0 ? 0 : 1;
    }

    /// <summary>
    /// Seeded random mutations (bit flips, byte sets, insertions, deletions, truncation, splicing) of the files under
    /// <paramref name="paths"/> for <paramref name="duration"/>: no coverage, but no instrumentation needed either.
    /// Findings are written next to the first path's folder, under <c>findings/</c>.
    /// </summary>
    public static int Mutate(IFuzzTarget target, IEnumerable<string> paths, TimeSpan duration, TextWriter output, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(output);
        var seeds = Corpus.Files(paths).Select(File.ReadAllBytes).ToList();
        if (seeds.Count == 0)
        {
            seeds.Add([]);
        }

        var random = new Random(seed);
        var clock = Stopwatch.StartNew();
        long runs = 0;
        int findings = 0;
        while (clock.Elapsed < duration)
        {
            var input = Mutator.Mutate(seeds[random.Next(seeds.Count)], seeds[random.Next(seeds.Count)], random);
            runs++;
            if (RunOne(target, input) is { } error)
            {
                findings++;
                output.WriteLine($"FINDING after {runs} runs: {error}");
                output.WriteLine($"  input: {Convert.ToHexString(input)}");
            }
        }

        output.WriteLine($"{target.Name}: {runs} mutated inputs in {clock.Elapsed.TotalSeconds:0} s ({runs / clock.Elapsed.TotalSeconds:0}/s), {findings} findings");
        return findings == 0 ? 0 : 1;
    }
}
