using Tessera.Crypto;
using Tessera.KeySchedule;
using Tessera.Messages;
using Tessera.Pki;
using Tessera.Records;

using static Tessera.Tests.Engine.Tls12Forgery;

namespace Tessera.Tests.Engine;

/// <summary>TLS 1.2 failure paths: each the right alert on the wire and on both sides, in bounded time.</summary>
public sealed class Tls12NegativeTests
{
    private static TlsClientOptions Client12(Action<TlsClientOptions>? configure = null) => TestCerts.ClientOptions(o =>
    {
        o.MaxProtocolVersion = TlsProtocolVersion.Tls12;
        configure?.Invoke(o);
    });

    [Fact]
    public void AServerSpeakingTls13MarksATls12ServerHelloAndATls12OnlyOneDoesNot()
    {
        foreach (var serverMax in new[] { TlsProtocolVersion.Tls13, TlsProtocolVersion.Tls12 })
        {
            using var loop = new Loopback(Client12(), TestCerts.ServerOptions(configure: o => o.MaxProtocolVersion = serverMax));
            loop.Handshake();
            var serverHello = Wire.Split(loop.ServerToClient[0])[0];
            var tail = serverHello.Payload.AsSpan(4 + 2 + 24, 8).ToArray();
            Assert.Equal(serverMax == TlsProtocolVersion.Tls13, tail.AsSpan().SequenceEqual("DOWNGRD\u0001"u8));
        }
    }

    [Fact]
    public void FallbackScsvToAServerThatSpeaksTls13IsInappropriateFallback()
    {
        using var loop = new Loopback(Client12(), TestCerts.ServerOptions());
        loop.Client.Start();
        var record = Wire.TakeOutput(loop.Client);
        var hello = ClientHello.Parse(record.AsSpan(9));
        hello.CipherSuites = [.. hello.CipherSuites, 0x5600];
        ExpectAlert(loop.Server, loop.Client, Wire.PlaintextRecord(ContentType.Handshake, hello.ToMessageBytes()), AlertDescription.InappropriateFallback);
    }

    [Fact]
    public void Tls12ClientHelloWithoutNullCompressionIsIllegalParameter()
    {
        using var loop = new Loopback(Client12(), TestCerts.ServerOptions());
        loop.Client.Start();
        var hello = ClientHello.Parse(Wire.TakeOutput(loop.Client).AsSpan(9));
        hello.LegacyCompressionMethods = [1];
        ExpectAlert(loop.Server, loop.Client, Wire.PlaintextRecord(ContentType.Handshake, hello.ToMessageBytes()), AlertDescription.IllegalParameter);
    }

    private static (Loopback Loop, List<Wire.Record> Flight) ServerFlight12(Action<TlsServerOptions>? server = null, Action<TlsClientOptions>? client = null) =>
        ServerFlight12(out _, server, client);

    private static (Loopback Loop, List<Wire.Record> Flight) ServerFlight12(out byte[] clientHelloRecord, Action<TlsServerOptions>? server = null, Action<TlsClientOptions>? client = null)
    {
        var loop = new Loopback(Client12(client), TestCerts.ServerOptions(configure: server));
        loop.Client.Start();
        clientHelloRecord = Wire.TakeOutput(loop.Client);
        loop.Server.ReceiveBytes(clientHelloRecord);
        return (loop, Wire.Split(Wire.TakeOutput(loop.Server)));
    }

    /// <summary>Rewrites the handshake messages of a plaintext TLS 1.2 server flight (one record may hold several).</summary>
    private static byte[] RewriteFlight(List<Wire.Record> flight, HandshakeType type, Func<byte[], byte[]> change)
    {
        var output = new List<byte>();
        foreach (var record in flight)
        {
            var payload = record.Payload;
            var rebuilt = new List<byte>();
            int offset = 0;
            while (offset < payload.Length)
            {
                int length = (payload[offset + 1] << 16) | (payload[offset + 2] << 8) | payload[offset + 3];
                var message = payload[offset..(offset + 4 + length)];
                rebuilt.AddRange(message[0] == (byte)type ? change(message) : message);
                offset += 4 + length;
            }

            output.AddRange(Wire.PlaintextRecord(record.Type, [.. rebuilt]));
        }

        return [.. output];
    }

    [Fact]
    public void WrongServerKeyExchangeSignatureIsDecryptError()
    {
        var (loop, flight) = ServerFlight12();
        using var _ = loop;
        var tampered = RewriteFlight(flight, HandshakeType.ServerKeyExchange, m =>
        {
            m[^1] ^= 1;
            return m;
        });
        ExpectAlert(loop.Client, loop.Server, tampered, AlertDescription.DecryptError);
    }

    [Fact]
    public void ServerKeyExchangeForAGroupNotOfferedIsIllegalParameter()
    {
        var (loop, flight) = ServerFlight12(client: o => o.Groups = [NamedGroup.X25519, NamedGroup.Secp256r1]);
        using var _ = loop;
        var tampered = RewriteFlight(flight, HandshakeType.ServerKeyExchange, m =>
        {
            var ske = ServerKeyExchangeEcdhe.Parse(m.AsSpan(4));
            ske.Group = (ushort)NamedGroup.Secp384r1;
            return ske.ToMessageBytes();
        });
        ExpectAlert(loop.Client, loop.Server, tampered, AlertDescription.IllegalParameter);
    }

    [Fact]
    public void ChangeCipherSpecBeforeClientKeyExchangeIsUnexpected()
    {
        var (loop, _) = ServerFlight12();
        using var __ = loop;
        ExpectAlert(loop.Server, loop.Client, Wire.PlaintextRecord(ContentType.ChangeCipherSpec, [1]), AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public void WrongClientFinishedIsDecryptError()
    {
        var clientLog = new MemoryKeyLog();
        var (loop, flight) = ServerFlight12(out var clientHello, client: o => o.KeyLog = clientLog);
        using var _ = loop;
        var serverHello = flight[0].Bytes;
        loop.Client.ReceiveBytes(Wire.Concat(flight));
        var clientFlight = Wire.Split(Wire.TakeOutput(loop.Client));
        var (clientWrite, _) = KeysFromKeyLog(clientLog, clientHello, serverHello, loop.Client.NegotiatedCipherSuite!.Value);
        using var opener = clientWrite;
        // [ClientKeyExchange][ChangeCipherSpec][Finished (protected)]: open the Finished, flip a bit, seal it again.
        var finished = clientFlight[^1];
        var payload = finished.Payload;
        var (type, length) = opener.Open(finished.Bytes.AsSpan(0, 5), payload, 16384, out int offset);
        var content = payload.AsSpan(offset, length).ToArray();
        content[^1] ^= 0x10;
        var (resealer, _) = KeysFromKeyLog(clientLog, clientHello, serverHello, loop.Client.NegotiatedCipherSuite!.Value);
        using var sealer = resealer;
        var tampered = clientFlight.Take(clientFlight.Count - 1).SelectMany(r => r.Bytes).Concat(Seal(sealer, type, content)).ToArray();
        ExpectAlert(loop.Server, loop.Client, tampered, AlertDescription.DecryptError);
    }

    private static (Loopback Loop, Tls12AeadRecordProtection ClientWrite, Tls12AeadRecordProtection ServerWrite) Connected12()
    {
        var clientLog = new MemoryKeyLog();
        return Tls12Forgery.Connected(Client12(o => o.KeyLog = clientLog), TestCerts.ServerOptions(), clientLog);
    }

    [Fact]
    public void HelloRequestIsRefusedWithAWarningAndTheConnectionGoesOn()
    {
        var (loop, c, s) = Connected12();
        using var _ = loop;
        using var __ = c;
        using var ___ = s;
        loop.Client.ReceiveBytes(Seal(s, ContentType.Handshake, EmptyHandshakeMessage.ToMessageBytes(HandshakeType.HelloRequest)));
        Assert.Equal(1, loop.Client.RenegotiationsRefused);
        var warning = Wire.TakeOutput(loop.Client);
        loop.Server.ReceiveBytes(warning);   // a warning: not fatal
        Assert.Equal(TlsConnectionState.Connected, loop.Server.State);
        Assert.Equal("still here"u8.ToArray(), Loopback.Send(loop.Client, loop.Server, "still here"u8.ToArray()));
    }

    [Fact]
    public void ClientInitiatedRenegotiationIsRefusedWithAWarningAndTheConnectionGoesOn()
    {
        var (loop, c, s) = Connected12();
        using var _ = loop;
        using var __ = c;
        using var ___ = s;
        loop.Server.ReceiveBytes(Seal(c, ContentType.Handshake, new ClientHello { CipherSuites = [0xC02B], Extensions = [] }.ToMessageBytes()));
        Assert.Equal(1, loop.Server.RenegotiationsRefused);
        Assert.Equal("still here"u8.ToArray(), Loopback.Send(loop.Server, loop.Client, "still here"u8.ToArray()));
        Assert.Equal(TlsConnectionState.Connected, loop.Client.State);
    }

    [Fact]
    public void KeyUpdateDoesNotExistInTls12()
    {
        var (loop, c, s) = Connected12();
        using var _ = loop;
        using var __ = c;
        using var ___ = s;
        Assert.Throws<InvalidOperationException>(() => loop.Client.RequestKeyUpdate(true));
        ExpectAlert(loop.Server, loop.Client, Seal(c, ContentType.Handshake, new KeyUpdate().ToMessageBytes()), AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public void TheEcdsaCertificateCurveMustBeOneTheClientListed()
    {
        using var loop = new Loopback(Client12(o => o.Groups = [NamedGroup.X25519]), TestCerts.ServerOptions(CertificateKeyType.EcdsaP256));
        Assert.Equal(AlertDescription.HandshakeFailure, Assert.Throws<TlsException>(() => loop.Pump()).Alert);
    }
}
