using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Tessera.Pki;
using Tessera.Pki.X509;

namespace Tessera.Interop.Scan;

/// <summary>
/// <c>tessera scan</c> against servers the test starts on 127.0.0.1 with known configurations (openssl s_server in
/// modern and legacy set-ups, bad certificates, stapling, tessera s_server, gnutls-serv, STARTTLS), and against things
/// that are not TLS servers: each ends with the known properties, or with one clear line and exit code 1.
/// </summary>
[Collection("pem")]
public sealed class ScanCommandTests(PemFixture pem) : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("tessera-scan-");

    public void Dispose() => _directory.Delete(recursive: true);

    private string P(string name) => Path.Combine(_directory.FullName, name);

    private static (int Exit, JsonElement Report, string Stderr) Scan(int port, params string[] extra)
    {
        using var scan = PeerProcess.StartTessera(["scan", $"localhost:{port}", "--json", "--timeout", "5", .. extra]);
        int exit = scan.WaitForExit(Bound);
        Assert.True(exit is 0 or 2, $"scan exited {exit}: {scan.Stderr}");
        return (exit, JsonDocument.Parse(scan.Stdout).RootElement.Clone(), scan.Stderr);
    }

    private static string[] Protocols(JsonElement r) =>
        [.. r.GetProperty("protocols").EnumerateArray().Where(p => p.GetProperty("supported").GetBoolean()).Select(p => p.GetProperty("name").GetString()!)];

    private static string[] FindingIds(JsonElement r) => [.. r.GetProperty("findings").EnumerateArray().Select(f => f.GetProperty("id").GetString()!)];

    private static bool? Feature(JsonElement r, string name) =>
        r.GetProperty("features").TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

    private static bool? Vulnerability(JsonElement r, string name) =>
        r.GetProperty("vulnerabilities").TryGetProperty(name, out var v) ? v.ValueKind == JsonValueKind.Null ? null : v.GetBoolean() : throw new KeyNotFoundException(name);

    [Fact]
    public void ModernOpenSslServerIsReportedAsItIsConfigured()
    {
        using var server = PeerProcess.StartOpenSsl("s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.EcdsaP256),
            "-key", pem.KeyFile(CertificateKeyType.EcdsaP256), "-www", "-no_renegotiation", "-serverpref", "-groups", "X25519:P-256:P-384", "-alpn", "h2,http/1.1");
        var (exit, r, _) = Scan(server.WaitForAcceptPort(), "-CAfile", pem.CaFile);
        Assert.Equal(0, exit);
        Assert.Equal(["TLS 1.2", "TLS 1.3"], Protocols(r));
        Assert.Equal("A", r.GetProperty("grade").GetString());
        var tls13 = r.GetProperty("groups").GetProperty("tls13");
        Assert.Equal(["x25519", "secp256r1", "secp384r1"], tls13.EnumerateArray().Select(g => g.GetString()));
        Assert.True(r.GetProperty("groups").GetProperty("tls13ServerOrder").GetBoolean());
        var tls12 = r.GetProperty("cipherSuites").EnumerateArray().Single(l => l.GetProperty("protocol").GetString() == "TLS 1.2");
        Assert.True(tls12.GetProperty("serverOrder").GetBoolean());
        Assert.All(tls12.GetProperty("suites").EnumerateArray(), s => Assert.Contains("ECDSA", s.GetProperty("name").GetString(), StringComparison.Ordinal));
        Assert.Contains(tls12.GetProperty("suites").EnumerateArray(), s => s.GetProperty("name").GetString() == "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384");
        // TLS 1.2: supported_groups also limits the ECDSA certificate's curve, so every offer carries P-256; a server
        // with its own order then picks P-256 before any curve it ranks lower, and those stay unseen (docs/scan.md, "What a scan cannot see").
        Assert.Equal(["x25519", "secp256r1"], r.GetProperty("groups").GetProperty("tls12").EnumerateArray().Select(g => g.GetString()));
        var cert = r.GetProperty("certificate");
        Assert.True(cert.GetProperty("trusted").GetBoolean());
        Assert.True(cert.GetProperty("nameMatches").GetBoolean());
        Assert.Equal("ECDSA", cert.GetProperty("chain")[0].GetProperty("keyType").GetString());
        Assert.Equal(256, cert.GetProperty("chain")[0].GetProperty("keyBits").GetInt32());
        Assert.True(Feature(r, "secureRenegotiation"));
        Assert.False(Feature(r, "clientRenegotiation"));
        Assert.False(Feature(r, "insecureRenegotiation"));
        Assert.True(Feature(r, "extendedMasterSecret"));
        Assert.True(Feature(r, "resumptionById"));
        Assert.True(Feature(r, "resumptionByTicket"));
        Assert.True(Feature(r, "tls13Resumption"));
        Assert.True(Feature(r, "fallbackScsv"));
        Assert.False(Feature(r, "compression"));
        Assert.False(Feature(r, "heartbeat"));
        Assert.True(Feature(r, "isHttp"));
        Assert.Equal(["h2", "http/1.1"], r.GetProperty("features").GetProperty("alpn").EnumerateArray().Select(a => a.GetString()));
        Assert.False(r.GetProperty("features").TryGetProperty("zeroRttMaxSize", out _));
        Assert.False(Vulnerability(r, "ccs-injection"));
        Assert.Contains("no-hsts", FindingIds(r));
        Assert.DoesNotContain(r.GetProperty("findings").EnumerateArray(), f => f.TryGetProperty("cap", out _));
    }

    [Fact]
    public void LegacyOpenSslServerShowsEveryWeaknessItWasGiven()
    {
        using (var dh = PeerProcess.StartOpenSsl("dhparam", "-out", P("dh1024.pem"), "1024"))
        {
            Assert.Equal(0, dh.WaitForExit(Bound));
        }

        using var server = PeerProcess.StartOpenSsl("s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.Rsa2048),
            "-key", pem.KeyFile(CertificateKeyType.Rsa2048), "-www", "-tls1", "-cipher", "ALL:@SECLEVEL=0",
            "-legacy_renegotiation", "-client_renegotiation", "-dhparam", P("dh1024.pem"));
        var (exit, r, stderr) = Scan(server.WaitForAcceptPort(), "-CAfile", pem.CaFile, "--fail-under", "C");
        Assert.Equal(2, exit);
        Assert.Contains("grade F is worse than C", stderr, StringComparison.Ordinal);
        Assert.Equal("F", r.GetProperty("grade").GetString());
        Assert.Equal(["TLS 1.0"], Protocols(r));
        Assert.Equal(1024, r.GetProperty("groups").GetProperty("dhBits").GetInt32());
        Assert.Equal("custom", r.GetProperty("groups").GetProperty("dhGroup").GetString());
        Assert.True(Feature(r, "insecureRenegotiation"));
        Assert.True(Feature(r, "clientRenegotiation"));
        Assert.False(Vulnerability(r, "robot"));
        Assert.False(Vulnerability(r, "ccs-injection"));
        var ids = FindingIds(r);
        foreach (var id in new[] { "tls10-tls11", "no-tls12", "weak-dh", "insecure-renegotiation", "client-renegotiation", "beast", "anonymous", "no-aead" })
        {
            Assert.Contains(id, ids);
        }

        var suites = r.GetProperty("cipherSuites")[0].GetProperty("suites").EnumerateArray().Select(s => s.GetProperty("name").GetString()).ToList();
        Assert.Contains("TLS_RSA_WITH_AES_128_CBC_SHA", suites);
        Assert.Contains("TLS_DHE_RSA_WITH_AES_256_CBC_SHA", suites);
        Assert.DoesNotContain(suites, s => s!.Contains("GCM", StringComparison.Ordinal));
    }

    [Fact]
    public void AnAddressIsCheckedAgainstTheCertificatesIpAddresses()
    {
        (JsonElement Report, string[] Findings) ScanByAddress(string cert, string key, string caFile)
        {
            using var server = PeerProcess.StartOpenSsl("s_server", "-accept", "127.0.0.1:0", "-cert", cert, "-key", key, "-www");
            int port = server.WaitForAcceptPort();
            using var scan = PeerProcess.StartTessera("scan", $"127.0.0.1:{port}", "--json", "--timeout", "5", "-CAfile", caFile);
            int exit = scan.WaitForExit(Bound);
            Assert.True(exit == 0, $"scan exited {exit}: {scan.Stderr}");
            var report = JsonDocument.Parse(scan.Stdout).RootElement.Clone();
            return (report, FindingIds(report));
        }

        // The fixture's certificate names localhost and the address 127.0.0.1 (an iPAddress subjectAltName): no SNI
        // goes out for an address, and the address itself is the name to check (RFC 6125 §1.7.2, RFC 5280 §4.2.1.6).
        var (r, findings) = ScanByAddress(pem.CertFile(CertificateKeyType.EcdsaP256), pem.KeyFile(CertificateKeyType.EcdsaP256), pem.CaFile);
        Assert.False(r.TryGetProperty("serverName", out _));
        var cert = r.GetProperty("certificate");
        Assert.True(cert.GetProperty("nameMatches").GetBoolean());
        Assert.DoesNotContain("cert-name-mismatch", findings);
        Assert.Equal("A", r.GetProperty("grade").GetString());
        Assert.Equal("127.0.0.1", cert.GetProperty("nameChecked").GetString());

        // A certificate with the DNS name only does not cover the address: a mismatch, which names the address.
        var now = DateTimeOffset.UtcNow;
        WriteCertificate("dns-only", "localhost", now.AddDays(-1), now.AddDays(90));
        (r, findings) = ScanByAddress(P("dns-only.pem"), P("dns-only.key"), P("dns-only.pem"));
        Assert.False(r.GetProperty("certificate").GetProperty("nameMatches").GetBoolean());
        Assert.Contains("cert-name-mismatch", findings);
        var mismatch = r.GetProperty("findings").EnumerateArray().Single(f => f.GetProperty("id").GetString() == "cert-name-mismatch");
        Assert.Equal("127.0.0.1 is not among DNS:localhost", mismatch.GetProperty("reason").GetString());
        Assert.Equal("F", r.GetProperty("grade").GetString());
    }

    private void WriteCertificate(string name, string dnsName, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={dnsName}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(dnsName);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(notBefore, notAfter);
        File.WriteAllText(P(name + ".pem"), certificate.ExportCertificatePem());
        File.WriteAllText(P(name + ".key"), key.ExportPkcs8PrivateKeyPem());
    }

    [Theory]
    [InlineData("expired", "cert-expired")]
    [InlineData("self-signed", "cert-untrusted")]
    [InlineData("wrong-name", "cert-name-mismatch")]
    public void BadCertificatesAreNamedAndGradedF(string kind, string finding)
    {
        var now = DateTimeOffset.UtcNow;
        WriteCertificate(kind, kind == "wrong-name" ? "other.example" : "localhost",
            kind == "expired" ? now.AddDays(-30) : now.AddDays(-1), kind == "expired" ? now.AddDays(-1) : now.AddDays(90));
        using var server = PeerProcess.StartOpenSsl("s_server", "-accept", "127.0.0.1:0", "-cert", P(kind + ".pem"), "-key", P(kind + ".key"), "-www");
        // Trust the certificate itself, except for the self-signed case, so that each case shows one problem.
        var (_, r, _) = kind == "self-signed" ? Scan(server.WaitForAcceptPort(), "-CAfile", pem.CaFile) : Scan(server.WaitForAcceptPort(), "-CAfile", P(kind + ".pem"));
        Assert.Equal("F", r.GetProperty("grade").GetString());
        Assert.Contains(finding, FindingIds(r));
        var cert = r.GetProperty("certificate");
        Assert.Equal(kind == "expired", cert.GetProperty("expired").GetBoolean());
        Assert.Equal(kind != "wrong-name", cert.GetProperty("nameMatches").GetBoolean());
        Assert.Equal(kind == "self-signed" ? false : kind == "wrong-name", cert.GetProperty("trusted").GetBoolean());
    }

    [Fact]
    public async Task StaplingAndMustStapleAreReported()
    {
        void Run(params string[] args)
        {
            using var process = PeerProcess.Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "Tessera.Cli.dll"), .. args], workingDirectory: _directory.FullName);
            Assert.True(process.WaitForExit(Bound) == 0, process.Stderr);
        }

        Run("ca", "init", "--dir", "ca");
        Run("ca", "issue", "--dir", "ca", "--san", "localhost", "--must-staple", "--out", "server");
        var ca = FileCertificateAuthority.Open(P("ca"));
        var leaf = Certificate.Parse(PemFiles.LoadCertificates(P("server.pem"))[0]);
        await File.WriteAllBytesAsync(P("staple.der"), ca.CreateOcspResponse(OcspCertificateId.For(leaf, Certificate.Parse(ca.CertificateDer)).ToRequest(), TimeSpan.FromDays(1)));
        foreach (bool staple in new[] { true, false })
        {
            using var server = PeerProcess.StartOpenSsl(["s_server", "-accept", "127.0.0.1:0", "-cert", P("server.pem"), "-key", P("server-key.pem"), "-www",
                .. staple ? new[] { "-status_file", P("staple.der") } : []]);
            var (_, r, _) = Scan(server.WaitForAcceptPort(), "-CAfile", P("ca/ca.pem"));
            var cert = r.GetProperty("certificate");
            Assert.True(cert.GetProperty("mustStaple").GetBoolean());
            Assert.Equal(staple, cert.GetProperty("ocspStapled").GetBoolean());
            if (staple)
            {
                Assert.Equal("good", cert.GetProperty("stapleStatus").GetString());
                Assert.Equal("A", r.GetProperty("grade").GetString());
            }
            else
            {
                Assert.Contains("must-staple-missing", FindingIds(r));
                Assert.Equal("F", r.GetProperty("grade").GetString());
            }
        }
    }

    [Fact]
    public void TesseraServerDefaultAndLegacy()
    {
        using (var server = PeerProcess.StartTessera("s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.EcdsaP256), "-key", pem.KeyFile(CertificateKeyType.EcdsaP256), "-www"))
        {
            var (_, r, _) = Scan(server.WaitForAcceptPort(Bound), "-CAfile", pem.CaFile);
            Assert.Equal(["TLS 1.2", "TLS 1.3"], Protocols(r));
            Assert.Equal("A", r.GetProperty("grade").GetString());
            Assert.Equal(["X25519MLKEM768", "x25519", "secp256r1", "secp384r1"], r.GetProperty("groups").GetProperty("tls13").EnumerateArray().Select(g => g.GetString()));
            Assert.True(r.GetProperty("groups").GetProperty("tls13ServerOrder").GetBoolean());
            Assert.All(r.GetProperty("cipherSuites").EnumerateArray().SelectMany(l => l.GetProperty("suites").EnumerateArray()), s => Assert.Equal("strong", s.GetProperty("strength").GetString()));
            Assert.False(Feature(r, "clientRenegotiation"));
            Assert.False(Feature(r, "insecureRenegotiation"));
            Assert.True(Feature(r, "fallbackScsv"));
            Assert.True(Feature(r, "tls13Resumption"));
            Assert.Equal(0, r.GetProperty("features").GetProperty("ech").GetArrayLength());   // no ECH keys: none sent
        }

        // With an ECH key: a configuration no server holds draws the server's own, as retry configurations.
        using var echKey = Tessera.Ech.EchServerKey.Generate("public.example", configId: 42);
        var echFile = Path.Combine(pem.Directory, $"scan-ech-{Guid.NewGuid():N}.pem");
        File.WriteAllText(echFile, echKey.ToPem());
        using (var server = PeerProcess.StartTessera("s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.EcdsaP256), "-key", pem.KeyFile(CertificateKeyType.EcdsaP256), "-www", "-ech_key", echFile))
        {
            var (_, r, _) = Scan(server.WaitForAcceptPort(Bound), "-CAfile", pem.CaFile);
            var ech = Assert.Single(r.GetProperty("features").GetProperty("ech").EnumerateArray()).GetString();
            Assert.StartsWith("config_id 42, public name public.example, DhkemX25519HkdfSha256", ech, StringComparison.Ordinal);
            Assert.Equal("A", r.GetProperty("grade").GetString());
        }

        using (var legacy = PeerProcess.StartTessera("s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.Rsa2048), "-key", pem.KeyFile(CertificateKeyType.Rsa2048), "-www", "-legacy"))
        {
            var (_, r, _) = Scan(legacy.WaitForAcceptPort(Bound), "-CAfile", pem.CaFile);
            Assert.Equal(["TLS 1.0", "TLS 1.1", "TLS 1.2", "TLS 1.3"], Protocols(r));
            Assert.Equal("B", r.GetProperty("grade").GetString());
            Assert.False(Vulnerability(r, "robot"));            // RSA key exchange, decrypted with a fixed-time decoder
            Assert.False(Vulnerability(r, "ccs-injection"));
            Assert.False(Feature(r, "insecureRenegotiation"));
            Assert.True(Feature(r, "fallbackScsv"));
            Assert.Contains("tls10-tls11", FindingIds(r));
        }
    }

    [Fact]
    public void GnuTlsServer()
    {
        var (server, port) = PeerProcess.StartGnuTlsServer("--http", "--priority", "NORMAL:-VERS-TLS1.0:-VERS-TLS1.1", "--x509certfile", pem.CertFile(CertificateKeyType.EcdsaP256), "--x509keyfile", pem.KeyFile(CertificateKeyType.EcdsaP256));
        using (server)
        {
            var (_, r, _) = Scan(port, "-CAfile", pem.CaFile);
            Assert.Contains("TLS 1.3", Protocols(r));
            Assert.Contains("TLS 1.2", Protocols(r));
            Assert.DoesNotContain("SSL 3.0", Protocols(r));
            Assert.True(r.GetProperty("certificate").GetProperty("trusted").GetBoolean());
            Assert.True(Feature(r, "secureRenegotiation"));
            Assert.False(Vulnerability(r, "ccs-injection"));
            Assert.Contains(r.GetProperty("grade").GetString(), new[] { "A+", "A", "A-" });
        }
    }

    private static (int Exit, string Stderr, TimeSpan Took) ScanFails(string target, params string[] extra)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var scan = PeerProcess.StartTessera(["scan", target, "--timeout", "2", .. extra]);
        int exit = scan.WaitForExit(Bound);
        Assert.DoesNotContain("   at ", scan.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, scan.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.StartsWith("tessera:", StringComparison.Ordinal)));
        return (exit, scan.Stderr, clock.Elapsed);
    }

    private static (TcpListener Listener, Task Loop) FakeServer(Func<NetworkStream, Task> serve)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var loop = Task.Run(async () =>
        {
            while (true)
            {
                TcpClient client;
                try
                {
                    client = await listener.AcceptTcpClientAsync();
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    return;
                }

                _ = Task.Run(async () =>
                {
                    using (client)
                    {
                        try
                        {
                            await serve(client.GetStream());
                        }
                        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
                        {
                        }
                    }
                });
            }
        });
        return (listener, loop);
    }

    [Fact]
    public void NothingListeningIsOneLine()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var (exit, stderr, _) = ScanFails($"127.0.0.1:{port}");
        Assert.Equal(1, exit);
        Assert.Contains("connection refused", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PlainHttpServerIsNotTls()
    {
        var (listener, loop) = FakeServer(async stream =>
        {
            _ = await stream.ReadAsync(new byte[4096]);
            await stream.WriteAsync("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray());
        });
        try
        {
            var (exit, stderr, _) = ScanFails($"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}");
            Assert.Equal(1, exit);
            Assert.Contains("not a TLS server", stderr, StringComparison.Ordinal);
            Assert.Contains("HTTP/1.1 400 Bad Request", stderr, StringComparison.Ordinal);
        }
        finally
        {
            listener.Stop();
            await loop.WaitAsync(Bound);
        }
    }

    [Theory]
    [InlineData("drop", "closed the connection")]
    [InlineData("silent", "no TLS answer within 2 s")]
    public async Task ServerThatDropsOrNeverAnswersEndsWithinTheTimeout(string behaviour, string message)
    {
        using var stop = new CancellationTokenSource();
        var (listener, loop) = FakeServer(async stream =>
        {
            await stream.ReadExactlyAsync(new byte[5]);      // the start of the ClientHello
            if (behaviour == "silent")
            {
                await Task.Delay(Timeout.Infinite, stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        });
        try
        {
            var (exit, stderr, took) = ScanFails($"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}");
            Assert.Equal(1, exit);
            Assert.Contains(message, stderr, StringComparison.Ordinal);
            Assert.True(took < TimeSpan.FromSeconds(60), $"took {took}");
        }
        finally
        {
            stop.Cancel();
            listener.Stop();
            await loop.WaitAsync(Bound);
        }
    }

    [Fact]
    public void UsageMistakesAreOneLine()
    {
        Assert.Equal(1, ScanFails("localhost:443", "--fail-under", "G").Exit);
        Assert.Equal(1, ScanFails("localhost:99999").Exit);
        Assert.Equal(1, ScanFails("localhost:443", "--starttls", "gopher").Exit);
    }

    [Fact]
    public async Task SmtpStartTlsThenTheTesseraServer()
    {
        var options = new TlsServerOptions();
        options.Certificates.Add(pem.Certificates[CertificateKeyType.EcdsaP256]);
        var (listener, loop) = FakeServer(async stream =>
        {
            async Task Line(string text) => await stream.WriteAsync(Encoding.ASCII.GetBytes(text + "\r\n"));
            async Task<string> Read()
            {
                var line = new StringBuilder();
                var one = new byte[1];
                while (await stream.ReadAsync(one) == 1 && one[0] != '\n')
                {
                    line.Append((char)one[0]);
                }

                return line.ToString().TrimEnd('\r');
            }

            await Line("220 mail.test ESMTP");
            Assert.StartsWith("EHLO", await Read(), StringComparison.Ordinal);
            await Line("250-mail.test");
            await Line("250 STARTTLS");
            Assert.Equal("STARTTLS", await Read());
            await Line("220 go ahead");
            await using var tls = new TlsStream(stream, leaveInnerStreamOpen: true);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await tls.AuthenticateAsServerAsync(options, timeout.Token);
                await tls.ShutdownAsync(timeout.Token);
            }
            catch (Exception ex) when (ex is TlsException or OperationCanceledException)
            {
            }
        });
        try
        {
            using var scan = PeerProcess.StartTessera("scan", $"localhost:{((IPEndPoint)listener.LocalEndpoint).Port}", "--starttls", "smtp", "--json", "-CAfile", pem.CaFile, "--timeout", "5");
            Assert.Equal(0, scan.WaitForExit(Bound));
            var r = JsonDocument.Parse(scan.Stdout).RootElement;
            Assert.Equal("smtp", r.GetProperty("startTls").GetString());
            Assert.Equal(["TLS 1.2", "TLS 1.3"], Protocols(r));
            Assert.True(r.GetProperty("certificate").GetProperty("trusted").GetBoolean());
            Assert.False(Feature(r, "isHttp"));
        }
        finally
        {
            listener.Stop();
            await loop.WaitAsync(Bound);
        }
    }

    [Fact]
    public void RevocationIsCheckedWhenAskedFor()
    {
        PeerProcess Cli(params string[] args) => PeerProcess.Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "Tessera.Cli.dll"), .. args], workingDirectory: _directory.FullName);
        void Run(params string[] args)
        {
            using var process = Cli(args);
            Assert.True(process.WaitForExit(Bound) == 0, process.Stderr);
        }

        Run("ca", "init", "--dir", "ca");
        using var responder = Cli("ca", "ocsp-serve", "--dir", P("ca"), "--naccept", "20");
        var url = responder.WaitFor(new System.Text.RegularExpressions.Regex(@"http://127\.0\.0\.1:\d+/"), Bound).Value;
        Run("ca", "issue", "--dir", "ca", "--san", "localhost", "--ocsp-url", url, "--out", "good");
        Run("ca", "issue", "--dir", "ca", "--san", "localhost", "--ocsp-url", url, "--out", "revoked");
        Run("ca", "revoke", "--dir", "ca", "--reason", "keyCompromise", P("revoked.pem"));
        foreach (var name in new[] { "good", "revoked" })
        {
            using var server = PeerProcess.StartOpenSsl("s_server", "-accept", "127.0.0.1:0", "-cert", P(name + ".pem"), "-key", P(name + "-key.pem"), "-www");
            int port = server.WaitForAcceptPort();
            var (_, unchecked_, _) = Scan(port, "-CAfile", P("ca/ca.pem"));
            Assert.Equal("not checked", unchecked_.GetProperty("certificate").GetProperty("revocation").GetString());
            var (_, r, _) = Scan(port, "-CAfile", P("ca/ca.pem"), "--revocation");
            var revocation = r.GetProperty("certificate").GetProperty("revocation").GetString()!;
            if (name == "good")
            {
                Assert.Equal("good", revocation);
                Assert.DoesNotContain("cert-revoked", FindingIds(r));
            }
            else
            {
                Assert.StartsWith("revoked", revocation, StringComparison.Ordinal);
                Assert.Contains("cert-revoked", FindingIds(r));
                Assert.Equal("F", r.GetProperty("grade").GetString());
            }
        }
    }

    [Fact]
    public async Task HstsWithALongMaxAgeMakesAnAPlus()
    {
        var options = new TlsServerOptions();
        options.Certificates.Add(pem.Certificates[CertificateKeyType.EcdsaP256]);
        var (listener, loop) = FakeServer(async stream =>
        {
            await using var tls = new TlsStream(stream, leaveInnerStreamOpen: true);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await tls.AuthenticateAsServerAsync(options, timeout.Token);
                var buffer = new byte[4096];
                int n = await tls.ReadAsync(buffer, timeout.Token);
                if (n > 0 && Encoding.ASCII.GetString(buffer, 0, n).StartsWith("GET / HTTP/1.1", StringComparison.Ordinal))
                {
                    await tls.WriteAsync("HTTP/1.1 200 OK\r\nStrict-Transport-Security: max-age=31536000; includeSubDomains\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"u8.ToArray(), timeout.Token);
                }

                await tls.ShutdownAsync(timeout.Token);
            }
            catch (Exception ex) when (ex is TlsException or OperationCanceledException)
            {
            }
        });
        try
        {
            var (_, r, _) = Scan(((IPEndPoint)listener.LocalEndpoint).Port, "-CAfile", pem.CaFile);
            var features = r.GetProperty("features");
            Assert.True(features.GetProperty("isHttp").GetBoolean());
            Assert.Equal("max-age=31536000; includeSubDomains", features.GetProperty("hsts").GetString());
            Assert.Equal(31_536_000, features.GetProperty("hstsMaxAge").GetInt64());
            Assert.Equal("A+", r.GetProperty("grade").GetString());
        }
        finally
        {
            listener.Stop();
            await loop.WaitAsync(Bound);
        }
    }

    [Fact]
    public void ASecondCertificateIsFoundAndJudged()
    {
        using var server = PeerProcess.StartOpenSsl("s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.EcdsaP256), "-key", pem.KeyFile(CertificateKeyType.EcdsaP256),
            "-dcert", pem.CertFile(CertificateKeyType.Rsa2048), "-dkey", pem.KeyFile(CertificateKeyType.Rsa2048), "-www");
        var (_, r, _) = Scan(server.WaitForAcceptPort(), "-CAfile", pem.CaFile);
        Assert.Equal("ECDSA", r.GetProperty("certificate").GetProperty("chain")[0].GetProperty("keyType").GetString());
        var other = Assert.Single(r.GetProperty("otherCertificates").EnumerateArray());
        Assert.Equal("RSA", other.GetProperty("chain")[0].GetProperty("keyType").GetString());
        Assert.Equal(2048, other.GetProperty("chain")[0].GetProperty("keyBits").GetInt32());
        Assert.True(other.GetProperty("trusted").GetBoolean());
    }

    [Fact]
    public void ZeroRttIsReportedWhenTheServerOffersIt()
    {
        using var server = PeerProcess.StartOpenSsl("s_server", "-accept", "127.0.0.1:0", "-cert", pem.CertFile(CertificateKeyType.EcdsaP256),
            "-key", pem.KeyFile(CertificateKeyType.EcdsaP256), "-tls1_3", "-early_data");
        var (_, r, _) = Scan(server.WaitForAcceptPort(), "-CAfile", pem.CaFile, "--no-http");
        Assert.Equal(["TLS 1.3"], Protocols(r));
        Assert.True(Feature(r, "tls13Resumption"));
        Assert.True(r.GetProperty("features").GetProperty("zeroRttMaxSize").GetInt32() > 0);
    }
}
