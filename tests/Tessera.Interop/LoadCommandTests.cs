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
            Assert.Equal([], NotCamelCase(root, "$"));
            var settings = root.GetProperty("settings");
            Assert.Equal(40, settings.GetProperty("clients").GetInt32());
            Assert.Equal(1500, settings.GetProperty("connections").GetInt64());
            Assert.Equal(256 * 1024, settings.GetProperty("bulkBytes").GetInt64());
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
            Assert.Equal(0, after.GetProperty("connectionsOpen").GetInt64());
            Assert.Equal(0, after.GetProperty("handshakesInProgress").GetInt64());
            Assert.True(after.GetProperty("managedBytes").GetInt64() > 0);
            var ms = root.GetProperty("connectAndHandshakeMs");
            Assert.True(ms.GetProperty("p50").GetDouble() > 0 && ms.GetProperty("p99").GetDouble() >= ms.GetProperty("p50").GetDouble());
        }
        finally
        {
            File.Delete(json);
        }
    }

    /// <summary>Every key that is not camelCase, by path; the keys of "errors" are messages (data), not names.</summary>
    private static List<string> NotCamelCase(JsonElement element, string path)
    {
        var found = new List<string>();
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (!System.Text.RegularExpressions.Regex.IsMatch(property.Name, "^[a-z][a-zA-Z0-9]*$"))
                {
                    found.Add($"{path}.{property.Name}");
                }

                if (path != "$" || property.Name != "errors")
                {
                    found.AddRange(NotCamelCase(property.Value, $"{path}.{property.Name}"));
                }
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            found.AddRange(element.EnumerateArray().SelectMany((e, i) => NotCamelCase(e, $"{path}[{i}]")));
        }

        return found;
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
