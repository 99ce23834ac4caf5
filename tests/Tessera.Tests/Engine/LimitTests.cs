using Tessera.Messages;

namespace Tessera.Tests.Engine;

/// <summary>
/// <see cref="TlsLimits"/>: each bound lets normal traffic through, ends a flood with unexpected_message (sent to the
/// peer) once it is passed, and is reset by application data where it counts control traffic "without data".
/// </summary>
public sealed class LimitTests
{
    private static Loopback Connected13(Action<TlsLimits>? clientLimits = null)
    {
        var loop = new Loopback(TestCerts.ClientOptions(o => clientLimits?.Invoke(o.Limits)), TestCerts.ServerOptions(configure: o => o.SessionTicketCount = 0));
        loop.Handshake();
        return loop;
    }

    private static Loopback Connected12(Action<TlsLimits>? clientLimits = null)
    {
        var loop = new Loopback(
            TestCerts.ClientOptions(o => { o.MaxProtocolVersion = TlsProtocolVersion.Tls12; clientLimits?.Invoke(o.Limits); }),
            TestCerts.ServerOptions(configure: o => o.MaxProtocolVersion = TlsProtocolVersion.Tls12));
        loop.Handshake();
        return loop;
    }

    /// <summary>The server sends <paramref name="count"/> times what <paramref name="send"/> queues, with data between when asked.</summary>
    private static TlsException? Flood(Loopback loop, int count, Action<TlsConnection> send, bool dataBetween = false)
    {
        for (int i = 0; i < count; i++)
        {
            send(loop.Server);
            if (dataBetween)
            {
                loop.Server.WriteApplicationData("x"u8);
            }

            try
            {
                loop.Pump();
            }
            catch (TlsException ex)
            {
                return ex;
            }

            while (loop.Client.AvailableApplicationData > 0)
            {
                loop.Client.ReadApplicationData(new byte[64]);
            }
        }

        return null;
    }

    private static void AssertEndedWithUnexpectedMessage(Loopback loop, TlsException? error, string reason)
    {
        Assert.NotNull(error);
        Assert.Equal(AlertDescription.UnexpectedMessage, error.Alert);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Equal(TlsConnectionState.Failed, loop.Client.State);
        Assert.Equal(TlsConnectionState.Failed, loop.Server.State);   // the alert reached the flooding side
    }

    [Fact]
    public void EmptyRecordsInARowEndTheConnectionPastTheLimitButDataResetsTheCount()
    {
        using (var loop = Connected13())
        {
            Assert.Null(Flood(loop, 100, s => s.WriteRawRecord(ContentType.ApplicationData, []), dataBetween: true));
        }

        using (var loop = Connected13())
        {
            Assert.Null(Flood(loop, 32, s => s.WriteRawRecord(ContentType.ApplicationData, [])));
        }

        using (var loop = Connected13())
        {
            AssertEndedWithUnexpectedMessage(loop, Flood(loop, 33, s => s.WriteRawRecord(ContentType.ApplicationData, [])), "more than 32 empty records in a row");
        }

        using (var loop = Connected13(l => l.MaxEmptyRecordsInARow = 2))
        {
            AssertEndedWithUnexpectedMessage(loop, Flood(loop, 3, s => s.WriteRawRecord(ContentType.ApplicationData, [])), "more than 2 empty records");
        }
    }

    [Fact]
    public void KeyUpdatesWithoutDataEndTheConnectionPastTheLimit()
    {
        using (var loop = Connected13())
        {
            Assert.Null(Flood(loop, 100, s => s.RequestKeyUpdate(requestPeerUpdate: false), dataBetween: true));
            Assert.Equal(100, loop.Client.KeyUpdateCount.Received);
        }

        using (var loop = Connected13())
        {
            AssertEndedWithUnexpectedMessage(loop, Flood(loop, 33, s => s.RequestKeyUpdate(requestPeerUpdate: true)), "more than 32 KeyUpdates");
        }
    }

    [Fact]
    public void PostHandshakeMessagesWithoutDataEndTheConnectionPastTheLimit()
    {
        using var loop = Connected13(l => { l.MaxPostHandshakeMessagesWithoutData = 3; l.MaxKeyUpdatesWithoutData = 100; });
        AssertEndedWithUnexpectedMessage(loop, Flood(loop, 4, s => s.RequestKeyUpdate(requestPeerUpdate: false)), "more than 3 post-handshake messages");
    }

    [Fact]
    public void Tls12WarningAlertsWithoutDataEndTheConnectionPastTheLimit()
    {
        byte[] warning = [1, (byte)AlertDescription.UnrecognizedName];
        using (var loop = Connected12())
        {
            Assert.Null(Flood(loop, 50, s => s.WriteRawRecord(ContentType.Alert, warning), dataBetween: true));
        }

        using (var loop = Connected12())
        {
            AssertEndedWithUnexpectedMessage(loop, Flood(loop, 17, s => s.WriteRawRecord(ContentType.Alert, warning)), "more than 16 warning alerts");
        }
    }

    [Fact]
    public void UserCanceledAlertsCountAsWarningsSoTheyCannotCarryAFlood()
    {
        byte[] userCanceled = [1, (byte)AlertDescription.UserCanceled];
        using (var loop = Connected13())
        {
            AssertEndedWithUnexpectedMessage(loop, Flood(loop, 17, s => s.WriteRawRecord(ContentType.Alert, userCanceled)), "more than 16 warning alerts");
        }

        using (var loop = Connected13())
        {
            // Empty records with an alert between each run of them: only data ends a run, so the alerts run out first.
            var error = Flood(loop, 40, s =>
            {
                for (int i = 0; i < 20; i++)
                {
                    s.WriteRawRecord(ContentType.ApplicationData, []);
                }

                s.WriteRawRecord(ContentType.Alert, userCanceled);
            });
            AssertEndedWithUnexpectedMessage(loop, error, "more than");
        }
    }

    [Fact]
    public void DataDuringATls12RenegotiationDoesNotCountAgainstTheHandshakeLimits()
    {
        using var loop = new Loopback(
            TestCerts.ClientOptions(o =>
            {
                o.MaxProtocolVersion = TlsProtocolVersion.Tls12;
                o.AllowRenegotiation = true;
                (o.Limits.MaxHandshakeRecords, o.Limits.MaxHandshakeMessageSize, o.Limits.MaxHandshakeBytes) = (16, 8192, 8192);
            }),
            TestCerts.ServerOptions(configure: o => { o.MaxProtocolVersion = TlsProtocolVersion.Tls12; o.AllowClientRenegotiation = true; }));
        loop.Handshake();
        loop.Client.Renegotiate();
        for (int i = 0; i < 100; i++)
        {
            loop.Server.WriteApplicationData(new byte[1000]);   // 100 records and 100 KB reach the client while it renegotiates
        }

        loop.Pump();
        Assert.Equal(1, loop.Client.Renegotiations);
        Assert.Equal(100_000, loop.Client.AvailableApplicationData);
    }

    [Fact]
    public void AClientHelloInTooManyRecordsIsRefused()
    {
        // The same ClientHello, one byte per record: within the default limit it is accepted, past a low one refused.
        foreach (var (limit, refused) in new[] { (2048, false), (64, true) })
        {
            using var client = TlsConnection.CreateClient(TestCerts.ClientOptions());
            using var server = TlsConnection.CreateServer(TestCerts.ServerOptions(configure: o => o.Limits.MaxHandshakeRecords = limit));
            client.Start();
            var record = client.PeekOutput().ToArray();
            var message = record.AsSpan(5).ToArray();
            Assert.InRange(message.Length, 65, 2047);
            var exception = Record.Exception(() =>
            {
                foreach (byte b in message)
                {
                    server.ReceiveBytes([(byte)ContentType.Handshake, 3, 1, 0, 1, b]);
                }
            });
            if (refused)
            {
                var tls = Assert.IsType<TlsException>(exception);
                Assert.Equal(AlertDescription.UnexpectedMessage, tls.Alert);
                Assert.Contains("more than 64 records before the handshake completed", tls.Message, StringComparison.Ordinal);
                Assert.True(server.PendingOutputLength > 0);   // the alert
            }
            else
            {
                Assert.Null(exception);
                Assert.True(server.PendingOutputLength > 0);   // ServerHello and the rest
            }
        }
    }

    [Fact]
    public void TooManyHandshakeBytesAreRefusedEvenWhenEachMessageFits()
    {
        // Two large ClientHellos (a HelloRetryRequest between them), each within the message limit, together over the byte limit.
        var protocols = Enumerable.Range(0, 40).Select(i => $"protocol-with-a-long-name-{i:D3}").ToList();
        TlsClientOptions Client() => TestCerts.ClientOptions(o => { o.Groups = [NamedGroup.X25519, NamedGroup.Secp256r1]; o.ApplicationProtocols = protocols; });
        TlsServerOptions Server(int maxBytes) => TestCerts.ServerOptions(configure: o =>
        {
            o.Groups = [NamedGroup.Secp256r1];
            o.ApplicationProtocols = [protocols[^1]];
            o.Limits.MaxHandshakeMessageSize = 2048;
            o.Limits.MaxHandshakeBytes = maxBytes;
        });

        using (var fits = new Loopback(Client(), Server(8192)))
        {
            fits.Handshake();
            Assert.True(fits.Client.WasHelloRetryRequest);
            Assert.InRange(fits.ClientToServer[0].Length, 1100, 2048);   // each ClientHello is large
        }

        using var tooMuch = new Loopback(Client(), Server(2048));
        var error = Assert.Throws<TlsException>(() => tooMuch.Pump());
        Assert.Equal(AlertDescription.UnexpectedMessage, error.Alert);
        Assert.Contains("more than 2048 bytes before the handshake completed", error.Message, StringComparison.Ordinal);
        Assert.True(tooMuch.Client.WasHelloRetryRequest);
    }

    [Fact]
    public void LimitsAreCheckedWhenAConnectionIsCreated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TlsConnection.CreateClient(TestCerts.ClientOptions(o => o.Limits.MaxHandshakeMessageSize = 10)));
        Assert.Throws<ArgumentOutOfRangeException>(() => TlsConnection.CreateServer(TestCerts.ServerOptions(configure: o => o.Limits.MaxEmptyRecordsInARow = -1)));
        var options = TestCerts.ClientOptions();
        options.MaxHandshakeMessageSize = 4096;
        Assert.Equal(4096, options.Limits.MaxHandshakeMessageSize);   // the older option is the same setting
    }
}
