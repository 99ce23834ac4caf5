using Tessera.Fuzz;

namespace Tessera.Tests.Fuzz;

/// <summary>
/// The fuzz targets in the normal test run: every input of the committed corpora and every earlier finding is
/// replayed (each must keep the target's rules), and each target takes a fixed number of seeded blind mutations.
/// Coverage-guided fuzzing itself runs with fuzz/run.sh.
/// </summary>
public sealed class FuzzCorpusTests
{
    private static readonly string FuzzFolder = Corpus.FindFuzzFolder(AppContext.BaseDirectory) ?? throw new InvalidOperationException("not inside a checkout");

    public static TheoryData<string> Targets() => [.. FuzzTargets.All.Select(t => t.Name)];

    [Theory]
    [MemberData(nameof(Targets))]
    public void EveryCorpusInputAndEveryEarlierFindingKeepsTheRules(string name)
    {
        var target = FuzzTargets.Find(name)!;
        var files = Corpus.Files([Path.Combine(FuzzFolder, "corpus", name), Path.Combine(FuzzFolder, "findings", name)]).ToList();
        Assert.True(files.Count >= 5, $"the {name} corpus has {files.Count} inputs; run 'tessera-fuzz seed fuzz/corpus'");
        var failures = files.Select(f => (File: Path.GetFileName(f), Error: Replay.RunOne(target, File.ReadAllBytes(f)))).Where(r => r.Error is not null).ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures.Select(f => $"{f.File}: {f.Error}")));
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void SeededMutationsKeepTheRules(string name)
    {
        var target = FuzzTargets.Find(name)!;
        var seeds = Corpus.Files([Path.Combine(FuzzFolder, "corpus", name)]).Select(File.ReadAllBytes).ToList();
        var random = new Random(name.Length * 7919 + name[0]);
        int count = name.StartsWith("engine", StringComparison.Ordinal) ? 150 : 1500;
        for (int i = 0; i < count; i++)
        {
            var input = Mutator.Mutate(seeds[random.Next(seeds.Count)], seeds[random.Next(seeds.Count)], random);
            var error = Replay.RunOne(target, input);
            Assert.True(error is null, $"{name}, mutation {i}: {error}\ninput: {Convert.ToHexString(input)}");
        }
    }

    [Fact]
    public void EveryEngineScenarioIsTheHandshakeItSaysHonestly()
    {
        // The engine targets' honest prefixes must reach what each scenario is for, or fuzzing stays shallow there.
        foreach (var scenario in Tessera.Fuzz.Targets.EngineScenario.All)
        {
            using var client = TlsConnection.CreateClient(scenario.Client());
            using var server = TlsConnection.CreateServer(scenario.Server());
            client.Start();
            for (int round = 0; round < 8; round++)
            {
                EnginePump.Deliver(client, server);
                EnginePump.Deliver(server, client);
            }

            Assert.True(client.IsHandshakeComplete && server.IsHandshakeComplete, scenario.Name);
            Assert.True(scenario.Name.Contains("resumption", StringComparison.Ordinal) == client.IsResumed, $"{scenario.Name}: resumed {client.IsResumed}");
            Assert.True(scenario.Name.Contains("HelloRetryRequest", StringComparison.Ordinal) == client.WasHelloRetryRequest, $"{scenario.Name}: HRR {client.WasHelloRetryRequest}");
            Assert.Equal(scenario.Name.Contains("0-RTT", StringComparison.Ordinal) ? TlsEarlyDataStatus.Accepted : TlsEarlyDataStatus.NotOffered, client.EarlyDataStatus);
            Assert.Equal(scenario.Name.StartsWith("TLS 1.2,", StringComparison.Ordinal) ? TlsProtocolVersion.Tls12 : TlsProtocolVersion.Tls13, client.NegotiatedProtocol);
        }
    }

    [Fact]
    public void InternalErrorOnPeerInputIsAFinding()
    {
        Assert.Throws<FuzzFinding>(() => Expect.PeerInputAlert(new TlsException(AlertDescription.InternalError, "index out of range, papered over")));
        Expect.PeerInputAlert(new TlsException(AlertDescription.DecodeError, "truncated"));
        Expect.PeerInputAlert(new TlsException(AlertDescription.InternalError, AlertSource.Remote, "the peer's own trouble"));
    }

    [Fact]
    public void AnExceptionOfTheWrongKindAndAHangAreFindings()
    {
        Assert.IsType<IndexOutOfRangeException>(Replay.RunOne(new Throwing(), []));
        Assert.IsType<FuzzFinding>(Replay.RunOne(new Hanging(), [], TimeSpan.FromMilliseconds(100)));
        Assert.Null(Replay.RunOne(FuzzTargets.Find("record")!, [0, 0, 5, 22, 3, 3, 0, 0]));
    }

    private sealed class Throwing : IFuzzTarget
    {
        public string Name => "throwing";

        public string Description => "";

        public void Run(ReadOnlySpan<byte> input) => throw new IndexOutOfRangeException();
    }

    private sealed class Hanging : IFuzzTarget
    {
        public string Name => "hanging";

        public string Description => "";

        public void Run(ReadOnlySpan<byte> input) => Thread.Sleep(2000);
    }
}
