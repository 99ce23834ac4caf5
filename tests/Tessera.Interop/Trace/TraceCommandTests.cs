using System.Text.RegularExpressions;
using Tessera.KeySchedule;
using Tessera.Pki;
using Tessera.Sessions;

namespace Tessera.Interop.Trace;

/// <summary>
/// <c>tessera trace --pcap --keylog</c> on real loopback captures (dumpcap, pcapng and classic pcap): every handshake
/// message and the application data in clear with the key log, ciphertext only without it, and the same handshake
/// messages as the live <c>-trace</c> of the client that made the capture.
/// </summary>
[Collection("pem")]
public sealed partial class TraceCommandTests(PemFixture pem)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private static string Trace(params string[] arguments)
    {
        using var trace = PeerProcess.StartTessera(["trace", .. arguments]);
        int exit = trace.WaitForExit(Bound);
        Assert.True(exit == 0, $"trace exited {exit}: {trace.Stderr}");
        return trace.Stdout;
    }

    private string Temp(string name) => Path.Combine(pem.Directory, $"{name}-{Guid.NewGuid():N}");

    [Theory]
    [InlineData(TlsProtocolVersion.Tls13, false)]
    [InlineData(TlsProtocolVersion.Tls12, false)]
    [InlineData(TlsProtocolVersion.Tls13, true)]
    public async Task DecryptsACaptureWithTheKeyLog(TlsProtocolVersion version, bool classicPcap)
    {
        var keys = Temp("keys");
        var serverOptions = new TlsServerOptions { MaxProtocolVersion = version };
        serverOptions.Certificates.Add(pem.Certificates[CertificateKeyType.EcdsaP256]);
        await using var host = new TesseraServerHost(serverOptions);
        var file = Temp("capture") + (classicPcap ? ".pcap" : ".pcapng");
        using (var capture = LoopbackCapture.Start(host.Port, file, classicPcap))
        {
            await using (var client = await TesseraClient.ConnectAsync(host.Port, new TlsClientOptions
            {
                ServerName = "localhost", CertificateVerifier = pem.Verifier(), KeyLog = new FileKeyLogWriter(keys), MaxProtocolVersion = version,
            }))
            {
                await client.WriteAsync("secret request over the wire\n"u8.ToArray());
                await TesseraClient.ReadAllAsync(client);
            }

            capture.Stop();
        }

        var clear = Trace("--pcap", file, "--keylog", keys);
        foreach (var message in version == TlsProtocolVersion.Tls13
            ? new[] { "ClientHello", "ServerHello", "EncryptedExtensions", "Certificate", "CertificateVerify", "Finished", "NewSessionTicket" }
            : ["ClientHello", "ServerHello", "Certificate", "ServerKeyExchange", "ServerHelloDone", "ClientKeyExchange", "NewSessionTicket", "Finished"])
        {
            Assert.Matches($@"\] {message} \(\d+ bytes\)", clear);
        }

        Assert.Contains("application data (29 bytes): \"secret request over the wire\\n\"", clear, StringComparison.Ordinal);
        Assert.Contains($"got:secret request over the wire", clear, StringComparison.Ordinal);
        Assert.Contains("alert: close_notify", clear, StringComparison.Ordinal);
        Assert.Matches($@"connection \d+: {Regex.Escape(version.ToDisplayName())}, TLS_\w+, \d+ protected records decrypted, 0 not", clear);

        var dark = Trace("--pcap", file);
        Assert.DoesNotContain("secret request", dark, StringComparison.Ordinal);
        Assert.Contains("no key log given", dark, StringComparison.Ordinal);
        Assert.Contains("ClientHello", dark, StringComparison.Ordinal);
        if (version == TlsProtocolVersion.Tls13)
        {
            Assert.DoesNotContain("EncryptedExtensions", dark, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AHelloRetryRequestWithMiddleboxChangeCipherSpecsStillDecrypts()
    {
        var keys = Temp("keys");
        var serverOptions = new TlsServerOptions { Groups = [NamedGroup.Secp384r1] };
        serverOptions.Certificates.Add(pem.Certificates[CertificateKeyType.EcdsaP256]);
        await using var host = new TesseraServerHost(serverOptions);
        var file = Temp("capture") + ".pcapng";
        using (var capture = LoopbackCapture.Start(host.Port, file))
        {
            await using (var client = await TesseraClient.ConnectAsync(host.Port, new TlsClientOptions { ServerName = "localhost", CertificateVerifier = pem.Verifier(), KeyLog = new FileKeyLogWriter(keys) }))
            {
                Assert.True(client.Connection.WasHelloRetryRequest);
                await client.WriteAsync("after a retry\n"u8.ToArray());
                await TesseraClient.ReadAllAsync(client);
            }

            capture.Stop();
        }

        var clear = Trace("--pcap", file, "--keylog", keys);
        Assert.Contains("] HelloRetryRequest (", clear, StringComparison.Ordinal);
        Assert.Equal(2, Regex.Matches(clear, @"\[client → server\] ClientHello \(").Count);
        Assert.Contains("application data (14 bytes): \"after a retry\\n\"", clear, StringComparison.Ordinal);
        Assert.Matches(@"protected records decrypted, 0 not", clear);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task EncryptedClientHelloOpensWithTheKeyLogsEchSecret(bool helloRetryRequest)
    {
        // RFC 9850: ECH_SECRET and ECH_CONFIG under the outer random open the inner hello(s); the traffic secrets are
        // under the inner random, as the client logs them.
        var keys = Temp("keys");
        using var echKey = Tessera.Ech.EchServerKey.Generate("public.example");
        var serverOptions = new TlsServerOptions { Groups = helloRetryRequest ? [NamedGroup.Secp384r1] : NamedGroups.Defaults };
        serverOptions.Certificates.Add(pem.Certificates[CertificateKeyType.EcdsaP256]);
        serverOptions.EchKeys.Add(echKey);
        await using var host = new TesseraServerHost(serverOptions);
        var file = Temp("capture") + ".pcapng";
        using (var capture = LoopbackCapture.Start(host.Port, file))
        {
            await using (var client = await TesseraClient.ConnectAsync(host.Port, new TlsClientOptions
            {
                ServerName = "localhost", CertificateVerifier = pem.Verifier(), KeyLog = new FileKeyLogWriter(keys), EchConfigList = echKey.ConfigList,
            }))
            {
                Assert.Equal(TlsEchStatus.Accepted, client.Connection.EchStatus);
                Assert.Equal(helloRetryRequest, client.Connection.WasHelloRetryRequest);
                await client.WriteAsync("behind ech\n"u8.ToArray());
                await TesseraClient.ReadAllAsync(client);
            }

            capture.Stop();
        }

        Assert.Contains(File.ReadAllLines(keys), line => line.StartsWith("ECH_SECRET ", StringComparison.Ordinal));
        var clear = Trace("--pcap", file, "--keylog", keys);
        var inner = Regex.Matches(clear, @"\[decrypted from the ClientHello above with the key log's ECH_SECRET\] ClientHelloInner");
        Assert.Equal(helloRetryRequest ? 2 : 1, inner.Count);
        Assert.Contains("host_name \"localhost\"", clear[inner[0].Index..], StringComparison.Ordinal);
        Assert.Contains("host_name \"public.example\"", clear[..inner[0].Index], StringComparison.Ordinal);
        Assert.Contains("application data (11 bytes): \"behind ech\\n\"", clear, StringComparison.Ordinal);
        Assert.Matches(@"protected records decrypted, 0 not", clear);

        // Without the ECH lines the inner hello stays sealed (and, as the traffic secrets name the inner random, which the
        // trace then never learns, nothing else opens either).
        var withoutEch = Temp("keys");
        File.WriteAllLines(withoutEch, File.ReadAllLines(keys).Where(l => !l.StartsWith("ECH_", StringComparison.Ordinal)));
        Assert.DoesNotContain("ClientHelloInner", Trace("--pcap", file, "--keylog", withoutEch), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ZeroRttEarlyDataOpensWithTheEarlyTrafficSecret()
    {
        var keys = Temp("keys");
        var serverOptions = new TlsServerOptions { MaxEarlyDataSize = 16384 };
        serverOptions.Certificates.Add(pem.Certificates[CertificateKeyType.EcdsaP256]);
        await using var host = new TesseraServerHost(serverOptions);
        TlsClientOptions Options(TlsSession? resume) => new()
        {
            ServerName = "localhost", CertificateVerifier = pem.Verifier(), KeyLog = new FileKeyLogWriter(keys), ResumeSession = resume,
            EarlyData = resume is null ? null : "early words in 0-RTT\n"u8.ToArray(),
        };
        TlsSession ticket;
        await using (var first = await TesseraClient.ConnectAsync(host.Port, Options(null)))
        {
            using var wait = new CancellationTokenSource(Bound);
            await first.ReceiveUntilAsync(c => c.Session is not null, wait.Token);
            ticket = first.Connection.Session!;
            await first.WriteAsync("first\n"u8.ToArray());
            await TesseraClient.ReadAllAsync(first);
        }

        var file = Temp("capture") + ".pcapng";
        using (var capture = LoopbackCapture.Start(host.Port, file))
        {
            await using (var second = await TesseraClient.ConnectAsync(host.Port, Options(ticket)))
            {
                Assert.Equal(TlsEarlyDataStatus.Accepted, second.Connection.EarlyDataStatus);
                await TesseraClient.ReadAllAsync(second);
            }

            capture.Stop();
        }

        var clear = Trace("--pcap", file, "--keylog", keys);
        Assert.Contains("[client → server] application data (21 bytes): \"early words in 0-RTT\\n\"", clear, StringComparison.Ordinal);
        Assert.Contains("early traffic", clear, StringComparison.Ordinal);
        Assert.Contains("EndOfEarlyData", clear, StringComparison.Ordinal);
        Assert.Contains("got:early words in 0-RTT", clear, StringComparison.Ordinal);
        Assert.Matches(@"protected records decrypted, 0 not", clear);
    }

    [GeneratedRegex(@"^\[(client|server) → (client|server)\] [A-Za-z]+ \(\d+ bytes\)$", RegexOptions.Multiline)]
    private static partial Regex HandshakeLine();

    [Fact]
    public void ShowsTheSameHandshakeMessagesAsTheLiveTrace()
    {
        var keys = Temp("keys");
        using var server = PeerProcess.StartTessera("s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.Rsa2048), "-key", pem.KeyFile(CertificateKeyType.Rsa2048), "-www");   // it also sees the capture's probe connections
        int port = server.WaitForAcceptPort(Bound);
        var file = Temp("capture") + ".pcapng";
        string live;
        using (var capture = LoopbackCapture.Start(port, file))
        {
            using var client = PeerProcess.StartTessera("s_client", "-connect", $"127.0.0.1:{port}", "-servername", "localhost", "-CAfile", pem.CaFile, "-trace", "-keylogfile", keys, "-ign_eof");
            client.Stdin.Write("GET / HTTP/1.0\r\n\r\n");
            client.Stdin.Flush();
            Assert.Equal(0, client.WaitForExit(Bound));
            live = client.Stdout + client.Stderr;
            capture.Stop();
        }

        var decoded = Trace("--pcap", file, "--keylog", keys);
        var liveMessages = HandshakeLine().Matches(live).Select(m => m.Value).Order().ToList();
        var decodedMessages = HandshakeLine().Matches(decoded).Select(m => m.Value).Order().ToList();
        Assert.Contains("[server → client] CertificateVerify (260 bytes)", liveMessages);
        Assert.Equal(liveMessages, decodedMessages);
    }

    [Fact]
    public void NotACaptureIsOneLine()
    {
        var file = Temp("not-a-capture");
        File.WriteAllText(file, "hello");
        using var trace = PeerProcess.StartTessera("trace", "--pcap", file);
        Assert.Equal(1, trace.WaitForExit(Bound));
        Assert.Equal("tessera: not a pcap or pcapng file (unknown magic number)", trace.Stderr.Trim());
    }
}
