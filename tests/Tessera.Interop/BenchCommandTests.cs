using System.Text.Json;
using Tessera.Bench;
using Tessera.Bench.Stacks;

namespace Tessera.Interop;

/// <summary>
/// `tessera bench --quick`, the CI smoke run: every stack runs a handshake, a bulk transfer and the idle-memory
/// figure, the JSON holds them with their spread, and mistakes on the command line are one line and exit code 1.
/// Nothing here judges speed: the figures only have to exist and be sane.
/// </summary>
public sealed class BenchCommandTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(3);

    [Fact]
    public void AQuickRunMeasuresEveryStackAndWritesJson()
    {
        string json = Path.Combine(Path.GetTempPath(), $"tessera-bench-{Guid.NewGuid():N}.json");
        try
        {
            using var bench = PeerProcess.StartTessera("bench", "--quick", "--only", "handshake.full.tls13-x25519-ecdsa,handshake.resumed.tls12-id,bulk.aes128gcm.16k,memory",
                "--connections", "300", "--json", json);
            Assert.True(bench.WaitForExit(Bound) == 0, bench.Stdout + bench.Stderr);
            Assert.Contains("Handshakes per second", bench.Stdout, StringComparison.Ordinal);
            Assert.Contains("Tessera ÷ stack", bench.Stdout, StringComparison.Ordinal);

            string text = File.ReadAllText(json);
            Assert.DoesNotContain("NaN", text, StringComparison.Ordinal);   // a figure not measured is null, not the string "NaN"
            using var document = JsonDocument.Parse(text);
            var results = document.RootElement.GetProperty("results").EnumerateArray().ToList();
            JsonElement Find(string id, string stack) => results.Single(r => r.GetProperty("id").GetString() == id && r.GetProperty("stack").GetString() == stack);

            foreach (var stack in new[] { "Tessera", "SslStream", "BouncyCastle" })
            {
                var handshake = Find("handshake.full.tls13-x25519-ecdsa", stack);
                Assert.Equal(3, handshake.GetProperty("windows").GetInt32());
                Assert.True(handshake.GetProperty("median").GetDouble() > 0);
                Assert.True(handshake.GetProperty("min").GetDouble() <= handshake.GetProperty("median").GetDouble());
                Assert.True(handshake.GetProperty("max").GetDouble() >= handshake.GetProperty("median").GetDouble());
                Assert.True(handshake.GetProperty("allocatedBytes").GetDouble() > 0);
                Assert.True(Find("bulk.aes128gcm.16k", stack).GetProperty("median").GetDouble() > 0);
                Assert.True(Find("memory.idle.managed", stack).GetProperty("median").GetDouble() > 0);
            }

            // Resumption really happened where a stack says so, and a stack that cannot is reported with its reason.
            Assert.Matches(@"^(\d+) of \1 resumed", Find("handshake.resumed.tls12-id", "Tessera").GetProperty("note").GetString());
            Assert.DoesNotContain("NOT", Find("handshake.resumed.tls12-id", "BouncyCastle").GetProperty("note").GetString(), StringComparison.Ordinal);
            var skipped = Find("handshake.resumed.tls12-id", "SslStream");
            Assert.Equal(0, skipped.GetProperty("windows").GetInt32());
            foreach (var figure in new[] { "median", "min", "max" })
            {
                Assert.Equal(JsonValueKind.Null, skipped.GetProperty(figure).ValueKind);
            }

            Assert.Contains("SslStream", skipped.GetProperty("note").GetString(), StringComparison.Ordinal);
            Assert.True(Find("handshake.full.tls13-x25519-ecdsa", "bound").GetProperty("median").GetDouble() > 0);
            Assert.True(Find("handshake.full.tls13-x25519-ecdsa", "Tessera engine").GetProperty("median").GetDouble() > 0);
        }
        finally
        {
            File.Delete(json);
        }
    }

    [Theory]
    [InlineData("--only", "nothing-like-this")]
    [InlineData("--stacks", "OpenSSL")]
    [InlineData("--seconds", "0")]
    [InlineData("--windows", "-1")]
    [InlineData("--json", "/nonexistent-directory/figures.json")]
    public void AMistakeIsOneLineAndExitCodeOne(string option, string value)
    {
        using var bench = PeerProcess.StartTessera("bench", "--quick", option, value);
        Assert.Equal(1, bench.WaitForExit(TimeSpan.FromSeconds(60)));
        var line = Assert.Single(bench.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("tessera: ", line, StringComparison.Ordinal);
        Assert.Contains(option[1..], line, StringComparison.Ordinal);   // named as --help shows it: -only for --only
        Assert.DoesNotContain(option, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AStackThatFailsIsReportedAndTheOthersGoOn()
    {
        var settings = BenchSettings.Quick(["handshake.full.tls13-x25519-ecdsa"], ["Tessera", "Broken"]);
        var lines = new List<string>();
        var runner = new BenchRunner(settings, [new TesseraStackFactory(), new BrokenStackFactory()], line => { lock (lines) { lines.Add(line); } });
        var report = await runner.RunAsync(CancellationToken.None).WaitAsync(Bound);
        var tessera = report.Results.Single(r => r.Stack == "Tessera");
        Assert.True(tessera.Ran && tessera.Median > 0);
        var broken = report.Results.Single(r => r.Stack == "Broken");
        Assert.False(broken.Ran);
        Assert.Equal("failed: IOException: the transport went away", broken.Note);
        var table = new StringWriter();
        report.WriteText(table);
        Assert.Contains("n/a", table.ToString(), StringComparison.Ordinal);
    }

    private sealed class BrokenStackFactory : ITlsStackFactory
    {
        public string Name => "Broken";

        public string? Unsupported(Scenario scenario) => null;

        public ITlsStack Create(Scenario scenario, BenchCredentials credentials) => new Broken();

        private sealed class Broken : ITlsStack
        {
            public Task<TlsPair> ConnectAsync(Stream clientTransport, Stream serverTransport, CancellationToken cancellationToken)
            {
                clientTransport.Dispose();
                serverTransport.Dispose();
                return Task.FromException<TlsPair>(new IOException("the transport went away"));
            }

            public void Dispose()
            {
            }
        }
    }
}
