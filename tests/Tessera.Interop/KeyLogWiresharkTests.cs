using System.Text;
using Tessera.KeySchedule;
using Tessera.Pki;
using Tessera.Sessions;

namespace Tessera.Interop;

/// <summary>
/// The key log is what Wireshark needs: a loopback capture of a Tessera session is decrypted by tshark with the
/// NSS key log file the client, or the server, wrote — TLS 1.3 (handshake, application data and 0-RTT early data)
/// and TLS 1.2 (CLIENT_RANDOM).
/// </summary>
[Collection("pem")]
public sealed class KeyLogWiresharkTests(PemFixture pem)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(TlsProtocolVersion.Tls13)]
    [InlineData(TlsProtocolVersion.Tls12)]
    public async Task TsharkDecryptsTheCaptureWithEitherSidesKeyLog(TlsProtocolVersion version)
    {
        var clientLog = Path.Combine(pem.Directory, $"client-keys-{Guid.NewGuid():N}.txt");
        var serverLog = Path.Combine(pem.Directory, $"server-keys-{Guid.NewGuid():N}.txt");
        var serverOptions = new TlsServerOptions { KeyLog = new FileKeyLogWriter(serverLog), MaxProtocolVersion = version };
        serverOptions.Certificates.Add(pem.Certificates[CertificateKeyType.EcdsaP256]);
        await using var host = new TesseraServerHost(serverOptions);
        using var capture = LoopbackCapture.Start(host.Port, Path.Combine(pem.Directory, $"capture-{Guid.NewGuid():N}.pcapng"));

        await using (var client = await TesseraClient.ConnectAsync(host.Port, new TlsClientOptions
        {
            ServerName = "localhost",
            CertificateVerifier = pem.Verifier(),
            KeyLog = new FileKeyLogWriter(clientLog),
            MaxProtocolVersion = version,
        }))
        {
            Assert.Equal(version, client.Connection.NegotiatedProtocol);
            await client.WriteAsync("secret request over the wire\n"u8.ToArray());
            Assert.Contains("got:secret request over the wire", await TesseraClient.ReadAllAsync(client), StringComparison.Ordinal);
        }

        capture.Stop();
        var labels = File.ReadAllLines(clientLog).Select(l => l.Split(' ')[0]).ToHashSet();
        string[] expected = version == TlsProtocolVersion.Tls13
            ? ["CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0", "EXPORTER_SECRET"]
            : ["CLIENT_RANDOM"];
        Assert.Equal(expected.Order(), labels.Order());
        Assert.Equal(File.ReadAllLines(clientLog).Order(), File.ReadAllLines(serverLog).Order());

        // Without keys tshark sees ciphertext only; with either side's key log it shows both directions in clear.
        Assert.DoesNotContain("secret request", capture.FollowTls("/dev/null"), StringComparison.Ordinal);
        foreach (var keyLog in new[] { clientLog, serverLog })
        {
            var followed = capture.FollowTls(keyLog);
            Assert.Contains("secret request over the wire", followed, StringComparison.Ordinal);
            Assert.Contains($"tessera-server {version.ToDisplayName()}", followed, StringComparison.Ordinal);
        }

        if (version == TlsProtocolVersion.Tls13)
        {
            // The encrypted handshake too: tshark names the server's Certificate once it has the handshake secrets.
            var handshake = capture.Tshark("-o", $"tls.keylog_file:{clientLog}", "-Y", "tls.handshake.type == 11", "-T", "fields", "-e", "tls.handshake.certificate_length");
            Assert.False(string.IsNullOrWhiteSpace(handshake), "tshark decrypted no Certificate message");
        }
    }

    [Fact]
    public async Task TsharkDecryptsZeroRttEarlyDataWithTheClientEarlyTrafficSecret()
    {
        var clientLog = Path.Combine(pem.Directory, $"client-keys-{Guid.NewGuid():N}.txt");
        var serverOptions = new TlsServerOptions { MaxEarlyDataSize = 16384 };
        serverOptions.Certificates.Add(pem.Certificates[CertificateKeyType.EcdsaP256]);
        await using var host = new TesseraServerHost(serverOptions);
        TlsClientOptions Options(TlsSession? resume) => new()
        {
            ServerName = "localhost",
            CertificateVerifier = pem.Verifier(),
            KeyLog = new FileKeyLogWriter(clientLog),
            ResumeSession = resume,
            EarlyData = resume is null ? null : "early words sent in 0-RTT\n"u8.ToArray(),
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

        using var capture = LoopbackCapture.Start(host.Port, Path.Combine(pem.Directory, $"capture-{Guid.NewGuid():N}.pcapng"));
        await using (var second = await TesseraClient.ConnectAsync(host.Port, Options(ticket)))
        {
            Assert.Equal(TlsEarlyDataStatus.Accepted, second.Connection.EarlyDataStatus);
            Assert.Contains("got:early words sent in 0-RTT", await TesseraClient.ReadAllAsync(second), StringComparison.Ordinal);
        }

        capture.Stop();
        Assert.Contains(File.ReadAllLines(clientLog), l => l.StartsWith("CLIENT_EARLY_TRAFFIC_SECRET ", StringComparison.Ordinal));
        var followed = capture.FollowTls(clientLog);
        // Once as the client's early data (only the early traffic secret opens it), once in the server's echo.
        Assert.Equal(2, followed.Split("early words sent in 0-RTT").Length - 1);
        Assert.Contains("got:early words sent in 0-RTT", followed, StringComparison.Ordinal);
        var withoutEarlySecret = Path.Combine(pem.Directory, $"client-keys-{Guid.NewGuid():N}.txt");
        File.WriteAllLines(withoutEarlySecret, File.ReadAllLines(clientLog).Where(l => !l.StartsWith("CLIENT_EARLY_TRAFFIC_SECRET ", StringComparison.Ordinal)));
        Assert.Equal(1, capture.FollowTls(withoutEarlySecret).Split("early words sent in 0-RTT").Length - 1);
    }
}
