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

    [Theory]
    [MemberData(nameof(Seeds))]
    public void MutatedFlightsOnlyEverRaiseTlsExceptions(int seed)
    {
        var random = new Random(seed);
        foreach (var max in new[] { TlsProtocolVersion.Tls13, TlsProtocolVersion.Tls12 })
        {
            // Record an honest conversation.
            using var honest = new Loopback(TestCerts.ClientOptions(o => o.MaxProtocolVersion = max), TestCerts.ServerOptions());
            honest.Handshake();
            var clientHello = honest.ClientToServer[0];
            var serverFlight = honest.ServerToClient[0];

            // The server meets a mutated ClientHello.
            using (var server = TlsConnection.CreateServer(TestCerts.ServerOptions()))
            {
                FeedAndExpectOnlyTlsExceptions(server, Mutate(clientHello, random));
            }

            // A fresh client, having sent its own ClientHello, meets a mutated server flight.
            using (var client = TlsConnection.CreateClient(TestCerts.ClientOptions(o => o.MaxProtocolVersion = max)))
            {
                client.Start();
                _ = Wire.TakeOutput(client);
                FeedAndExpectOnlyTlsExceptions(client, Mutate(serverFlight, random));
            }

            // Mid-conversation: the server of a live connection meets a mutated client flight.
            using var live = new Loopback(TestCerts.ClientOptions(o => o.MaxProtocolVersion = max), TestCerts.ServerOptions());
            live.Client.Start();
            live.Server.ReceiveBytes(Wire.TakeOutput(live.Client));
            live.Client.ReceiveBytes(Wire.TakeOutput(live.Server));
            FeedAndExpectOnlyTlsExceptions(live.Server, Mutate(Wire.TakeOutput(live.Client), random));
        }
    }
}
