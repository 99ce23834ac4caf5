using System.Net;
using System.Net.Sockets;
using System.Text;
using Tessera.Cli;
using Tessera.Ech;

namespace Tessera.Interop;

/// <summary>
/// <c>s_client -ech_config dns:SERVER</c>: the ECHConfigList of the origin's DNS HTTPS record (RFC 9460), from a DNS
/// server on 127.0.0.1 that answers as a resolver does; and the record parser against good and broken answers.
/// </summary>
[Collection("pem")]
public sealed class EchDnsTests(PemFixture pem)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    /// <summary>A DNS server on 127.0.0.1 that answers every query with what <c>answer</c> makes of it (null: silence).</summary>
    private sealed class FakeDns : IDisposable
    {
        private readonly UdpClient _udp = new(new IPEndPoint(IPAddress.Loopback, 0));
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public FakeDns(Func<byte[], byte[]?> answer) => _loop = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var query = await _udp.ReceiveAsync(_stop.Token);
                    lock (Questions)
                    {
                        Questions.Add(QuestionName(query.Buffer));
                    }

                    if (answer(query.Buffer) is { } response)
                    {
                        await _udp.SendAsync(response, query.RemoteEndPoint, _stop.Token);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        public List<string> Questions { get; } = [];

        public int Port => ((IPEndPoint)_udp.Client.LocalEndPoint!).Port;

        public void Dispose()
        {
            _stop.Cancel();
            _loop.Wait(TimeSpan.FromSeconds(5));
            _udp.Dispose();
            _stop.Dispose();
        }
    }

    private static string QuestionName(byte[] query)
    {
        var labels = new List<string>();
        for (int offset = 12; query[offset] != 0; offset += 1 + query[offset])
        {
            labels.Add(Encoding.ASCII.GetString(query, offset + 1, query[offset]));
        }

        return string.Join('.', labels);
    }

    /// <summary>A response to <paramref name="query"/>: its question, then one HTTPS record per entry (priority, ech or none).</summary>
    private static byte[] Response(byte[] query, int rcode, params (int Priority, byte[]? Ech)[] records)
    {
        int questionEnd = 12;
        while (query[questionEnd] != 0)
        {
            questionEnd += 1 + query[questionEnd];
        }

        questionEnd += 5;
        var response = new List<byte> { query[0], query[1], 0x81, (byte)(0x80 | rcode), 0, 1, 0, (byte)records.Length, 0, 0, 0, 0 };
        response.AddRange(query[12..questionEnd]);
        foreach (var (priority, ech) in records)
        {
            var data = new List<byte> { (byte)(priority >> 8), (byte)priority, 0 };   // priority, TargetName "."
            data.AddRange([0, 1, 0, 3, 2, (byte)'h', (byte)'2']);                      // alpn=h2 (key 1)
            if (ech is not null)
            {
                data.AddRange([0, 5, (byte)(ech.Length >> 8), (byte)ech.Length, .. ech]);   // ech (key 5)
            }

            response.AddRange([0xC0, 0x0C, 0, 65, 0, 1, 0, 0, 0, 60, (byte)(data.Count >> 8), (byte)data.Count, .. data]);
        }

        return [.. response];
    }

    private (string Cert, string Key) Certificate()
    {
        var certificate = pem.Ca.IssueServerCertificate(["public.example", "localhost"], Tessera.Pki.CertificateKeyType.EcdsaP256);
        var name = Guid.NewGuid().ToString("N");
        var certFile = Path.Combine(pem.Directory, $"dns-{name}.pem");
        var keyFile = Path.Combine(pem.Directory, $"dns-{name}.key");
        File.WriteAllText(certFile, Tessera.Pki.TestCertificateAuthority.ExportCertificatePem(certificate));
        File.WriteAllText(keyFile, Tessera.Pki.TestCertificateAuthority.ExportPrivateKeyPem(certificate));
        return (certFile, keyFile);
    }

    [Fact]
    public void SClientTakesTheConfigurationFromTheHttpsRecordOfTheLowestPriority()
    {
        using var stale = EchServerKey.Generate("public.example", configId: 1);
        using var current = EchServerKey.Generate("public.example", configId: 2);
        var keyFile = Path.Combine(pem.Directory, $"dns-ech-{Guid.NewGuid():N}.pem");
        File.WriteAllText(keyFile, current.ToPem());
        var (cert, key) = Certificate();
        using var server = PeerProcess.StartTessera("s_server", "-accept", "127.0.0.1:0", "-cert", cert, "-key", key, "-ech_key", keyFile, "-www");
        int port = server.WaitForAcceptPort(Bound);
        using var dns = new FakeDns(query => Response(query, 0, (2, stale.ConfigList), (1, current.ConfigList), (3, null)));
        using var client = PeerProcess.StartTessera("s_client", "-connect", $"127.0.0.1:{port}", "-servername", "localhost", "-CAfile", pem.CaFile,
            "-ech_config", $"dns:127.0.0.1:{dns.Port}", "-ign_eof");
        client.Stdin.Write("GET / HTTP/1.0\r\n\r\n");
        client.Stdin.Flush();
        Assert.Equal(0, client.WaitForExit(Bound));
        Assert.Contains("ECH: accepted", client.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("retry", client.Stderr, StringComparison.Ordinal);
        Assert.Equal($"_{port}._https.localhost", Assert.Single(dns.Questions));   // RFC 9460 §9.1: the port prefix off 443
    }

    [Fact]
    public void AMissingNameIsOneLine()
    {
        using var dns = new FakeDns(query => Response(query, 3));
        using var client = PeerProcess.StartTessera("s_client", "-connect", "127.0.0.1:443", "-servername", "origin.example", "-ech_config", $"dns:127.0.0.1:{dns.Port}");
        Assert.Equal(1, client.WaitForExit(Bound));
        Assert.Equal("tessera: -ech_config dns: origin.example does not exist (NXDOMAIN)", client.Stderr.Trim());
    }

    [Fact]
    public void TheParserRefusesBrokenAnswersWithOneLine()
    {
        using var key = EchServerKey.Generate("public.example");
        var query = HttpsRecordLookup.BuildQuery(7, "origin.example");
        Assert.Equal(key.ConfigList, HttpsRecordLookup.ParseResponse(Response(query, 0, (1, key.ConfigList)), "origin.example"));
        Assert.Equal("origin.example", HttpsRecordLookup.QueryName("origin.example.", 443));

        var good = Response(query, 0, (1, key.ConfigList));
        Assert.Contains("malformed answer", Assert.Throws<CliException>(() => HttpsRecordLookup.ParseResponse(good[..^5], "origin.example")).Message, StringComparison.Ordinal);
        Assert.Contains("carries an ech parameter", Assert.Throws<CliException>(() => HttpsRecordLookup.ParseResponse(Response(query, 0, (1, null)), "origin.example")).Message, StringComparison.Ordinal);
        Assert.Contains("carries an ech parameter", Assert.Throws<CliException>(() => HttpsRecordLookup.ParseResponse(Response(query, 0, (0, key.ConfigList)), "origin.example")).Message, StringComparison.Ordinal);   // AliasMode
        Assert.Contains("error code 2", Assert.Throws<CliException>(() => HttpsRecordLookup.ParseResponse(Response(query, 2), "origin.example")).Message, StringComparison.Ordinal);
        var truncated = (byte[])good.Clone();
        truncated[2] |= 0x02;
        Assert.Contains("truncated", Assert.Throws<CliException>(() => HttpsRecordLookup.ParseResponse(truncated, "origin.example")).Message, StringComparison.Ordinal);
        Assert.Contains("malformed answer", Assert.Throws<CliException>(() => HttpsRecordLookup.ParseResponse(query, "origin.example")).Message, StringComparison.Ordinal);   // not a response

        var random = new Random(9460);
        for (int i = 0; i < 2000; i++)
        {
            var noise = (byte[])good.Clone();
            noise[random.Next(2, noise.Length)] = (byte)random.Next(256);
            try
            {
                HttpsRecordLookup.ParseResponse(noise.AsSpan(0, random.Next(noise.Length + 1)), "origin.example");
            }
            catch (CliException)
            {
            }
        }
    }
}
