using System.Text.Json;

namespace Tessera.Interop.Scan;

/// <summary>
/// Both answers of every weakness probe: a scripted server that is broken in each way the scanner looks for (SSL 2.0,
/// SSL 3.0, RC4, 3DES, export, compression, no RFC 5746, no fallback protection, Heartbleed, CCS injection, a padding
/// oracle) is found out on each count, and the same server patched is cleared on each.
/// </summary>
public sealed class ScanProbeTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);

    private static JsonElement Scan(int port)
    {
        using var scan = PeerProcess.StartTessera("scan", $"localhost:{port}", "--json", "--timeout", "2", "--no-http");
        int exit = scan.WaitForExit(Bound);
        Assert.True(exit == 0, $"scan exited {exit}: {scan.Stderr}");
        return JsonDocument.Parse(scan.Stdout).RootElement.Clone();
    }

    private static string[] Protocols(JsonElement r) =>
        [.. r.GetProperty("protocols").EnumerateArray().Where(p => p.GetProperty("supported").GetBoolean()).Select(p => p.GetProperty("name").GetString()!)];

    private static bool? Verdict(JsonElement r, string name) =>
        r.GetProperty("vulnerabilities").GetProperty(name).ValueKind == JsonValueKind.Null ? null : r.GetProperty("vulnerabilities").GetProperty(name).GetBoolean();

    [Fact]
    public async Task EveryWeaknessOfABrokenServerIsFound()
    {
        await using var server = new ScriptedTlsServer(new ScriptedTlsServer.Script
        {
            Ssl2 = true,
            Compression = true,
            Heartbeat = true,
            Heartbleed = true,
            AcceptEarlyChangeCipherSpec = true,
            PaddingOracle = true,
        });
        var r = Scan(server.Port);
        Assert.Equal(["SSL 2.0", "SSL 3.0", "TLS 1.0"], Protocols(r));
        Assert.Contains("SSL_CK_RC4_128_WITH_MD5", r.GetProperty("protocols")[0].GetProperty("note").GetString(), StringComparison.Ordinal);
        var tls10 = r.GetProperty("cipherSuites").EnumerateArray().Single(l => l.GetProperty("protocol").GetString() == "TLS 1.0");
        Assert.Equal(["TLS_RSA_WITH_RC4_128_SHA", "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "TLS_RSA_EXPORT_WITH_RC4_40_MD5", "TLS_RSA_WITH_AES_128_CBC_SHA"],
            tls10.GetProperty("suites").EnumerateArray().Select(s => s.GetProperty("name").GetString()));
        Assert.True(tls10.GetProperty("serverOrder").GetBoolean());
        Assert.True(Verdict(r, "heartbleed"));
        Assert.True(Verdict(r, "ccs-injection"));
        Assert.True(Verdict(r, "robot"));
        var features = r.GetProperty("features");
        Assert.True(features.GetProperty("compression").GetBoolean());
        Assert.False(features.GetProperty("secureRenegotiation").GetBoolean());
        Assert.False(features.GetProperty("fallbackScsv").GetBoolean());
        var ids = r.GetProperty("findings").EnumerateArray().Select(f => f.GetProperty("id").GetString()).ToList();
        foreach (var id in new[] { "drown", "poodle", "rc4", "sweet32", "freak", "crime", "heartbleed", "ccs-injection", "robot", "no-secure-renegotiation", "no-fallback-scsv", "no-forward-secrecy", "beast" })
        {
            Assert.Contains(id, ids);
        }

        Assert.Contains("decrypt_error", r.GetProperty("findings").EnumerateArray().Single(f => f.GetProperty("id").GetString() == "robot").GetProperty("reason").GetString(), StringComparison.Ordinal);

        // No handshake Tessera could finish here; the certificate comes from the probes' plain-text Certificate.
        var leaf = r.GetProperty("certificate").GetProperty("chain")[0];
        Assert.Equal("RSA", leaf.GetProperty("keyType").GetString());
        Assert.Equal(2048, leaf.GetProperty("keyBits").GetInt32());
        Assert.True(r.GetProperty("certificate").GetProperty("selfSigned").GetBoolean());
        Assert.Equal("F", r.GetProperty("grade").GetString());
    }

    [Fact]
    public async Task ThePatchedServerIsClearedOnEveryCount()
    {
        await using var server = new ScriptedTlsServer(new ScriptedTlsServer.Script
        {
            MinVersion = 0x0301,
            Suites = [0x002F, 0x0035],
            Heartbeat = true,
            RenegotiationInfo = true,
        });
        var r = Scan(server.Port);
        Assert.Equal(["TLS 1.0"], Protocols(r));
        Assert.False(Verdict(r, "heartbleed"));
        Assert.False(Verdict(r, "ccs-injection"));
        Assert.False(Verdict(r, "robot"));
        var features = r.GetProperty("features");
        Assert.True(features.GetProperty("heartbeat").GetBoolean());
        Assert.False(features.GetProperty("compression").GetBoolean());
        Assert.True(features.GetProperty("secureRenegotiation").GetBoolean());
        var ids = r.GetProperty("findings").EnumerateArray().Select(f => f.GetProperty("id").GetString()).ToList();
        foreach (var id in new[] { "drown", "poodle", "rc4", "sweet32", "freak", "crime", "heartbleed", "ccs-injection", "robot", "no-secure-renegotiation" })
        {
            Assert.DoesNotContain(id, ids);
        }
    }
}
