namespace Tessera.Tests.Engine;

/// <summary>
/// Seeded mutations of real flights (bit flips, truncations, insertions, length-field edits) fed to
/// both roles, TLS 1.3 and 1.2: the engine may accept or reject, but it only ever throws
/// <see cref="TlsException"/>, answers at once, and holds no more than it was given.
/// </summary>
public sealed class MutationTests
{
    public static TheoryData<int> Seeds()
    {
        int count = int.TryParse(Environment.GetEnvironmentVariable("TESSERA_MUTATION_SEEDS"), out int n) && n > 0 ? n : 40;
        return [.. Enumerable.Range(1, count)];
    }

    private static byte[] Mutate(byte[] input, Random random)
    {
        var bytes = input.ToList();
        int edits = random.Next(1, 6);
        for (int e = 0; e < edits && bytes.Count > 0; e++)
        {
            int at = random.Next(bytes.Count);
            switch (random.Next(5))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 2:
                    bytes.Insert(at, (byte)random.Next(256));
                    break;
                case 3:
                    bytes[at] = (byte)(random.Next(2) == 0 ? 0x00 : 0xFF);
                    break;
                default:
                    bytes.RemoveAt(at);
                    break;
            }
        }

        return [.. bytes];
    }

    private static void FeedAndExpectOnlyTlsExceptions(TlsConnection victim, byte[] input)
    {
        var task = Task.Run(() =>
        {
            try
            {
                victim.ReceiveBytes(input);
                while (victim.PendingOperation is { } pending && pending.Wait(TimeSpan.FromSeconds(5)))
                {
                    victim.ResumePendingOperation();
                }
            }
            catch (TlsException ex)
            {
                Assert.Equal(TlsConnectionState.Failed, victim.State);
                // Bad peer input has a protocol name; internal_error here would mean a bug was papered over.
                Assert.True(ex.Alert != AlertDescription.InternalError, $"internal_error on peer input: {ex.InnerException ?? ex}");
            }
        });
        Assert.True(task.Wait(TimeSpan.FromSeconds(10)), "engine hung on mutated input");
        task.GetAwaiter().GetResult();   // anything but TlsException fails the test here
        Assert.True(victim.PendingOutputLength < 64 * 1024);
    }

    /// <summary>A ticket (allowing early data) from a server whose keys the resuming conversations share.</summary>
    private static readonly Lazy<(Tessera.Sessions.TicketKeyRing Keys, Tessera.Sessions.TlsSession Ticket)> Resumable = new(() =>
    {
        var keys = new Tessera.Sessions.TicketKeyRing();
        using var loop = new Loopback(TestCerts.ClientOptions(o => o.Groups = [NamedGroup.Secp256r1]), TestCerts.ServerOptions(configure: o => { o.TicketKeys = keys; o.MaxEarlyDataSize = 1024; }));
        loop.Handshake();
        return (keys, loop.Client.Session!);
    });

    private static TlsServerOptions ResumingServer() => TestCerts.ServerOptions(configure: o => { o.TicketKeys = Resumable.Value.Keys; o.MaxEarlyDataSize = 1024; });

    /// <summary>The conversations to mutate: the defaults, each legacy path (CBC, RSA and DHE key exchange, TLS 1.0/1.1), and TLS 1.3 resumption with 0-RTT (also through an HRR).</summary>
    private static readonly (string Name, Func<TlsClientOptions> Client, Func<TlsServerOptions> Server)[] Conversations =
    [
        ("TLS 1.3", () => TestCerts.ClientOptions(), () => TestCerts.ServerOptions()),
        ("TLS 1.2", () => TestCerts.ClientOptions(o => o.MaxProtocolVersion = TlsProtocolVersion.Tls12), () => TestCerts.ServerOptions()),
        Legacy("TLS 1.2 ECDHE-CBC", CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, TlsProtocolVersion.Tls12),
        Legacy("TLS 1.2 RSA", CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256, TlsProtocolVersion.Tls12),
        Legacy("TLS 1.2 DHE", CipherSuite.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, TlsProtocolVersion.Tls12),
        Legacy("TLS 1.0 ECDHE-CBC", CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, TlsProtocolVersion.Tls10),
        Legacy("TLS 1.1 RSA-CBC", CipherSuite.TLS_RSA_WITH_AES_256_CBC_SHA, TlsProtocolVersion.Tls11),
        ("TLS 1.3 resumed with 0-RTT", () => TestCerts.ClientOptions(o => { o.ResumeSession = Resumable.Value.Ticket; o.EarlyData = new byte[100]; }), ResumingServer),
        ("TLS 1.3 resumed after HRR", () => TestCerts.ClientOptions(o => { o.ResumeSession = Resumable.Value.Ticket; o.EarlyData = new byte[10]; o.Groups = [NamedGroup.X25519, NamedGroup.Secp256r1]; }),
            () => { var server = ResumingServer(); server.Groups = [NamedGroup.Secp256r1]; return server; }),
    ];


    private static (string, Func<TlsClientOptions>, Func<TlsServerOptions>) Legacy(string name, CipherSuite suite, TlsProtocolVersion version)
    {
        var key = CipherSuites.Get(suite).Authentication == SuiteAuthentication.Ecdsa ? Tessera.Pki.CertificateKeyType.EcdsaP256 : Tessera.Pki.CertificateKeyType.Rsa2048;
        return (name,
            () => TestCerts.ClientOptions(o => { o.CipherSuites = [suite]; o.Legacy = LegacyPolicy.All; o.MinProtocolVersion = TlsProtocolVersion.Tls10; o.MaxProtocolVersion = version; }),
            () => TestCerts.ServerOptions(key, o => { o.Legacy = LegacyPolicy.All; o.MinProtocolVersion = TlsProtocolVersion.Tls10; }));
    }

    [Fact]
    public void TheResumingConversationsReallyResume()
    {
        foreach (var (name, clientOptions, serverOptions) in Conversations.Where(c => c.Name.Contains("resumed", StringComparison.Ordinal)))
        {
            using var honest = new Loopback(clientOptions(), serverOptions());
            honest.Handshake();
            Assert.True(honest.Server.IsResumed, name);
            Assert.NotEqual(TlsEarlyDataStatus.NotOffered, honest.Client.EarlyDataStatus);
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void MutatedFlightsOnlyEverRaiseTlsExceptions(int seed)
    {
        var random = new Random(seed);
        foreach (var (_, clientOptions, serverOptions) in Conversations)
        {
            // Record an honest conversation.
            using var honest = new Loopback(clientOptions(), serverOptions());
            honest.Handshake();
            var clientHello = honest.ClientToServer[0];
            var serverFlight = honest.ServerToClient[0];

            // The server meets a mutated ClientHello.
            using (var server = TlsConnection.CreateServer(serverOptions()))
            {
                FeedAndExpectOnlyTlsExceptions(server, Mutate(clientHello, random));
            }

            // A fresh client, having sent its own ClientHello, meets a mutated server flight.
            using (var client = TlsConnection.CreateClient(clientOptions()))
            {
                client.Start();
                _ = Wire.TakeOutput(client);
                FeedAndExpectOnlyTlsExceptions(client, Mutate(serverFlight, random));
            }

            // Mid-conversation: the server of a live connection meets a mutated client flight.
            using (var live = new Loopback(clientOptions(), serverOptions()))
            {
                live.Client.Start();
                live.Server.ReceiveBytes(Wire.TakeOutput(live.Client));
                live.Client.ReceiveBytes(Wire.TakeOutput(live.Server));
                FeedAndExpectOnlyTlsExceptions(live.Server, Mutate(Wire.TakeOutput(live.Client), random));
            }

            // After the handshake: mutated protected records (application data, alerts) reach the client.
            using (var done = new Loopback(clientOptions(), serverOptions()))
            {
                done.Handshake();
                done.Server.WriteApplicationData(new byte[random.Next(1, 3000)]);
                FeedAndExpectOnlyTlsExceptions(done.Client, Mutate(Wire.TakeOutput(done.Server), random));
            }
        }
    }
}
