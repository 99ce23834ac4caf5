using System.Text.RegularExpressions;

namespace Tessera.Interop;

/// <summary>
/// Each fuzz target under libFuzzer for a few seconds (fuzz/run.sh: SharpFuzz-instrumented Tessera.dll and the
/// repository's own libFuzzer driver): the pipeline works from a fresh clone, coverage reaches libFuzzer (it finds
/// new inputs), and no target breaks a rule in that time. Long runs are fuzz/run.sh TARGET 600 by hand.
/// </summary>
public sealed partial class LibFuzzerTests
{
    private static readonly string Root = FindRoot();

    public static TheoryData<string> Targets() =>
        ["record", "handshake", "extension", "engine-server", "engine-client", "x509", "crl", "ocsp", "pem", "session"];

    [Theory]
    [MemberData(nameof(Targets))]
    public void EachTargetRunsUnderLibFuzzerWithoutFindings(string target)
    {
        using var run = PeerProcess.Start(Path.Combine(Root, "fuzz", "run.sh"), [target, "6"], Root);
        int exit = run.WaitForExit(TimeSpan.FromMinutes(6));
        string output = run.Stdout + run.Stderr;
        Assert.True(exit == 0, $"fuzz/run.sh {target} exited {exit}:\n{Tail(output)}");
        var executed = ExecutedUnits().Match(output);
        Assert.True(executed.Success && long.Parse(executed.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 0, Tail(output));
        // Features beyond the driver's own few edges: the instrumentation and the shared coverage map work.
        var inited = Inited().Match(output);
        Assert.True(inited.Success && int.Parse(inited.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 40, Tail(output));
    }

    private static string Tail(string output) => output.Length > 4000 ? output[^4000..] : output;

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Tessera.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("not inside a checkout");
    }

    [GeneratedRegex(@"stat::number_of_executed_units:\s+(\d+)")]
    private static partial Regex ExecutedUnits();

    [GeneratedRegex(@"INITED cov: \d+ ft: (\d+)")]
    private static partial Regex Inited();
}
