using System.Text.RegularExpressions;

namespace Tessera.Tests.Security;

/// <summary>
/// Secrets and authenticators (Finished verify_data, PSK binders, record MACs, HRR cookies, renegotiation_info) are
/// compared in fixed time: the source of the handshake and record code compares them with
/// CryptographicOperations.FixedTimeEquals, never with SequenceEqual or ==. (Timing itself is not measured in tests.)
/// </summary>
public sealed partial class FixedTimeComparisonTests
{
    private static string SourceFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Tessera.slnx")))
            {
                return Path.Combine(dir.FullName, "src", "Tessera");
            }
        }

        throw new InvalidOperationException("not inside a checkout");
    }

    [Fact]
    public void AuthenticatorsAreNeverComparedWithSequenceEqual()
    {
        var offending = new List<string>();
        foreach (var file in Directory.EnumerateFiles(SourceFolder(), "*.cs", SearchOption.AllDirectories).Where(f => !f.Contains("/obj/", StringComparison.Ordinal)))
        {
            var lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
            {
                if (VariableTimeComparison().IsMatch(lines[i]))
                {
                    offending.Add($"{Path.GetFileName(file)}:{i + 1}: {lines[i].Trim()}");
                }
            }
        }

        Assert.True(offending.Count == 0, string.Join("\n", offending));
    }

    [Fact]
    public void EachAuthenticatorCheckUsesFixedTimeEquals()
    {
        // The places that check what a peer sent against what we computed, by file.
        var expected = new Dictionary<string, int>
        {
            ["Tls13Handshake.cs"] = 1,               // Finished
            ["Tls12Handshake.cs"] = 1,               // Finished
            ["Server13Handshake.cs"] = 2,            // cookie, binder
            ["PostHandshakeAuthentication.cs"] = 1,  // the client's Finished after post-handshake auth
            ["Tls12CbcRecordProtection.cs"] = 2,     // record MAC, both orders
            ["Client12Handshake.cs"] = 1,            // renegotiation_info
            ["Server12Handshake.cs"] = 1,            // renegotiation_info
        };
        var files = Directory.EnumerateFiles(SourceFolder(), "*.cs", SearchOption.AllDirectories).Where(f => !f.Contains("/obj/", StringComparison.Ordinal)).ToDictionary(f => Path.GetFileName(f), File.ReadAllText);
        foreach (var (file, count) in expected)
        {
            Assert.True(Regex.Count(files[file], @"CryptographicOperations\.FixedTimeEquals\(") >= count, $"{file}: fewer than {count} fixed-time comparisons");
        }
    }

    /// <summary>SequenceEqual or == on something named like an authenticator or a secret.</summary>
    [GeneratedRegex(@"(?i)\b\w*(verify_?data|verifydata|binder|expectedmac|mac\b|finished|cookie|secret|premaster)\w*\b[^;]*\.SequenceEqual\(|\.SequenceEqual\([^;]*\b\w*(verifydata|binder|mac\b|finished|cookie|secret)")]
    private static partial Regex VariableTimeComparison();
}
