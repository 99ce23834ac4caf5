using System.Security.Cryptography;
using Tessera.Crypto;
using Tessera.KeySchedule;
using Tessera.Messages;
using Tessera.Pki;
using Tessera.Records;

using static Tessera.Tests.Engine.Tls12Forgery;

namespace Tessera.Tests.Engine;

/// <summary>
/// TLS 1.2 renegotiation (RFC 5746): off by default on both roles, secure only when enabled, rate-limited
/// on the server, and every hello without the right renegotiation_info refused with handshake_failure.
/// </summary>
public sealed class Tls12RenegotiationTests
{
    private static TlsClientOptions Client12(Action<TlsClientOptions>? configure = null) => TestCerts.ClientOptions(o =>
    {
        o.MaxProtocolVersion = TlsProtocolVersion.Tls12;
        o.AllowRenegotiation = true;
        configure?.Invoke(o);
    });

    private static TlsServerOptions Server(Action<TlsServerOptions>? configure = null) =>
        TestCerts.ServerOptions(configure: o =>
        {
            o.AllowClientRenegotiation = true;
            configure?.Invoke(o);
        });

    private static byte[] Exporter(TlsConnection connection) => connection.ExportKeyingMaterial("EXPERIMENTAL renegotiation", [], 32);

    [Fact]
    public void ClientInitiatedRenegotiationRunsANewHandshakeUnderTheOldKeysAndChangesThem()
    {
        var log = new MemoryKeyLog();
        using var loop = new Loopback(Client12(o => o.KeyLog = log), Server());
        loop.Handshake();
        var before = Exporter(loop.Client);
        int sentBefore = loop.ClientToServer.Count;

        loop.Client.Renegotiate();
        Assert.True(loop.Client.IsRenegotiating);
        // RFC 5246 allows application data in the middle, but OpenSSL and BoringSSL refuse it: it waits for the new keys.
        loop.Client.WriteApplicationData("between"u8);
        Assert.Single(Wire.Split(loop.Client.PeekOutput().ToArray()));   // the ClientHello alone
        loop.Pump();
        Assert.False(loop.Client.IsRenegotiating);

        Assert.Equal(1, loop.Client.Renegotiations);
        Assert.Equal(1, loop.Server.Renegotiations);
        Assert.True(loop.Client.SecureRenegotiation);
        var received = new byte[64];
        Assert.Equal("between"u8.ToArray(), received[..loop.Server.ReadApplicationData(received)]);

        // New master secret: a second CLIENT_RANDOM line, and both sides export the same, different keying material.
        Assert.Equal(2, log.Lines.Count(l => l.StartsWith("CLIENT_RANDOM ", StringComparison.Ordinal)));
        var after = Exporter(loop.Client);
        Assert.Equal(after, Exporter(loop.Server));
        Assert.NotEqual(before, after);

        // The renegotiation never showed a handshake message in the clear: every record after the first
        // handshake carries an AEAD explicit nonce and tag (8 + 16 bytes at least) around its content.
        foreach (var record in loop.ClientToServer.Skip(sentBefore).SelectMany(Wire.Split))
        {
            Assert.True(record.Payload.Length >= 8 + 16 + 1, $"record of type {record.Bytes[0]} with {record.Payload.Length} bytes was not protected");
        }

        Assert.Equal("after"u8.ToArray(), Loopback.Send(loop.Client, loop.Server, "after"u8.ToArray()));
        Assert.Equal("back"u8.ToArray(), Loopback.Send(loop.Server, loop.Client, "back"u8.ToArray()));
    }

    [Theory]
    [InlineData(CertificateKeyType.Rsa2048, true)]
    [InlineData(CertificateKeyType.EcdsaP384, false)]
    public void RenegotiationWorksWithEverySuiteKindAndAfterResumption(CertificateKeyType keyType, bool resumeFirst)
    {
        var server = TestCerts.ServerOptions(keyType, o => o.AllowClientRenegotiation = true);
        Sessions.TlsSession? session = null;
        if (resumeFirst)
        {
            using var first = new Loopback(Client12(), server);
            first.Handshake();
            session = first.Client.Session;
        }

        using var loop = new Loopback(Client12(o => o.ResumeSession = session), server);
        loop.Handshake();
        Assert.Equal(resumeFirst, loop.Client.IsResumed);
        loop.Client.Renegotiate();
        loop.Pump();
        Assert.Equal(1, loop.Server.Renegotiations);
        Assert.False(loop.Client.IsResumed || loop.Server.IsResumed);   // a renegotiation is a full handshake
        Assert.Equal("ok"u8.ToArray(), Loopback.Send(loop.Client, loop.Server, "ok"u8.ToArray()));
    }

    [Fact]
    public void ServerInitiatedRenegotiationCanAskForAClientCertificate()
    {
        var server = Server(o => o.AllowClientRenegotiation = false);
        using var loop = new Loopback(Client12(o => o.ClientCertificate = TestCerts.Ca.IssueClientCertificate("renegotiating client")), server);
        loop.Handshake();
        Assert.Empty(loop.Server.PeerCertificateChain);

        server.RequestClientCertificate = true;
        server.CertificateVerifier = new X509CertificateVerifier([TestCerts.Ca.RootCertificateDer]);
        loop.Server.Renegotiate();   // HelloRequest: the ClientHello it prompts is welcome even though clients may not start one
        loop.Pump();
        Assert.Equal(1, loop.Client.Renegotiations);
        Assert.Equal(1, loop.Server.Renegotiations);
        Assert.NotEmpty(loop.Server.PeerCertificateChain);
        Assert.True(loop.Server.PeerCertificateVerified);
    }

    [Fact]
    public void ByDefaultTheServerRefusesAndTheClientCarriesOn()
    {
        using var loop = new Loopback(Client12(), TestCerts.ServerOptions());
        loop.Handshake();
        loop.Client.Renegotiate();
        loop.Pump();
        Assert.Equal(1, loop.Server.RenegotiationsRefused);
        Assert.Equal(1, loop.Client.RenegotiationsRefused);
        Assert.Equal(0, loop.Client.Renegotiations);
        Assert.Equal(TlsConnectionState.Connected, loop.Client.State);
        Assert.Equal("still"u8.ToArray(), Loopback.Send(loop.Client, loop.Server, "still"u8.ToArray()));

        // The attempt was dropped, so the client may ask again; data written meanwhile goes out once the answer is in,
        // and so does a close_notify that came after it.
        loop.Client.Renegotiate();
        loop.Client.WriteApplicationData("held"u8);
        loop.Client.Close();
        loop.Pump();
        Assert.Equal(2, loop.Client.RenegotiationsRefused);
        var received = new byte[16];
        Assert.Equal("held"u8.ToArray(), received[..loop.Server.ReadApplicationData(received)]);
        Assert.True(loop.Server.IsReadClosed);
    }

    [Fact]
    public void ByDefaultTheClientRefusesAHelloRequest()
    {
        using var loop = new Loopback(Client12(o => o.AllowRenegotiation = false), Server());
        loop.Handshake();
        Assert.Throws<InvalidOperationException>(loop.Client.Renegotiate);
        loop.Server.Renegotiate();
        loop.Pump();
        Assert.Equal(1, loop.Client.RenegotiationsRefused);
        Assert.Equal(0, loop.Server.Renegotiations);
        Assert.Equal("fine"u8.ToArray(), Loopback.Send(loop.Server, loop.Client, "fine"u8.ToArray()));
    }

    [Fact]
    public void ClientRenegotiationsAreRateLimited()
    {
        using var loop = new Loopback(Client12(), Server());
        loop.Handshake();
        for (int i = 0; i < 3; i++)
        {
            loop.Client.Renegotiate();
            loop.Pump();
        }

        Assert.Equal(3, loop.Server.Renegotiations);
        loop.Client.Renegotiate();
        loop.Pump();
        Assert.Equal(3, loop.Server.Renegotiations);
        Assert.Equal(1, loop.Server.RenegotiationsRefused);
        Assert.Equal(TlsConnectionState.Connected, loop.Server.State);
    }

    [Fact]
    public void TheRenegotiationLimitsAreOptions()
    {
        // One a minute allowed, and the first refusal past it already ends the connection.
        using var loop = new Loopback(Client12(), Server(o => { o.Limits.MaxRenegotiationsPerMinute = 1; o.Limits.MaxRefusedRenegotiations = 0; }));
        loop.Handshake();
        loop.Client.Renegotiate();
        loop.Pump();
        Assert.Equal(1, loop.Server.Renegotiations);
        loop.Client.Renegotiate();
        var error = Assert.Throws<TlsException>(() => loop.Pump());
        Assert.Equal(1, loop.Server.RenegotiationsRefused);
        Assert.Equal(TlsConnectionState.Failed, loop.Server.State);
        Assert.Equal(AlertSource.Local, loop.Server.Error?.AlertSource);
        Assert.NotNull(error);
    }

    [Fact]
    public void OnlyATls12ConnectionCanRenegotiate()
    {
        using var loop = new Loopback(TestCerts.ClientOptions(o => o.AllowRenegotiation = true), Server());
        loop.Handshake();
        Assert.Equal(TlsProtocolVersion.Tls13, loop.Client.NegotiatedProtocol);
        Assert.Throws<InvalidOperationException>(loop.Client.Renegotiate);
        Assert.Throws<InvalidOperationException>(loop.Server.Renegotiate);
    }

    [Fact]
    public void ARenegotiationIsNotStartedTwice()
    {
        using var loop = new Loopback(Client12(), Server());
        loop.Handshake();
        loop.Client.Renegotiate();
        Assert.Throws<InvalidOperationException>(loop.Client.Renegotiate);
    }

    [Fact]
    public void ACbcConnectionRenegotiatesKeepingEncryptThenMac()
    {
        const CipherSuite suite = CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256;
        using var loop = new Loopback(Client12(o => { o.CipherSuites = [suite]; o.Legacy = LegacyPolicy.CbcSuites; }), Server(o => o.Legacy = LegacyPolicy.CbcSuites));
        loop.Handshake();
        Assert.True(loop.Server.EncryptThenMac);
        loop.Client.Renegotiate();
        loop.Pump();
        Assert.Equal(1, loop.Server.Renegotiations);
        Assert.True(loop.Server.EncryptThenMac);
        Assert.Equal("cbc"u8.ToArray(), Loopback.Send(loop.Client, loop.Server, "cbc"u8.ToArray()));
    }

    [Fact]
    public void ARenegotiationMayNotDropEncryptThenMac()
    {
        // RFC 7366 §3.1: the renegotiating ClientHello still offers CBC suites but no longer encrypt_then_mac.
        const CipherSuite suite = CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256;
        var log = new MemoryKeyLog();
        using var loop = new Loopback(Client12(o => { o.CipherSuites = [suite]; o.Legacy = LegacyPolicy.CbcSuites; o.KeyLog = log; }), Server(o => o.Legacy = LegacyPolicy.CbcSuites));
        loop.Handshake();
        var (c, s) = CbcKeysFromKeyLog(log, Wire.Split(loop.ClientToServer[0])[0].Bytes, Wire.Split(loop.ServerToClient[0])[0].Bytes, suite);
        using var _c = c;
        using var _s = s;
        _ = Seal(c, ContentType.Handshake, new byte[16]);   // the client's Finished was sequence number 0

        using var fresh = TlsConnection.CreateClient(Client12(o => { o.CipherSuites = [suite]; o.Legacy = LegacyPolicy.CbcSuites; }));
        fresh.Start();
        var hello = ClientHello.Parse(Wire.Split(Wire.TakeOutput(fresh))[0].Payload.AsSpan(4));
        Assert.NotNull(ExtensionBlock.Find(hello.Extensions, ExtensionType.EncryptThenMac));
        hello.Extensions = [.. hello.Extensions.Where(e => e.Type is not ((ushort)ExtensionType.EncryptThenMac or (ushort)ExtensionType.RenegotiationInfo)),
            new TlsExtension((ushort)ExtensionType.RenegotiationInfo, RenegotiationInfoExtension.Encode(new byte[12]))];
        var error = Assert.Throws<TlsException>(() => loop.Server.ReceiveBytes(Seal(c, ContentType.Handshake, hello.ToMessageBytes())));
        Assert.Equal(AlertDescription.HandshakeFailure, error.Alert);
        Assert.Contains("encrypt_then_mac", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A renegotiating ClientHello, built by a real client, with its renegotiation_info and suites rewritten.</summary>
    private static byte[] RenegotiationClientHello(byte[]? renegotiationInfo, bool scsv)
    {
        using var client = TlsConnection.CreateClient(Client12());
        client.Start();
        var hello = ClientHello.Parse(Wire.Split(Wire.TakeOutput(client))[0].Payload.AsSpan(4));
        hello.Extensions = [.. hello.Extensions.Where(e => e.Type != (ushort)ExtensionType.RenegotiationInfo)];
        if (renegotiationInfo is not null)
        {
            hello.Extensions.Add(new TlsExtension((ushort)ExtensionType.RenegotiationInfo, RenegotiationInfoExtension.Encode(renegotiationInfo)));
        }

        if (scsv)
        {
            hello.CipherSuites = [.. hello.CipherSuites, 0x00FF];
        }

        return hello.ToMessageBytes();
    }

    public static TheoryData<string, bool> BadRenegotiationHellos => new()
    {
        { "none", false },              // no renegotiation_info at all
        { "empty", false },             // the initial handshake's empty value
        { "wrong", false },             // 12 bytes that are not client_verify_data
        { "none", true },               // the SCSV alone
    };

    [Theory]
    [MemberData(nameof(BadRenegotiationHellos))]
    public void ARenegotiatingClientHelloWithoutTheRightRenegotiationInfoIsHandshakeFailure(string info, bool scsv)
    {
        var (loop, c, _) = Connected();
        using var _loop = loop;
        using var _c = c;
        byte[]? value = info switch { "empty" => [], "wrong" => new byte[12], _ => null };
        var record = Seal(c, ContentType.Handshake, RenegotiationClientHello(value, scsv));
        ExpectAlert(loop.Server, loop.Client, record, AlertDescription.HandshakeFailure);
        Assert.Equal(0, loop.Server.Renegotiations);
    }

    public static TheoryData<string> BadRenegotiationServerHellos => ["none", "empty", "wrong"];

    [Theory]
    [MemberData(nameof(BadRenegotiationServerHellos))]
    public void ARenegotiatingServerHelloWithoutTheRightRenegotiationInfoIsHandshakeFailure(string info)
    {
        var (loop, _, s) = Connected();
        using var _loop = loop;
        using var _s = s;
        loop.Client.Renegotiate();
        _ = Wire.TakeOutput(loop.Client);
        var extensions = new List<TlsExtension> { new((ushort)ExtensionType.ExtendedMasterSecret, []) };
        if (info != "none")
        {
            extensions.Add(new TlsExtension((ushort)ExtensionType.RenegotiationInfo, RenegotiationInfoExtension.Encode(info == "empty" ? [] : new byte[24])));
        }

        var serverHello = new ServerHello
        {
            Random = RandomNumberGenerator.GetBytes(32),
            CipherSuite = (ushort)loop.Client.NegotiatedCipherSuite!.Value,
            Extensions = extensions,
        };

        // The server never saw the renegotiating ClientHello we intercepted, so it could not read the client's
        // alert; check what the client says and that it says it under the current keys.
        ExpectAlert(loop.Client, peer: null, Seal(s, ContentType.Handshake, serverHello.ToMessageBytes()), AlertDescription.HandshakeFailure);
        var alert = Assert.Single(Wire.Split(Wire.TakeOutput(loop.Client)));
        Assert.Equal((byte)ContentType.Alert, alert.Bytes[0]);
        Assert.True(alert.Payload.Length >= 2 + 16, "the alert went out in the clear");
    }

    /// <summary>A finished TLS 1.2 connection (renegotiation allowed on both sides) and forged-record sealers past the Finished messages.</summary>
    private static (Loopback Loop, Tls12AeadRecordProtection ClientWrite, Tls12AeadRecordProtection ServerWrite) Connected()
    {
        var log = new MemoryKeyLog();
        return Tls12Forgery.Connected(Client12(o => o.KeyLog = log), Server(), log);
    }
}
