using Tessera.Messages;
using Tessera.Records;

namespace Tessera.Tests.Engine;

/// <summary>
/// Every bad input ends with the right alert on the wire and a <see cref="TlsException"/> naming it,
/// on the side that detects it (Local) and on the side that receives the alert (Remote).
/// </summary>
public sealed class NegativeTests
{
    private static (Loopback Loop, byte[] ClientHello) StartClient(Action<TlsClientOptions>? configure = null, Action<TlsServerOptions>? server = null)
    {
        var loop = new Loopback(TestCerts.ClientOptions(configure), TestCerts.ServerOptions(configure: server));
        loop.Client.Start();
        return (loop, Wire.TakeOutput(loop.Client));
    }

    /// <summary>Feeds bytes to <paramref name="victim"/>, expects it to fail with <paramref name="alert"/>, then delivers its alert to <paramref name="peer"/>.</summary>
    private static void ExpectAlert(TlsConnection victim, TlsConnection peer, byte[] input, AlertDescription alert)
    {
        var task = Task.Run(() => Assert.Throws<TlsException>(() => victim.ReceiveBytes(input)));
        Assert.True(task.Wait(TimeSpan.FromSeconds(10)), "engine did not answer in time");
        var local = task.Result;
        Assert.Equal(alert, local.Alert);
        Assert.Equal(AlertSource.Local, local.AlertSource);
        Assert.Equal(TlsConnectionState.Failed, victim.State);
        Assert.Throws<TlsException>(() => victim.ReceiveBytes([0]));   // stays failed

        // Everything the victim sent, in order, ends with its alert (protected once it has keys).
        var wire = Wire.TakeOutput(victim);
        var alertRecord = Wire.Split(wire).Last();
        if (alertRecord.Type == ContentType.Alert)
        {
            Assert.Equal(new byte[] { 2, (byte)alert }, alertRecord.Payload);
        }

        var remote = Assert.Throws<TlsException>(() => peer.ReceiveBytes(wire));
        Assert.Equal(alert, remote.Alert);
        Assert.Equal(AlertSource.Remote, remote.AlertSource);
        Assert.Equal(TlsConnectionState.Failed, peer.State);
    }

    private static byte[] RewriteClientHello(byte[] record, Func<ClientHello, ClientHello> change)
    {
        var hello = ClientHello.Parse(record.AsSpan(5 + 4));
        return Wire.PlaintextRecord(ContentType.Handshake, change(hello).ToMessageBytes(), 0x0301);
    }

    private static List<Wire.Record> ServerFlight(Loopback loop, byte[] clientHello)
    {
        loop.Server.ReceiveBytes(clientHello);
        return Wire.Split(Wire.TakeOutput(loop.Server));
    }

    /// <summary>
    /// Decrypts each protected record of a flight with the sender's traffic secret (from a key log),
    /// lets <paramref name="mutate"/> change the content, and seals it again with the same keys and
    /// sequence numbers: a tampered message that still passes record authentication.
    /// </summary>
    private static byte[] Reseal(List<Wire.Record> flight, CipherSuite suite, byte[] secret, Func<byte[], byte[]> mutate)
    {
        var info = CipherSuites.Get(suite);
        using var opener = new Tls13RecordProtection(Tessera.Crypto.DefaultCryptoProvider.Instance, info, secret);
        using var sealer = new Tls13RecordProtection(Tessera.Crypto.DefaultCryptoProvider.Instance, info, secret);
        var rebuilt = new List<Wire.Record>();
        foreach (var record in flight)
        {
            if (record.Type != ContentType.ApplicationData)
            {
                rebuilt.Add(record);
                continue;
            }

            var payload = record.Payload;
            var (type, length) = opener.Open(record.Bytes.AsSpan(0, 5), payload, 16384);
            var content = mutate(payload.AsSpan(0, length).ToArray());
            var output = new byte[5 + content.Length + 1 + 16];
            sealer.Seal(type, content, 0, output);
            rebuilt.Add(new Wire.Record(ContentType.ApplicationData, output));
        }

        return Wire.Concat(rebuilt);
    }

    private static byte[] RewriteServerHello(Wire.Record record, Func<ServerHello, ServerHello> change)
    {
        var hello = ServerHello.Parse(record.Payload.AsSpan(4));
        return Wire.PlaintextRecord(ContentType.Handshake, change(hello).ToMessageBytes());
    }

    [Fact]
    public void MalformedClientHelloVectorIsDecodeError()
    {
        var (loop, hello) = StartClient();
        using var _ = loop;
        var bad = (byte[])hello.Clone();
        // record(5) + handshake header(4) + version(2) + random(32) + session id (1 + 32): then cipher_suites' length.
        bad[5 + 4 + 2 + 32 + 1 + 32] = 0xFF;
        ExpectAlert(loop.Server, loop.Client, bad, AlertDescription.DecodeError);
    }

    [Fact]
    public void TruncatedClientHelloIsDecodeError()
    {
        var (loop, hello) = StartClient();
        using var _ = loop;
        var body = hello.AsSpan(9, 60).ToArray();   // first 60 bytes of the body, framed as a whole message
        var message = HandshakeFraming.Frame(HandshakeType.ClientHello, body);
        ExpectAlert(loop.Server, loop.Client, Wire.PlaintextRecord(ContentType.Handshake, message), AlertDescription.DecodeError);
    }

    [Fact]
    public void ClientHelloWithoutTls13IsProtocolVersionForATls13OnlyServer()
    {
        var (loop, hello) = StartClient(server: o => o.MinProtocolVersion = TlsProtocolVersion.Tls13);
        using var _ = loop;
        var bad = RewriteClientHello(hello, ch =>
        {
            ch.Extensions.RemoveAll(e => e.Type == (ushort)ExtensionType.SupportedVersions);
            return ch;
        });
        ExpectAlert(loop.Server, loop.Client, bad, AlertDescription.ProtocolVersion);
    }

    [Fact]
    public void Ssl3HellosAreProtocolVersionOnBothRoles()
    {
        var (loop, hello) = StartClient();
        using (loop)
        {
            ExpectAlert(loop.Server, loop.Client, RewriteClientHello(hello, ch => { ch.LegacyVersion = 0x0300; return ch; }), AlertDescription.ProtocolVersion);
        }

        var (loop2, hello2) = StartClient();
        using (loop2)
        {
            var flight = ServerFlight(loop2, hello2);
            ExpectAlert(loop2.Client, loop2.Server, RewriteServerHello(flight[0], sh => { sh.LegacyVersion = 0x0300; return sh; }), AlertDescription.ProtocolVersion);
        }
    }

    [Fact]
    public void ClientHelloWithCompressionIsIllegalParameter()
    {
        var (loop, hello) = StartClient();
        using var _ = loop;
        var bad = RewriteClientHello(hello, ch => { ch.LegacyCompressionMethods = [1, 0]; return ch; });
        ExpectAlert(loop.Server, loop.Client, bad, AlertDescription.IllegalParameter);
    }

    [Fact]
    public void KeyShareForAGroupNotInSupportedGroupsIsIllegalParameter()
    {
        var (loop, hello) = StartClient();
        using var _ = loop;
        var bad = RewriteClientHello(hello, ch =>
        {
            int i = ch.Extensions.FindIndex(e => e.Type == (ushort)ExtensionType.SupportedGroups);
            ch.Extensions[i] = new TlsExtension((ushort)ExtensionType.SupportedGroups, SupportedGroupsExtension.Encode([(ushort)NamedGroup.Secp256r1]));
            return ch;
        });
        ExpectAlert(loop.Server, loop.Client, bad, AlertDescription.IllegalParameter);
    }

    [Fact]
    public void ClientHelloWithoutSignatureAlgorithmsIsMissingExtension()
    {
        var (loop, hello) = StartClient();
        using var _ = loop;
        var bad = RewriteClientHello(hello, ch =>
        {
            ch.Extensions.RemoveAll(e => e.Type == (ushort)ExtensionType.SignatureAlgorithms);
            return ch;
        });
        ExpectAlert(loop.Server, loop.Client, bad, AlertDescription.MissingExtension);
    }

    [Fact]
    public void ServerKeyShareForAGroupTheClientDidNotShareIsIllegalParameter()
    {
        var (loop, hello) = StartClient();
        using var _ = loop;
        var flight = ServerFlight(loop, hello);
        var bad = RewriteServerHello(flight[0], sh =>
        {
            int i = sh.Extensions.FindIndex(e => e.Type == (ushort)ExtensionType.KeyShare);
            sh.Extensions[i] = new TlsExtension((ushort)ExtensionType.KeyShare, KeyShareExtension.EncodeServerHello(new KeyShareEntry((ushort)NamedGroup.Secp256r1, new byte[65])));
            return sh;
        });
        ExpectAlert(loop.Client, loop.Server, bad, AlertDescription.IllegalParameter);
    }

    [Fact]
    public void ServerExtensionTheClientDidNotOfferIsUnsupportedExtension()
    {
        var (loop, hello) = StartClient();
        using var _ = loop;
        var flight = ServerFlight(loop, hello);
        var bad = RewriteServerHello(flight[0], sh =>
        {
            sh.Extensions.Add(new TlsExtension((ushort)ExtensionType.ApplicationLayerProtocolNegotiation, AlpnExtension.Encode(["h2"])));
            return sh;
        });
        ExpectAlert(loop.Client, loop.Server, bad, AlertDescription.UnsupportedExtension);
    }

    [Theory]
    [InlineData(true, AlertDescription.IllegalParameter)]
    [InlineData(false, AlertDescription.ProtocolVersion)]
    public void Tls12ServerHelloIsRefusedAndTheDowngradeSentinelIsDetected(bool withSentinel, AlertDescription expected)
    {
        // With the sentinel, even a client that allows TLS 1.2 refuses; without it, a TLS 1.3-only client does.
        var (loop, hello) = StartClient(withSentinel ? null : o => o.MinProtocolVersion = TlsProtocolVersion.Tls13);
        using var _ = loop;
        var flight = ServerFlight(loop, hello);
        var bad = RewriteServerHello(flight[0], sh =>
        {
            sh.Extensions.Clear();
            if (withSentinel)
            {
                "DOWNGRD\u0001"u8.CopyTo(sh.Random.AsSpan(24));
            }

            return sh;
        });
        ExpectAlert(loop.Client, loop.Server, bad, expected);
    }

    [Fact]
    public void TruncatedServerHelloIsDecodeError()
    {
        var (loop, hello) = StartClient();
        using var _ = loop;
        var flight = ServerFlight(loop, hello);
        var body = flight[0].Payload.AsSpan(4, 40).ToArray();
        ExpectAlert(loop.Client, loop.Server, Wire.PlaintextRecord(ContentType.Handshake, HandshakeFraming.Frame(HandshakeType.ServerHello, body)), AlertDescription.DecodeError);
    }

    [Fact]
    public void MessageOutOfOrderInTheServerFlightIsUnexpected() =>
        TamperServerFlight(Replace(HandshakeType.EncryptedExtensions, _ =>
            new CertificateVerify { Algorithm = 0x0403, Signature = [1] }.ToMessageBytes()), AlertDescription.UnexpectedMessage);

    [Fact]
    public void CertificateWithAnUnknownCriticalExtensionIsRejected()
    {
        var odd = TestCerts.Ca.IssueServerCertificate(["localhost"], Tessera.Pki.CertificateKeyType.EcdsaP256,
            extraExtensions: [new System.Security.Cryptography.X509Certificates.X509Extension("1.3.6.1.4.1.99999.1", [0x05, 0x00], critical: true)]);
        var serverOptions = new TlsServerOptions();
        serverOptions.Certificates.Add(odd);
        using var loop = new Loopback(TestCerts.ClientOptions(), serverOptions);
        var ex = Assert.Throws<TlsException>(() => loop.Pump());
        Assert.Equal(AlertDescription.BadCertificate, ex.Alert);
        Assert.Equal(AlertDescription.BadCertificate, loop.Server.Error!.Alert);
        Assert.Equal(AlertSource.Remote, loop.Server.Error.AlertSource);
    }

    [Fact]
    public void ServerChoosingASuiteNotOfferedIsIllegalParameter()
    {
        var (loop, hello) = StartClient(o => o.CipherSuites = [CipherSuite.TLS_AES_128_GCM_SHA256]);
        using var _ = loop;
        var flight = ServerFlight(loop, hello);
        var bad = RewriteServerHello(flight[0], sh => { sh.CipherSuite = (ushort)CipherSuite.TLS_AES_256_GCM_SHA384; return sh; });
        ExpectAlert(loop.Client, loop.Server, bad, AlertDescription.IllegalParameter);
    }

    [Fact]
    public void FlippedBitInAProtectedHandshakeRecordIsBadRecordMac()
    {
        var (loop, hello) = StartClient();
        using var _ = loop;
        var flight = ServerFlight(loop, hello);
        var tampered = flight.Select(r => r).ToList();
        int firstProtected = tampered.FindIndex(r => r.Type == ContentType.ApplicationData);
        var bytes = (byte[])tampered[firstProtected].Bytes.Clone();
        bytes[10] ^= 0x04;
        tampered[firstProtected] = new Wire.Record(ContentType.ApplicationData, bytes);
        ExpectAlert(loop.Client, loop.Server, Wire.Concat(tampered), AlertDescription.BadRecordMac);
    }

    [Fact]
    public void FlippedBitInApplicationDataIsBadRecordMacOnBothRoles()
    {
        using var loop = new Loopback(TestCerts.ClientOptions(), TestCerts.ServerOptions());
        loop.Handshake();
        loop.Client.WriteApplicationData("hello"u8);
        var record = Wire.TakeOutput(loop.Client);
        record[^1] ^= 1;
        ExpectAlert(loop.Server, loop.Client, record, AlertDescription.BadRecordMac);
    }

    [Fact]
    public void WrongServerFinishedIsDecryptError()
    {
        // Re-encrypt the server's flight with its handshake keys (from the server's key log) after
        // changing one byte of Finished.verify_data.
        var serverLog = new MemoryKeyLog();
        var (loop2, hello2) = StartClient(server: o => o.KeyLog = serverLog);
        using var __ = loop2;
        var flight2 = ServerFlight(loop2, hello2);
        var tampered = Reseal(flight2, loop2.Server.NegotiatedCipherSuite!.Value, serverLog.Secret("SERVER_HANDSHAKE_TRAFFIC_SECRET"), content =>
        {
            if (content[0] == (byte)HandshakeType.Finished)
            {
                content[^1] ^= 0x80;
            }

            return content;
        });
        ExpectAlert(loop2.Client, loop2.Server, tampered, AlertDescription.DecryptError);
    }

    /// <summary>Runs the server's encrypted flight through <paramref name="mutate"/> (per handshake message) and expects the client to send <paramref name="alert"/>.</summary>
    private static void TamperServerFlight(Func<byte[], byte[]> mutate, AlertDescription alert, Action<TlsClientOptions>? client = null)
    {
        var serverLog = new MemoryKeyLog();
        var (loop, hello) = StartClient(client, server: o => o.KeyLog = serverLog);
        using var _ = loop;
        var flight = ServerFlight(loop, hello);
        var tampered = Reseal(flight, loop.Server.NegotiatedCipherSuite!.Value, serverLog.Secret("SERVER_HANDSHAKE_TRAFFIC_SECRET"), mutate);
        ExpectAlert(loop.Client, loop.Server, tampered, alert);
    }

    private static Func<byte[], byte[]> Replace(HandshakeType type, Func<byte[], byte[]> change) =>
        content => content[0] == (byte)type ? change(content) : content;

    [Fact]
    public void BadCertificateVerifySignatureIsDecryptError() =>
        TamperServerFlight(Replace(HandshakeType.CertificateVerify, cv =>
        {
            cv[^1] ^= 0x01;
            return cv;
        }), AlertDescription.DecryptError);

    [Fact]
    public void CertificateVerifyWithASchemeNotOfferedIsIllegalParameter() =>
        TamperServerFlight(Replace(HandshakeType.CertificateVerify, cv =>
        {
            cv[4] = 0x08;   // rsa_pss_rsae_sha256, which this client did not offer
            cv[5] = 0x04;
            return cv;
        }), AlertDescription.IllegalParameter, o => o.SignatureSchemes = [SignatureScheme.ecdsa_secp256r1_sha256]);

    [Fact]
    public void EmptyServerCertificateIsDecodeError() =>
        TamperServerFlight(Replace(HandshakeType.Certificate, _ => new CertificateMessage().ToMessageBytes()), AlertDescription.DecodeError);

    [Theory]
    [InlineData(ExtensionType.KeyShare, AlertDescription.IllegalParameter)]          // offered, but not allowed in EncryptedExtensions
    [InlineData(ExtensionType.SupportedVersions, AlertDescription.IllegalParameter)]
    [InlineData(ExtensionType.EarlyData, AlertDescription.UnsupportedExtension)]     // never offered
    [InlineData(ExtensionType.StatusRequest, AlertDescription.IllegalParameter)]      // offered (stapling), but it belongs in the leaf's CertificateEntry
    public void ForbiddenExtensionInEncryptedExtensions(ExtensionType type, AlertDescription alert) =>
        TamperServerFlight(Replace(HandshakeType.EncryptedExtensions, _ =>
            new EncryptedExtensions { Extensions = [new TlsExtension((ushort)type, [])] }.ToMessageBytes()), alert);

    [Fact]
    public void HandshakeMessageSpanningAKeyChangeIsUnexpected()
    {
        // ServerHello changes the keys; a record that also carries the start of the next message is refused (§5.1).
        var (loop, hello) = StartClient();
        using var _ = loop;
        var flight = ServerFlight(loop, hello);
        var serverHelloAndMore = Wire.PlaintextRecord(ContentType.Handshake, [.. flight[0].Payload, (byte)HandshakeType.EncryptedExtensions, 0, 0]);
        ExpectAlert(loop.Client, loop.Server, serverHelloAndMore, AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public void WrongClientFinishedIsDecryptError()
    {
        var clientLog = new MemoryKeyLog();
        var (loop, hello) = StartClient(o => o.KeyLog = clientLog);
        using var _ = loop;
        loop.Client.ReceiveBytes(Wire.Concat(ServerFlight(loop, hello)));
        var clientFlight = Wire.Split(Wire.TakeOutput(loop.Client));
        var tampered = Reseal(clientFlight, loop.Client.NegotiatedCipherSuite!.Value, clientLog.Secret("CLIENT_HANDSHAKE_TRAFFIC_SECRET"), content =>
        {
            content[^3] ^= 0x01;
            return content;
        });
        ExpectAlert(loop.Server, loop.Client, tampered, AlertDescription.DecryptError);
    }

    [Fact]
    public void OversizedPlaintextRecordIsRecordOverflow()
    {
        var (loop, _) = StartClient();
        using var l = loop;
        var header = new byte[] { 22, 3, 3, 0x40, 0x01 };   // 2^14 + 1
        ExpectAlert(loop.Server, loop.Client, header, AlertDescription.RecordOverflow);
    }

    [Fact]
    public void OversizedProtectedRecordIsRecordOverflow()
    {
        using var loop = new Loopback(TestCerts.ClientOptions(), TestCerts.ServerOptions());
        loop.Handshake();
        var header = new byte[] { 23, 3, 3, 0x41, 0x01 };   // 2^14 + 256 + 1
        ExpectAlert(loop.Client, loop.Server, header, AlertDescription.RecordOverflow);
    }

    [Fact]
    public void FinishedAsTheFirstMessageIsUnexpected()
    {
        var (loop, _) = StartClient();
        using var l = loop;
        var finished = Wire.PlaintextRecord(ContentType.Handshake, HandshakeFraming.Frame(HandshakeType.Finished, new byte[32]));
        ExpectAlert(loop.Server, loop.Client, finished, AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public void ApplicationDataBeforeTheHandshakeIsUnexpected()
    {
        var (loop, _) = StartClient();
        using var l = loop;
        ExpectAlert(loop.Server, loop.Client, Wire.PlaintextRecord(ContentType.ApplicationData, "GET /"u8), AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public void HttpSpokenToATlsPortIsRejectedAtOnce()
    {
        var (loop, _) = StartClient();
        using var l = loop;
        var ex = Assert.Throws<TlsException>(() => loop.Server.ReceiveBytes("GET / HTTP/1.1\r\n\r\n"u8));
        Assert.Equal(AlertDescription.UnexpectedMessage, ex.Alert);
    }

    [Fact]
    public void AlertInsideAFragmentedHandshakeMessageIsUnexpected()
    {
        var (loop, hello) = StartClient();
        using var _ = loop;
        var payload = hello.AsSpan(5).ToArray();
        var first = Wire.PlaintextRecord(ContentType.Handshake, payload.AsSpan(0, 20));
        var alert = Wire.PlaintextRecord(ContentType.Alert, [1, 0]);
        loop.Server.ReceiveBytes(first);
        ExpectAlert(loop.Server, loop.Client, alert, AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public void ZeroLengthHandshakeRecordIsUnexpected()
    {
        var (loop, _) = StartClient();
        using var l = loop;
        ExpectAlert(loop.Server, loop.Client, Wire.PlaintextRecord(ContentType.Handshake, []), AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public void ChangeCipherSpecRulesFollowSection5()
    {
        // Before the ClientHello: not allowed.
        var (loop, hello) = StartClient();
        using (loop)
        {
            ExpectAlert(loop.Server, loop.Client, Wire.PlaintextRecord(ContentType.ChangeCipherSpec, [1]), AlertDescription.UnexpectedMessage);
        }

        // A value other than 1.
        var (loop2, hello2) = StartClient();
        using (loop2)
        {
            loop2.Server.ReceiveBytes(hello2);
            ExpectAlert(loop2.Server, loop2.Client, Wire.PlaintextRecord(ContentType.ChangeCipherSpec, [2]), AlertDescription.UnexpectedMessage);
        }

        // After the handshake.
        using var loop3 = new Loopback(TestCerts.ClientOptions(), TestCerts.ServerOptions());
        loop3.Handshake();
        ExpectAlert(loop3.Server, loop3.Client, Wire.PlaintextRecord(ContentType.ChangeCipherSpec, [1]), AlertDescription.UnexpectedMessage);
        _ = hello;
    }

    [Fact]
    public void HandshakeMessageOverTheLimitIsRejectedBeforeItIsBuffered()
    {
        var (loop, _) = StartClient(server: o => o.MaxHandshakeMessageSize = 1000);
        using var l = loop;
        var header = new byte[] { (byte)HandshakeType.ClientHello, 0x10, 0, 0 };   // claims 1 MiB
        ExpectAlert(loop.Server, loop.Client, Wire.PlaintextRecord(ContentType.Handshake, header), AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public void UnexpectedPostHandshakeMessageIsUnexpected()
    {
        using var loop = new Loopback(TestCerts.ClientOptions(), TestCerts.ServerOptions());
        loop.Handshake();
        // The server must not receive a NewSessionTicket; deliver one protected with the client's keys.
        var clientLog = new MemoryKeyLog();
        using var loop2 = new Loopback(TestCerts.ClientOptions(o => o.KeyLog = clientLog), TestCerts.ServerOptions());
        loop2.Handshake();
        var suite = CipherSuites.Get(loop2.Client.NegotiatedCipherSuite!.Value);
        using var sealer = new Tls13RecordProtection(Tessera.Crypto.DefaultCryptoProvider.Instance, suite, clientLog.Secret("CLIENT_TRAFFIC_SECRET_0"));
        var ticket = new NewSessionTicket { TicketLifetime = 60, TicketAgeAdd = 1, TicketNonce = [0], Ticket = [1, 2, 3], Extensions = [] }.ToMessageBytes();
        var record = new byte[5 + ticket.Length + 1 + 16];
        sealer.Seal(ContentType.Handshake, ticket, 0, record);
        ExpectAlert(loop2.Server, loop2.Client, record, AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public void PeerAlertDuringHandshakeSurfacesAsRemoteError()
    {
        var (loop, hello) = StartClient();
        using var _ = loop;
        loop.Server.ReceiveBytes(hello);
        var ex = Assert.Throws<TlsException>(() => loop.Client.ReceiveBytes(Wire.PlaintextRecord(ContentType.Alert, [2, (byte)AlertDescription.InternalError])));
        Assert.Equal(AlertDescription.InternalError, ex.Alert);
        Assert.Equal(AlertSource.Remote, ex.AlertSource);
        Assert.Equal(0, loop.Client.PendingOutputLength);   // no alert is sent in reply to an alert
    }
}
