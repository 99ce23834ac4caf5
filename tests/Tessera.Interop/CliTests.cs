using System.Text.RegularExpressions;
using Tessera.Pki;

namespace Tessera.Interop;

/// <summary>The <c>tessera</c> command against real openssl peers, and its handling of user mistakes.</summary>
[Collection("pem")]
public sealed class CliTests(PemFixture pem)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public void TesseraSClientTalksToOpenSslSServer()
    {
        using var server = PeerProcess.StartOpenSsl("s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.Rsa2048),
            "-key", pem.KeyFile(CertificateKeyType.Rsa2048), "-www", "-naccept", "1");
        int port = server.WaitForAcceptPort();
        using var client = PeerProcess.StartTessera("s_client", "-connect", $"127.0.0.1:{port}", "-servername", "localhost", "-CAfile", pem.CaFile, "-alpn", "http/1.1");
        client.Stdin.Write("GET / HTTP/1.0\r\n\r\n");
        client.Stdin.Flush();
        Assert.True(client.WaitForExit(Timeout) == 0, client.Stdout + client.Stderr);
        Assert.StartsWith($"CONNECTED(127.0.0.1:{port})\n", client.Stdout, StringComparison.Ordinal);   // IPv4 as IPv4, not [::ffff:127.0.0.1]
        Assert.Contains("Protocol: TLSv1.3", client.Stdout, StringComparison.Ordinal);
        Assert.Contains("Peer signature: rsa_pss_rsae_sha256", client.Stdout, StringComparison.Ordinal);
        Assert.Contains("Verification: OK", client.Stdout, StringComparison.Ordinal);
        Assert.Contains("Verify return code: 0 (ok)", client.Stdout, StringComparison.Ordinal);
        Assert.Contains("HTTP/1.0 200 ok", client.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("::ffff:127.0.0.1", 4433, "127.0.0.1:4433")]
    [InlineData("192.0.2.7", 443, "192.0.2.7:443")]
    [InlineData("::1", 443, "[::1]:443")]
    [InlineData("2001:db8::1", 8443, "[2001:db8::1]:8443")]
    public void SClientShowsThePeerAddressAsPeopleWriteIt(string address, int port, string expected) =>
        Assert.Equal(expected, Tessera.Cli.SClientCommand.Describe(new System.Net.IPEndPoint(System.Net.IPAddress.Parse(address), port)));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void InsecureReportsTheVerifyCodeAsOpenSslDoesAndVerifyReturnErrorFails(bool verifyReturnError)
    {
        using var server = PeerProcess.StartOpenSsl("s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.EcdsaP256),
            "-key", pem.KeyFile(CertificateKeyType.EcdsaP256), "-www", "-naccept", "1");
        int port = server.WaitForAcceptPort();
        string[] strict = verifyReturnError ? ["-verify_return_error"] : [];
        using var client = PeerProcess.StartTessera(["s_client", "-connect", $"127.0.0.1:{port}", "-servername", "localhost", "-insecure", .. strict]);   // no -CAfile: the system roots
        client.Stdin.Write("GET / HTTP/1.0\r\n\r\n");
        client.Stdin.Flush();
        int exit = client.WaitForExit(Timeout);
        if (verifyReturnError)
        {
            Assert.Equal(1, exit);
            Assert.Contains("unknown_ca", client.Stderr, StringComparison.Ordinal);
            return;
        }

        Assert.True(exit == 0, client.Stdout + client.Stderr);
        Assert.Contains("Verify return code: 20 (unable to get local issuer certificate)", client.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void TesseraSClientLegacyDheTraceNamesTheGroupAndSaysItIsLegacy()
    {
        var dhParam = Path.Combine(pem.Directory, $"ffdhe3072-{Guid.NewGuid():N}.pem");
        using (var generate = PeerProcess.StartOpenSsl("genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "group:ffdhe3072", "-out", dhParam))
        {
            Assert.True(generate.WaitForExit(Timeout) == 0, generate.Stderr);
        }

        using var server = PeerProcess.StartOpenSsl("s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.Rsa2048),
            "-key", pem.KeyFile(CertificateKeyType.Rsa2048), "-www", "-naccept", "1", "-tls1_2", "-dhparam", dhParam);
        int port = server.WaitForAcceptPort();
        using var client = PeerProcess.StartTessera("s_client", "-connect", $"127.0.0.1:{port}", "-servername", "localhost", "-CAfile", pem.CaFile,
            "-tls1_2", "-legacy", "-cipher", "DHE-RSA-AES256-SHA256", "-msg");
        client.Stdin.Write("GET / HTTP/1.0\r\n\r\n");
        client.Stdin.Flush();
        Assert.True(client.WaitForExit(Timeout) == 0, client.Stdout + client.Stderr);
        Assert.Contains("dh_p: 3072 bits (ffdhe3072)", client.Stderr, StringComparison.Ordinal);   // the trace goes to stderr
        Assert.Contains("encrypt_then_mac", client.Stderr, StringComparison.Ordinal);
        Assert.Contains("Group: ffdhe3072", client.Stdout, StringComparison.Ordinal);
        Assert.Contains("Legacy: finite-field DHE (RFC 7919 group), CBC with encrypt-then-MAC", client.Stdout, StringComparison.Ordinal);
        Assert.Contains("Cipher is DHE-RSA-AES256-SHA256", client.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void OpenSslSClientTalksToTesseraSServerWww()
    {
        using var server = PeerProcess.StartTessera("s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.Ed25519),
            "-key", pem.KeyFile(CertificateKeyType.Ed25519), "-www", "-naccept", "1", "-quiet");
        int port = server.WaitForAcceptPort(Timeout);
        using var client = PeerProcess.StartOpenSsl("s_client", "-connect", $"127.0.0.1:{port}", "-servername", "localhost", "-CAfile", pem.CaFile,
            "-verify_return_error", "-ign_eof", "-groups", "P-256");
        client.Stdin.Write("GET / HTTP/1.0\r\n\r\n");
        client.Stdin.Flush();
        Assert.True(client.WaitForExit(Timeout) == 0, client.Stdout + client.Stderr);
        Assert.Contains("Verify return code: 0 (ok)", client.Stdout, StringComparison.Ordinal);
        Assert.Contains("Tessera s_server -www", client.Stdout, StringComparison.Ordinal);
        Assert.Contains("Group: P-256", client.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, server.WaitForExit(Timeout));
    }

    [Fact]
    public async Task TesseraSServerServesConnectionsAtOnceUntilItsLimit()
    {
        using var server = PeerProcess.StartTessera("s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.EcdsaP256),
            "-key", pem.KeyFile(CertificateKeyType.EcdsaP256), "-www", "-naccept", "4", "-brief");
        int port = server.WaitForAcceptPort(Timeout);
        var clients = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            using var client = PeerProcess.StartOpenSsl("s_client", "-connect", $"127.0.0.1:{port}", "-servername", "localhost", "-CAfile", pem.CaFile,
                "-verify_return_error", "-ign_eof", "-quiet");
            client.Stdin.Write("GET / HTTP/1.0\r\n\r\n");
            client.Stdin.Flush();
            int code = client.WaitForExit(Timeout);
            return (code, client.Stdout);
        })).ToArray();
        var results = await Task.WhenAll(clients).WaitAsync(Timeout);
        Assert.All(results, r => Assert.Equal(0, r.code));
        Assert.All(results, r => Assert.Contains("Tessera s_server -www", r.Stdout, StringComparison.Ordinal));
        Assert.Equal(0, server.WaitForExit(Timeout));
        Assert.Equal(4, server.Stderr.Split('\n').Count(l => l.Contains("TLSv1.3 TLS_AES_128_GCM_SHA256", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task TesseraSServerWwwEndsQuietlyWhenAClientClosesBeforeAsking()
    {
        using var server = PeerProcess.StartTessera("s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.EcdsaP256),
            "-key", pem.KeyFile(CertificateKeyType.EcdsaP256), "-www", "-quiet", "-naccept", "9");
        int port = server.WaitForAcceptPort(Timeout);

        // s_client -reconnect: six connections that end with close_notify before any request, then one that asks.
        using (var client = PeerProcess.StartTessera("s_client", "-connect", $"127.0.0.1:{port}", "-CAfile", pem.CaFile, "-servername", "localhost", "-reconnect"))
        {
            client.Stdin.Write("GET / HTTP/1.0\r\n\r\n");
            client.Stdin.Flush();
            Assert.True(client.WaitForExit(Timeout) == 0, client.Stdout + client.Stderr);
            Assert.Equal(5, Regex.Matches(client.Stdout, "reconnect: Reused").Count);
            Assert.Contains("Tessera s_server -www", client.Stdout, StringComparison.Ordinal);
        }

        // The library as a client: close_notify, then a bare close of the TCP connection (EOF without close_notify).
        foreach (bool closeNotify in new[] { true, false })
        {
            await using var tls = await TesseraClient.ConnectAsync(port, new TlsClientOptions { ServerName = "localhost", CertificateVerifier = pem.Verifier() });
            if (closeNotify)
            {
                await tls.ShutdownAsync();
            }
        }

        Assert.Equal(0, server.WaitForExit(Timeout, closeStdin: false));
        Assert.True(server.Stderr.Length == 0, server.Stderr);   // no 400, no "Broken pipe", no truncation warning
    }

    /// <summary>
    /// The tessera CLI with SIGINT and SIGTERM at their default dispositions, as from an interactive shell (a process
    /// that inherits an ignored SIGINT, as background jobs of a script do, keeps ignoring it, as .NET does).
    /// </summary>
    private static PeerProcess StartTesseraForSignals(params string[] arguments) =>
        PeerProcess.Start("env", ["--default-signal=INT,TERM", "dotnet", Path.Combine(AppContext.BaseDirectory, "Tessera.Cli.dll"), .. arguments], workingDirectory: Path.GetTempPath());

    [Theory]
    [InlineData("INT", 130)]
    [InlineData("TERM", 143)]
    public async Task SServerStopsCleanlyAndQuietlyOnASignal(string signal, int exitCode)
    {
        using var server = StartTesseraForSignals("s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.EcdsaP256),
            "-key", pem.KeyFile(CertificateKeyType.EcdsaP256), "-www", "-quiet");
        int port = server.WaitForAcceptPort(Timeout);
        await using var idle = await TesseraClient.ConnectAsync(port, new TlsClientOptions { ServerName = "localhost", CertificateVerifier = pem.Verifier() });
        server.Signal(signal);
        Assert.Equal(exitCode, server.WaitForExit(Timeout, closeStdin: false));
        Assert.True(server.Stderr.Length == 0, server.Stderr);   // as openssl s_server: no message, and none per open connection
        using var read = new CancellationTokenSource(Timeout);
        try
        {
            Assert.Equal(0, await idle.ReadAsync(new byte[1], read.Token));   // the server closed the idle connection on its way out
        }
        catch (IOException)
        {
            // closed without close_notify: as good
        }
    }

    [Theory]
    [InlineData("INT", 130)]
    [InlineData("TERM", 143)]
    public void OcspServeStopsTheSameWayOnASignal(string signal, int exitCode)
    {
        string directory = Path.Combine(pem.Directory, $"ca-{Guid.NewGuid():N}");
        using (var init = PeerProcess.StartTessera("ca", "init", "-dir", directory))
        {
            Assert.Equal(0, init.WaitForExit(Timeout));
        }

        using var responder = StartTesseraForSignals("ca", "ocsp-serve", "-dir", directory);
        responder.WaitFor(new Regex("OCSP responder on http://"), Timeout);
        responder.Signal(signal);
        Assert.Equal(exitCode, responder.WaitForExit(Timeout, closeStdin: false));
        Assert.True(responder.Stderr.Length == 0, responder.Stderr);   // no "tessera: interrupted"
    }

    [Theory]
    [InlineData("INT", 130)]
    [InlineData("TERM", 143)]
    public void SClientStopsTheSameWayOnASignal(string signal, int exitCode)
    {
        using var server = PeerProcess.StartTessera("s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.EcdsaP256),
            "-key", pem.KeyFile(CertificateKeyType.EcdsaP256), "-quiet");
        int port = server.WaitForAcceptPort(Timeout);
        using var client = StartTesseraForSignals("s_client", "-connect", $"127.0.0.1:{port}", "-CAfile", pem.CaFile, "-servername", "localhost");
        client.WaitFor(new Regex("^---$", RegexOptions.Multiline), Timeout);   // connected, waiting for stdin
        client.Signal(signal);
        Assert.Equal(exitCode, client.WaitForExit(Timeout, closeStdin: false));
        Assert.True(client.Stderr.Length == 0, client.Stderr);
    }

    [Fact]
    public void TraceOnBothCommandsLabelsEachDirectionFromItsOwnSide()
    {
        using var server = PeerProcess.StartTessera("s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.EcdsaP256),
            "-key", pem.KeyFile(CertificateKeyType.EcdsaP256), "-www", "-naccept", "1", "-trace");
        int port = server.WaitForAcceptPort(Timeout);
        using var client = PeerProcess.StartTessera("s_client", "-connect", $"127.0.0.1:{port}", "-CAfile", pem.CaFile, "-servername", "localhost", "-msg");
        client.Stdin.Write("GET / HTTP/1.0\r\n\r\n");
        client.Stdin.Flush();
        Assert.Equal(0, client.WaitForExit(Timeout));
        Assert.Equal(0, server.WaitForExit(Timeout));
        Assert.Contains("[client → server] ClientHello", client.Stderr, StringComparison.Ordinal);
        Assert.Contains("[client → server] ClientHello", server.Stdout, StringComparison.Ordinal);
        Assert.Contains("[server → client] ServerHello", server.Stdout, StringComparison.Ordinal);
        Assert.Contains("[server → client] ServerHello", client.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void TesseraSServerWithoutWwwPrintsWhatTheClientSends()
    {
        using var server = PeerProcess.StartTessera("s_server", "-accept", "127.0.0.1:0", "-naccept", "1", "-quiet");
        int port = server.WaitForAcceptPort(Timeout);
        Assert.Contains("throwaway certificate", server.Stderr, StringComparison.Ordinal);
        using var client = PeerProcess.StartOpenSsl("s_client", "-connect", $"127.0.0.1:{port}");
        client.Stdin.Write("hello from openssl\n");
        client.Stdin.Flush();
        client.WaitForExit(Timeout);
        Assert.Equal(0, server.WaitForExit(Timeout));
        Assert.Contains("hello from openssl", server.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void KeyLogFileFromTheEnvironmentMatchesOpenSsl()
    {
        var tesseraLog = Path.Combine(pem.Directory, $"tessera-{Guid.NewGuid():N}.keys");
        var opensslLog = Path.Combine(pem.Directory, $"openssl-{Guid.NewGuid():N}.keys");
        using var server = PeerProcess.StartOpenSsl("s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.EcdsaP256),
            "-key", pem.KeyFile(CertificateKeyType.EcdsaP256), "-www", "-naccept", "1", "-keylogfile", opensslLog);
        int port = server.WaitForAcceptPort();
        using var client = PeerProcess.Start("dotnet",
            [Path.Combine(AppContext.BaseDirectory, "Tessera.Cli.dll"), "s_client", "-connect", $"127.0.0.1:{port}", "-CAfile", pem.CaFile, "-servername", "localhost", "-quiet"],
            environment: new() { ["SSLKEYLOGFILE"] = tesseraLog });
        client.Stdin.Write("GET / HTTP/1.0\r\n\r\n");
        client.Stdin.Flush();
        Assert.Equal(0, client.WaitForExit(Timeout));
        server.WaitForExit(Timeout);
        var ours = File.ReadAllLines(tesseraLog);
        var theirs = File.ReadAllLines(opensslLog).ToHashSet();
        Assert.Equal(5, ours.Length);
        Assert.All(ours, line => Assert.Contains(line, theirs));
    }

    [Fact]
    public void SessOutSessInAndReconnectResumeAgainstOpenSsl()
    {
        using var server = PeerProcess.StartOpenSsl("s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.EcdsaP256),
            "-key", pem.KeyFile(CertificateKeyType.EcdsaP256), "-tls1_2", "-www", "-naccept", "9");
        int port = server.WaitForAcceptPort();
        var sessionFile = Path.Combine(pem.Directory, $"cli-{Guid.NewGuid():N}.sess");
        string Client(params string[] extra)
        {
            using var client = PeerProcess.StartTessera(["s_client", "-connect", $"127.0.0.1:{port}", "-CAfile", pem.CaFile, "-servername", "localhost", .. extra]);
            client.Stdin.Write("GET / HTTP/1.0\r\n\r\n");
            client.Stdin.Flush();
            Assert.True(client.WaitForExit(Timeout) == 0, client.Stdout + client.Stderr);
            return client.Stdout;
        }

        Assert.Contains("Session: New", Client("-sess_out", sessionFile), StringComparison.Ordinal);
        var resumed = Client("-sess_in", sessionFile);
        Assert.Contains("Session: Reused", resumed, StringComparison.Ordinal);
        Assert.Contains("Reused, TLSv1.2", resumed, StringComparison.Ordinal);   // openssl's own -www page says so too

        var reconnect = Client("-reconnect", "-no_ticket");
        Assert.Equal(5, Regex.Matches(reconnect, "reconnect: Reused").Count);
    }

    [Fact]
    public void UntrustedServerIsOneLineAndExitCodeOne()
    {
        using var server = PeerProcess.StartOpenSsl("s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.EcdsaP256),
            "-key", pem.KeyFile(CertificateKeyType.EcdsaP256), "-www", "-naccept", "1");
        int port = server.WaitForAcceptPort();
        using var client = PeerProcess.StartTessera("s_client", "-connect", $"127.0.0.1:{port}", "-servername", "localhost");
        Assert.Equal(1, client.WaitForExit(Timeout));
        var line = Assert.Single(client.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("unknown_ca sent", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", client.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void HandshakeFailureNamesTheAlertAndTheSideThatSentIt()
    {
        using var server = PeerProcess.StartOpenSsl("s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.EcdsaP256),
            "-key", pem.KeyFile(CertificateKeyType.EcdsaP256), "-www", "-naccept", "1", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256");
        int port = server.WaitForAcceptPort();
        using var client = PeerProcess.StartTessera("s_client", "-connect", $"127.0.0.1:{port}", "-CAfile", pem.CaFile,
            "-ciphersuites", "TLS_AES_128_GCM_SHA256");
        Assert.Equal(1, client.WaitForExit(Timeout));
        Assert.Contains("handshake_failure received from peer", client.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("s_client -connect nohostport", "-connect")]
    [InlineData("verify /nonexistent/leaf.pem", "/nonexistent/leaf.pem")]
    [InlineData("s_server -accept 127.0.0.1:0 -cert CERTFILE -key KEYFILE -status_file /nonexistent/response.der", "-status_file")]
    [InlineData("s_server -accept 127.0.0.1:0 -cert CERTFILE -key KEYFILE -status_file KEYFILE", "not stapling it")]
    [InlineData("verify -purpose bogus KEYFILE", "-purpose")]
    [InlineData("verify -CAfile KEYFILE KEYFILE", "no certificate")]
    [InlineData("verify -verify_ip 999.1.1.1 KEYFILE", "-verify_ip")]
    [InlineData("s_client -connect 127.0.0.1:1 -tls1", "add -legacy")]
    [InlineData("s_client -connect 127.0.0.1:1 -groups X9999", "-groups")]
    [InlineData("s_client -connect 127.0.0.1:1 -ciphersuites TLS_NOPE", "-ciphersuites")]
    [InlineData("s_client -connect 127.0.0.1:1 -tls1_2 -tls1_3", "exclude each other")]
    [InlineData("s_client -connect 127.0.0.1:1 -cipher ECDHE-RSA-RC4-SHA", "-cipher")]
    [InlineData("s_client -connect 127.0.0.1:1 -cipher TLS_AES_128_GCM_SHA256", "is not a TLS 1.2 suite")]
    [InlineData("s_server -accept 127.0.0.1:0 -cert /nonexistent/cert.pem -key /nonexistent/key.pem", "/nonexistent/cert.pem")]
    [InlineData("s_server -accept 127.0.0.1:0 -cert KEYFILE -key KEYFILE", "no certificate found")]
    [InlineData("s_server -accept 127.0.0.1:0 -cert CERTFILE -key OTHERKEY", "does not match")]
    [InlineData("s_server -accept notaport", "-accept")]
    [InlineData("demo --key-type dsa", "unknown key type")]
    [InlineData("s_client -connect 127.0.0.1:1 -sess_in /nonexistent/session", "-sess_in")]
    [InlineData("s_client -connect 127.0.0.1:1 -sess_in KEYFILE", "not a session")]
    [InlineData("s_client -connect 127.0.0.1:1 -tls1_2 -cipher ECDHE-RSA-AES128-SHA", "add -legacy")]
    public void UserMistakesAreOneClearLine(string arguments, string expected)
    {
        var args = arguments.Split(' ').Select(a => a switch
        {
            "KEYFILE" => pem.KeyFile(CertificateKeyType.EcdsaP256),
            "CERTFILE" => pem.CertFile(CertificateKeyType.EcdsaP256),
            "OTHERKEY" => pem.KeyFile(CertificateKeyType.Rsa2048),
            _ => a,
        }).ToArray();
        using var cli = PeerProcess.StartTessera(args);
        int code = cli.WaitForExit(Timeout);
        Assert.NotEqual(0, code);
        var lines = cli.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Contains(expected, lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", cli.Stderr, StringComparison.Ordinal);
    }

    /// <summary>An option named with two dashes where <c>--help</c> shows one (<c>--pcap</c> for <c>-pcap</c>); "--help" and "--version" are the parser's own.</summary>
    private static readonly Regex TwoDashOption = new(@"(?<![\w-])--(?!help\b|version\b)[A-Za-z]");

    [Theory]
    [InlineData("demo --hrr -tls1_2", "tessera: -hrr is a TLS 1.3 feature; drop -tls1_2 to see it")]
    [InlineData("demo --ech --tls1_2", "tessera: -ech is a TLS 1.3 feature; drop -tls1_2 to see it")]
    [InlineData("demo --key-type dsa", "tessera: -key-type: unknown key type 'dsa'")]
    [InlineData("trace", "Option '-pcap' is required.")]
    [InlineData("trace --pcap /nonexistent/capture.pcap", "tessera: -pcap: /nonexistent/capture.pcap: no such file")]
    [InlineData("ech keygen", "Option '-public-name' is required.")]
    [InlineData("ech keygen --public-name 10.0.0.1", "tessera: -public-name: a DNS host name")]
    [InlineData("ech keygen --public-name a.example --config-id 300", "tessera: -config-id and -max-name-length take values from 0 to 255")]
    [InlineData("ca init --dir NEWDIR --key-type dsa", "tessera: -key-type: 'dsa' is not ecdsa-p256")]
    [InlineData("ca init --dir NEWDIR --days 0", "tessera: -days: 0 is not between 1 and 36500")]
    [InlineData("scan --timeout 0 127.0.0.1:1", "tessera: -timeout: give seconds between 0 and 300")]
    [InlineData("scan --starttls gopher 127.0.0.1:1", "tessera: -starttls: 'gopher' is not")]
    [InlineData("scan --fail-under Z 127.0.0.1:1", "tessera: -fail-under: 'Z' is not a grade")]
    [InlineData("load --clients 0", "tessera: -clients must be positive")]
    [InlineData("load --bulk-kib 100000", "tessera: -bulk-kib: at most 65536")]
    [InlineData("load --mix full:0", "tessera: -mix: all weights are 0")]
    [InlineData("bench --stacks foo", "tessera: -stacks: unknown stack 'foo'")]
    [InlineData("bench --seconds 0", "tessera: -seconds must be greater than 0")]
    [InlineData("s_server -accept 127.0.0.1:0 -naccept x", "tessera: -naccept: 'x' is not a whole number")]
    [InlineData("scan --timeout abc 127.0.0.1:1", "tessera: -timeout: 'abc' is not a number")]
    [InlineData("bench -seconds 1e999", "tessera: -seconds: '1e999' is not a number")]
    public void ErrorMessagesSpellOptionsAsTheHelpDoes(string arguments, string expected)
    {
        string newDirectory = Path.Combine(pem.Directory, $"ca-{Guid.NewGuid():N}");
        using var cli = PeerProcess.StartTessera([.. arguments.Split(' ').Select(a => a == "NEWDIR" ? newDirectory : a)]);
        Assert.NotEqual(0, cli.WaitForExit(Timeout));
        var lines = cli.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(lines);
        Assert.StartsWith(expected, line, StringComparison.Ordinal);
        Assert.DoesNotMatch(TwoDashOption, cli.Stderr);
        Assert.DoesNotContain("   at ", cli.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("demo")]
    [InlineData("s_client")]
    [InlineData("s_server")]
    [InlineData("verify")]
    [InlineData("ca init")]
    [InlineData("ca issue")]
    [InlineData("ca revoke")]
    [InlineData("ca crl")]
    [InlineData("ca ocsp-serve")]
    [InlineData("bench")]
    [InlineData("load")]
    [InlineData("scan")]
    [InlineData("trace")]
    [InlineData("ech keygen")]
    public void HelpTextsSpellOptionsWithOneDash(string command)
    {
        using var cli = PeerProcess.StartTessera([.. command.Split(' '), "--help"]);
        Assert.Equal(0, cli.WaitForExit(Timeout));
        Assert.DoesNotMatch(TwoDashOption, cli.Stdout);
    }

    [Theory]
    [InlineData("s_client", "-hrr")]
    [InlineData("s_server", "-hello")]
    public void AnUnknownOptionStartingWithH_IsAUsageError_NotTheHelp(string command, string option)
    {
        // Options are not bundled (as in OpenSSL): "-hrr" is not "-h -r -r".
        using var cli = PeerProcess.StartTessera(command, option);
        Assert.Equal(1, cli.WaitForExit(Timeout));
        Assert.Contains($"'{option}'", cli.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownOptionIsAUsageError()
    {
        using var cli = PeerProcess.StartTessera("s_client", "-bogus");
        Assert.NotEqual(0, cli.WaitForExit(Timeout));
        Assert.Contains("-bogus", cli.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void DemoShowsTheHandshakeAndOneHttpExchange()
    {
        using var demo = PeerProcess.StartTessera("demo");
        Assert.True(demo.WaitForExit(Timeout) == 0, demo.Stdout + demo.Stderr);
        var output = demo.Stdout;
        foreach (var expected in new[]
        {
            "ClientHello", "TLS_AES_128_GCM_SHA256 (0x1301)", "key_share (51): X25519MLKEM768, 1216 bytes", "; x25519, 32 bytes", "Group: X25519MLKEM768", "ServerHello", "EncryptedExtensions",
            "Certificate (", "CertificateVerify", "Finished", "secret derived: \"c hs traffic\"", "Protocol: TLSv1.3", "HTTP/1.0 200 OK",
        })
        {
            Assert.Contains(expected, output, StringComparison.Ordinal);
        }

        // Labels only: no 32-byte secret in hex anywhere after "secret derived".
        Assert.DoesNotMatch(new Regex("secret derived: \"[^\"]+\" [0-9a-f]{64}"), output);
    }

    [Fact]
    public void DemoShowsATls12HandshakeToo()
    {
        using var demo = PeerProcess.StartTessera("demo", "-tls1_2", "--key-type", "rsa2048");
        Assert.True(demo.WaitForExit(Timeout) == 0, demo.Stdout + demo.Stderr);
        var output = demo.Stdout;
        foreach (var expected in new[]
        {
            "ServerKeyExchange", "ServerHelloDone", "ClientKeyExchange", "record: change_cipher_spec", "extended_master_secret",
            "renegotiation_info", "secret derived: \"extended master secret\"", "Protocol: TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "HTTP/1.0 200 OK",
            "record: handshake (protected, 16 bytes inside)", "named_curve: x25519", "signature algorithm: rsa_pss_rsae_sha256",
        })
        {
            Assert.Contains(expected, output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void DemoWithEchShowsTheInnerAndTheOuterClientHello()
    {
        using var demo = PeerProcess.StartTessera("demo", "--ech");
        Assert.True(demo.WaitForExit(Timeout) == 0, demo.Stdout + demo.Stderr);
        var output = demo.Stdout;
        int inner = output.IndexOf("encrypted into the next ClientHello's encrypted_client_hello] ClientHelloInner", StringComparison.Ordinal);
        int outer = output.IndexOf("[client → server] ClientHello (", StringComparison.Ordinal);
        Assert.True(inner >= 0 && outer > inner, output);
        Assert.Contains("host_name \"localhost\"", output[inner..outer], StringComparison.Ordinal);
        Assert.Contains("encrypted_client_hello (65037): inner", output[inner..outer], StringComparison.Ordinal);
        Assert.Contains("host_name \"public.tessera.test\"", output[outer..], StringComparison.Ordinal);
        Assert.Contains("ECH: accepted", output, StringComparison.Ordinal);

        using var tls12 = PeerProcess.StartTessera("demo", "--ech", "-tls1_2");
        Assert.Equal(1, tls12.WaitForExit(Timeout));
        Assert.Equal("tessera: -ech is a TLS 1.3 feature; drop -tls1_2 to see it", tls12.Stderr.Trim());
    }

    [Fact]
    public void DemoWithHelloRetryRequestShowsBothClientHellosAndTheCookie()
    {
        using var demo = PeerProcess.StartTessera("demo", "--hrr", "--key-type", "rsa-pss");
        Assert.True(demo.WaitForExit(Timeout) == 0, demo.Stdout + demo.Stderr);
        var output = demo.Stdout;
        Assert.Equal(2, Regex.Matches(output, @"\] ClientHello \(").Count);
        Assert.Contains("] HelloRetryRequest (", output, StringComparison.Ordinal);
        Assert.Contains("selected_group secp256r1", output, StringComparison.Ordinal);
        Assert.Contains("cookie (44): 32 bytes", output, StringComparison.Ordinal);
        Assert.Contains("Peer signature: rsa_pss_pss_sha256", output, StringComparison.Ordinal);
        Assert.Contains("HelloRetryRequest: yes", output, StringComparison.Ordinal);
    }

    [Fact]
    public void EchKeygenWritesAKeyFileAndPrintsItsConfigList()
    {
        var file = Path.Combine(pem.Directory, $"ech-{Guid.NewGuid():N}.pem");
        using (var keygen = PeerProcess.StartTessera("ech", "keygen", "--public-name", "public.example", "--config-id", "9", "--out", file))
        {
            Assert.Equal(0, keygen.WaitForExit(Timeout));
            using var key = Tessera.Ech.EchServerKey.Load(file);
            Assert.Equal(9, key.Config.ConfigId);
            Assert.Equal(key.ConfigList, Convert.FromBase64String(keygen.Stdout.Trim()));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            }
        }

        using var bad = PeerProcess.StartTessera("ech", "keygen", "--public-name", "two words");
        Assert.Equal(1, bad.WaitForExit(Timeout));
        Assert.Equal("tessera: -public-name: a DNS host name (letters, digits and hyphens in dot-separated labels), not an IP address", bad.Stderr.Trim());
    }

    [Fact]
    public void EchKeygenHelpSaysWhatGoesToStdout()
    {
        // Without -out the key file itself goes to stdout (the private key has nowhere else to go) ...
        using (var keygen = PeerProcess.StartTessera("ech", "keygen", "--public-name", "public.example"))
        {
            Assert.Equal(0, keygen.WaitForExit(Timeout));
            Assert.StartsWith("-----BEGIN PRIVATE KEY-----\n", keygen.Stdout, StringComparison.Ordinal);
            Assert.Contains("-----BEGIN ECHCONFIG-----\n", keygen.Stdout, StringComparison.Ordinal);
        }

        // ... and the help says so, and that the bare base64 ECHConfigList comes with -out.
        using var help = PeerProcess.StartTessera("ech", "keygen", "--help");
        Assert.Equal(0, help.WaitForExit(Timeout));
        var description = help.Stdout.Split('\n').SkipWhile(l => l.Trim() != "Description:").Skip(1).First().Trim();
        Assert.EndsWith(": without -out, print the key file (PEM: PRIVATE KEY and ECHCONFIG); with -out, write it there and print its ECHConfigList in base64", description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-curves", "-groups: unknown name 'nonsense'")]
    [InlineData("--curves", "-groups: unknown name 'nonsense'")]
    [InlineData("--groups", "-groups: unknown name 'nonsense'")]
    public void SecondNamesOfOptions_WorkWithOneDashAndTwo(string spelling, string expected)
    {
        using var client = PeerProcess.StartTessera("s_client", spelling, "nonsense", "-connect", "127.0.0.1:1");
        Assert.Equal(1, client.WaitForExit(Timeout));
        Assert.Equal($"tessera: {expected}", client.Stderr.Trim());
    }
}
