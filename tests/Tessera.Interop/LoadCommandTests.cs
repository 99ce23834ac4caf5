using System.Text.Json;

namespace Tessera.Interop;

/// <summary>
/// `tessera load` against the s_server it starts itself: concurrent full, resumed and bulk connections and injected
/// resets end with no errors, every offered session resumes, and the server is back where it started (no connection,
/// handshake or managed memory left over); a mistake on the command line is one line and exit code 1.
/// </summary>
public sealed class LoadCommandTests
{
    [Fact]
    public void AShortLoadRunPassesAndTheServerReturnsToItsBaseline()
    {
        string json = Path.Combine(Path.GetTempPath(), $"tessera-load-{Guid.NewGuid():N}.json");
        try
        {
            using var load = PeerProcess.StartTessera("load", "--clients", "40", "--connections", "1500", "--seconds", "120", "--bulk-kib", "256", "--json", json);
            Assert.True(load.WaitForExit(TimeSpan.FromMinutes(3)) == 0, load.Stdout + load.Stderr);
            Assert.Contains("PASS", load.Stdout, StringComparison.Ordinal);

            using var document = JsonDocument.Parse(File.ReadAllText(json));
            var root = document.RootElement;
            Assert.Equal(1500, root.GetProperty("connections").GetInt64());
            Assert.True(root.GetProperty("pass").GetBoolean());
            Assert.Empty(root.GetProperty("errors").EnumerateObject());
            var kinds = root.GetProperty("byKind");
            foreach (var kind in new[] { "full", "resumed", "bulk", "abort" })
            {
                Assert.True(kinds.GetProperty(kind).GetInt64() > 0, kind);
            }

            Assert.True(root.GetProperty("resumed").GetInt64() > 0);
            Assert.Equal(0, root.GetProperty("resumptionDeclined").GetInt64());
            var after = root.GetProperty("serverAfter");
            Assert.Equal(0, after.GetProperty("connections_open").GetInt64());
            Assert.Equal(0, after.GetProperty("handshakes_in_progress").GetInt64());
            var ms = root.GetProperty("connectAndHandshakeMs");
            Assert.True(ms.GetProperty("p50").GetDouble() > 0 && ms.GetProperty("p99").GetDouble() >= ms.GetProperty("p50").GetDouble());
        }
        finally
        {
            File.Delete(json);
        }
    }

    [Theory]
    [InlineData("--mix", "full:1,sideways:2", "unknown kind 'sideways'")]
    [InlineData("--clients", "0", "tessera: -clients must be positive")]
    [InlineData("-connect", "127.0.0.1:1", "-connect needs -CAfile")]
    public void MistakesAreOneLineAndExitCodeOne(string option, string value, string expected)
    {
        using var load = PeerProcess.StartTessera("load", option, value);
        Assert.Equal(1, load.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Contains(expected, load.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", load.Stderr, StringComparison.Ordinal);
    }
}
