using Tessera.Pki;
using Tessera.Pki.X509;

namespace Tessera.Interop;

/// <summary><c>tessera ca</c>: what it issues is accepted by openssl verify and by Tessera, and what it revokes is refused by both.</summary>
public sealed class CaCommandTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("tessera-ca-");

    public void Dispose() => _directory.Delete(recursive: true);

    private string P(string name) => Path.Combine(_directory.FullName, name);

    private PeerProcess Tessera(params string[] args)
    {
        var process = PeerProcess.Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "Tessera.Cli.dll"), .. args], workingDirectory: _directory.FullName);
        Assert.True(process.WaitForExit(Bound) == 0 || args[0] == "verify", $"tessera {string.Join(' ', args)}: {process.Stdout}{process.Stderr}");
        return process;
    }

    private bool OpenSslVerifies(params string[] args)
    {
        using var openssl = PeerProcess.StartOpenSsl(["verify", .. args]);
        return openssl.WaitForExit(Bound) == 0;
    }

    [Theory]
    [InlineData("ecdsa-p256")]
    [InlineData("ecdsa-p384")]
    [InlineData("rsa2048")]
    [InlineData("ed25519")]
    public void IssuedCertificatesVerifyAndRevokedOnesDoNot(string keyType)
    {
        using (Tessera("ca", "init", "--dir", "ca", "--key-type", keyType)) { }
        using (Tessera("ca", "issue", "--dir", "ca", "--san", "localhost,127.0.0.1", "--must-staple", "--out", "server")) { }
        using (Tessera("ca", "issue", "--dir", "ca", "--type", "client", "--name", "alice", "--key-type", "rsa2048", "--out", "alice")) { }
        string ca = P("ca/ca.pem");

        Assert.True(OpenSslVerifies("-CAfile", ca, "-purpose", "sslserver", "-verify_hostname", "localhost", P("server.pem")));
        Assert.True(OpenSslVerifies("-CAfile", ca, "-purpose", "sslclient", P("alice.pem")));
        using (var ours = Tessera("verify", "-CAfile", ca, "-verify_ip", "127.0.0.1", P("server.pem")))
        {
            Assert.Contains("server.pem: OK", ours.Stdout, StringComparison.Ordinal);
        }

        var parsed = Certificate.Parse(PemFiles.LoadCertificates(P("server.pem"))[0]);
        Assert.True(parsed.MustStaple);
        Assert.Equal(["DNS:localhost", "IP:127.0.0.1"], parsed.SubjectAltNames.Select(n => n.ToString()));

        using (Tessera("ca", "revoke", "--dir", "ca", "--reason", "keyCompromise", P("server.pem"))) { }
        using (Tessera("ca", "crl", "--dir", "ca")) { }
        Assert.False(OpenSslVerifies("-CAfile", ca, "-crl_check", "-CRLfile", P("ca/crl.pem"), P("server.pem")));
        Assert.True(OpenSslVerifies("-CAfile", ca, "-crl_check", "-CRLfile", P("ca/crl.pem"), P("alice.pem")));
        using var refused = Tessera("verify", "-CAfile", ca, "-crl_check", "-CRLfile", P("ca/crl.pem"), P("server.pem"));
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("KeyCompromise", refused.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("server", "server")]
    [InlineData("client", "client")]
    [InlineData("intermediate", "intermediate")]
    [InlineData("ocsp-responder", "ocsp-responder")]
    [InlineData("OCSP-Responder", "ocsp-responder")]
    public void IssueNamesTheTypeAsTypeSpellsIt(string type, string printed)
    {
        using (Tessera("ca", "init", "--dir", "ca")) { }
        using var issue = Tessera("ca", "issue", "--dir", "ca", "--type", type, "--name", "Some Name", "--out", "issued");
        Assert.Matches($"^issued {printed} certificate [0-9A-F]+ for Some Name: issued.pem, issued-key.pem\n$", issue.Stdout);
    }

    [Fact]
    public void IssueHelpListsEveryType()
    {
        using var help = Tessera("ca", "issue", "--help");
        var description = help.Stdout.Split('\n').SkipWhile(l => l.Trim() != "Description:").Skip(1).First().Trim();
        Assert.Equal("issue a server, client, intermediate or OCSP responder certificate", description);
        Assert.Contains("server, client, intermediate or ocsp-responder", help.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void AnIntermediateIssuedByTheCaBuildsAChain()
    {
        using (Tessera("ca", "init", "--dir", "ca")) { }
        using (Tessera("ca", "issue", "--dir", "ca", "--type", "intermediate", "--name", "Team CA", "--out", "team")) { }
        var team = Certificate.Parse(PemFiles.LoadCertificates(P("team.pem"))[0]);
        Assert.True(team.IsCa);
        Assert.Equal(0, team.PathLengthConstraint);
        Assert.True(OpenSslVerifies("-CAfile", P("ca/ca.pem"), P("team.pem")));
    }

    [Fact]
    public void OpenSslConnectsToTesseraServingACertificateFromTheCa()
    {
        using (Tessera("ca", "init", "--dir", "ca", "--key-type", "rsa2048")) { }
        using (Tessera("ca", "issue", "--dir", "ca", "--san", "localhost", "--out", "server")) { }
        using var server = PeerProcess.StartTessera("s_server", "-accept", "127.0.0.1:0", "-cert", P("server.pem"), "-key", P("server-key.pem"), "-naccept", "1", "-quiet");
        int port = server.WaitForAcceptPort(Bound);
        using var client = PeerProcess.StartOpenSsl("s_client", "-connect", $"127.0.0.1:{port}", "-servername", "localhost", "-CAfile", P("ca/ca.pem"),
            "-verify_return_error", "-verify_hostname", "localhost");
        client.Stdin.Write("hi\n");
        client.Stdin.Flush();
        Assert.True(client.WaitForExit(Bound) == 0, client.Stdout + client.Stderr);
        Assert.Contains("Verify return code: 0 (ok)", client.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void OcspServeAnswersOpenSslOverHttp()
    {
        using (Tessera("ca", "init", "--dir", "ca")) { }
        using (Tessera("ca", "issue", "--dir", "ca", "--san", "ocsp.example", "--out", "leaf")) { }
        using var responder = PeerProcess.Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "Tessera.Cli.dll"), "ca", "ocsp-serve", "--dir", P("ca"), "--naccept", "2"]);
        var url = responder.WaitFor(new System.Text.RegularExpressions.Regex(@"http://127\.0\.0\.1:\d+/"), Bound).Value;
        string Ask()
        {
            using var openssl = PeerProcess.StartOpenSsl("ocsp", "-issuer", P("ca/ca.pem"), "-cert", P("leaf.pem"), "-url", url, "-CAfile", P("ca/ca.pem"));
            openssl.WaitForExit(Bound);
            return openssl.Stdout + openssl.Stderr;
        }

        var first = Ask();
        Assert.Contains("Response verify OK", first, StringComparison.Ordinal);
        Assert.Contains("leaf.pem: good", first, StringComparison.Ordinal);
        using (Tessera("ca", "revoke", "--dir", "ca", "--reason", "superseded", P("leaf.pem"))) { }
        var second = Ask();
        Assert.Contains("leaf.pem: revoked", second, StringComparison.Ordinal);
        Assert.Contains("Reason: superseded", second, StringComparison.Ordinal);
        Assert.Equal(0, responder.WaitForExit(Bound));
    }

    [Fact]
    public void MistakesAreOneLine()
    {
        using var missing = PeerProcess.Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "Tessera.Cli.dll"), "ca", "issue", "--dir", P("nowhere"), "--san", "x.test"]);
        Assert.Equal(1, missing.WaitForExit(Bound));
        Assert.Contains("no CA here", missing.Stderr, StringComparison.Ordinal);
        using (Tessera("ca", "init", "--dir", "ca")) { }
        using var twice = PeerProcess.Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "Tessera.Cli.dll"), "ca", "init", "--dir", P("ca")]);
        Assert.Equal(1, twice.WaitForExit(Bound));
        Assert.Contains("already holds a CA", twice.Stderr, StringComparison.Ordinal);
        Assert.Single(twice.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public void RevocationReasonsACrlCannotCarry_AreRefused_AndADamagedIndexIsOneLine()
    {
        using (Tessera("ca", "init", "--dir", "ca")) { }
        using (Tessera("ca", "issue", "--dir", "ca", "--san", "a.test", "--out", "a")) { }
        foreach (var reason in new[] { "removeFromCrl", "aACompromise", "8", "7", "nonsense" })
        {
            using var refused = PeerProcess.Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "Tessera.Cli.dll"), "ca", "revoke", "--dir", P("ca"), "--reason", reason, P("a.pem")]);
            Assert.Equal(1, refused.WaitForExit(Bound));
            Assert.Contains("is not a reason a CRL can carry", refused.Stderr, StringComparison.Ordinal);
            Assert.Single(refused.Stderr.Trim().Split('\n'));
        }

        using (Tessera("ca", "revoke", "--dir", "ca", "--reason", "superseded", P("a.pem"))) { }
        using (Tessera("ca", "crl", "--dir", "ca")) { }

        // An index damaged by hand (a delta-only reason code): the CRL is refused in one line, no stack trace.
        var index = P("ca/index.tsv");
        File.WriteAllText(index, System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(index), @"\tR\t(\d+)\t4\t", "\tR\t$1\t8\t"));
        using var crl = PeerProcess.Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "Tessera.Cli.dll"), "ca", "crl", "--dir", P("ca")]);
        Assert.Equal(1, crl.WaitForExit(Bound));
        Assert.Contains("line 1: a damaged revocation entry", crl.Stderr, StringComparison.Ordinal);
        Assert.Single(crl.Stderr.Trim().Split('\n'));
    }
}
