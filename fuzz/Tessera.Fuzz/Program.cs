using Tessera.Fuzz;

// tessera-fuzz: the fuzz targets' host. See fuzz/README.md.
//   list                         the targets
//   run TARGET                   under the libFuzzer driver (fuzz/run.sh starts it so); one input at a time, for ever
//   replay TARGET PATH...        every file under PATH once (a finding: exit 1, its file and exception printed)
//   mutate TARGET SECONDS PATH.. seeded random mutations of the files under PATH, without coverage, for SECONDS
//   seed FOLDER                  writes seed inputs for every target into FOLDER/TARGET/
return Cli.Run(args);

internal static class Cli
{
    public static int Run(string[] args)
    {
        try
        {
            return args switch
            {
                ["list"] => List(),
                ["run", var name] => LibFuzzer(Target(name)),
                ["replay", var name, .. var paths] when paths.Length > 0 => Replay.Run(Target(name), paths, Console.Out),
                ["mutate", var name, var seconds, .. var paths] when paths.Length > 0 && int.TryParse(seconds, out int s) && s > 0 =>
                    Replay.Mutate(Target(name), paths, TimeSpan.FromSeconds(s), Console.Out),
                ["seed", var folder] => Seeds.Write(folder, Console.Out),
                _ => Usage(),
            };
        }
        catch (UsageException ex)
        {
            Console.Error.WriteLine($"tessera-fuzz: {ex.Message}");
            return 2;
        }
    }

    private static int List()
    {
        foreach (var target in FuzzTargets.All)
        {
            Console.WriteLine($"{target.Name,-15} {target.Description}");
        }

        return 0;
    }

    private static int LibFuzzer(IFuzzTarget target)
    {
        // Nothing of Tessera may run before this: its instrumented code writes to the shared coverage map, which
        // SharpFuzz sets up here.
        SharpFuzz.Fuzzer.LibFuzzer.Run(span => target.Run(span));
        return 0;
    }

    private static IFuzzTarget Target(string name) =>
        FuzzTargets.Find(name) ?? throw new UsageException($"no target '{name}'; targets: {string.Join(", ", FuzzTargets.All.Select(t => t.Name))}");

    private static int Usage()
    {
        Console.Error.WriteLine("usage: tessera-fuzz list | run TARGET | replay TARGET PATH... | mutate TARGET SECONDS PATH... | seed FOLDER");
        return 2;
    }
}

/// <summary>A mistake on the command line.</summary>
internal sealed class UsageException(string message) : Exception(message);
