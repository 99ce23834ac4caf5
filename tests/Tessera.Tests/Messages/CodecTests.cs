using System.Security.Cryptography;
using Tessera.Handshake;
using Tessera.Messages;

namespace Tessera.Tests.Messages;

public sealed class CodecTests
{
    internal static readonly byte[] Rfc8448ClientHello = Hex.Parse(
        "01 00 00 c0 03 03 cb 34 ec b1 e7 81 63 ba 1c 38 c6 da cb 19 6a 6d ff a2 1a 8d 99 12 ec 18 a2 ef 62 83" +
        "02 4d ec e7 00 00 06 13 01 13 03 13 02 01 00 00 91 00 00 00 0b 00 09 00 00 06 73 65 72 76 65 72 ff 01" +
        "00 01 00 00 0a 00 14 00 12 00 1d 00 17 00 18 00 19 01 00 01 01 01 02 01 03 01 04 00 23 00 00 00 33 00" +
        "26 00 24 00 1d 00 20 99 38 1d e5 60 e4 bd 43 d2 3d 8e 43 5a 7d ba fe b3 c0 6e 51 c1 3c ae 4d 54 13 69" +
        "1e 52 9a af 2c 00 2b 00 03 02 03 04 00 0d 00 20 00 1e 04 03 05 03 06 03 02 03 08 04 08 05 08 06 04 01" +
        "05 01 06 01 02 01 04 02 05 02 06 02 02 02 00 2d 00 02 01 01 00 1c 00 02 40 01");

    internal static readonly byte[] Rfc8448ServerHello = Hex.Parse(
        "02 00 00 56 03 03 a6 af 06 a4 12 18 60 dc 5e 6e 60 24 9c d3 4c 95 93 0c 8a c5 cb 14 34 da c1 55 77 2e" +
        "d3 e2 69 28 00 13 01 00 00 2e 00 33 00 24 00 1d 00 20 c9 82 88 76 11 20 95 fe 66 76 2b db f7 c6 72 e1" +
        "56 d6 cc 25 3b 83 3d f1 dd 69 b1 b0 4e 75 1f 0f 00 2b 00 02 03 04");

    [Fact]
    public void Rfc8448ClientHelloParsesAndReencodesExactly()
    {
        var hello = ClientHello.Parse(Rfc8448ClientHello.AsSpan(4));
        Assert.Equal(0x0303, hello.LegacyVersion);
        Assert.Equal(Hex.Parse("cb 34 ec b1 e7 81 63 ba 1c 38 c6 da cb 19 6a 6d ff a2 1a 8d 99 12 ec 18 a2 ef 62 83 02 4d ec e7"), hello.Random);
        Assert.Empty(hello.LegacySessionId);
        Assert.Equal(new ushort[] { 0x1301, 0x1303, 0x1302 }, hello.CipherSuites);
        Assert.Equal("server", ServerNameExtension.Parse(ExtensionBlock.Find(hello.Extensions, ExtensionType.ServerName)!.Data));
        var share = Assert.Single(KeyShareExtension.ParseClientHello(ExtensionBlock.Find(hello.Extensions, ExtensionType.KeyShare)!.Data));
        Assert.Equal((ushort)NamedGroup.X25519, share.Group);
        Assert.Equal(Hex.Parse("99 38 1d e5 60 e4 bd 43 d2 3d 8e 43 5a 7d ba fe b3 c0 6e 51 c1 3c ae 4d 54 13 69 1e 52 9a af 2c"), share.KeyExchange);
        Assert.Equal(new ushort[] { 0x0304 }, SupportedVersionsExtension.ParseClientHello(ExtensionBlock.Find(hello.Extensions, ExtensionType.SupportedVersions)!.Data));
        Assert.Equal(9, SupportedGroupsExtension.Parse(ExtensionBlock.Find(hello.Extensions, ExtensionType.SupportedGroups)!.Data).Length);
        Assert.Equal(15, SignatureAlgorithmsExtension.Parse(ExtensionBlock.Find(hello.Extensions, ExtensionType.SignatureAlgorithms)!.Data).Length);
        Assert.Equal(0x4001, RecordSizeLimitExtension.Parse(ExtensionBlock.Find(hello.Extensions, ExtensionType.RecordSizeLimit)!.Data));
        Assert.Equal(Rfc8448ClientHello, hello.ToMessageBytes());
    }

    [Fact]
    public void Rfc8448ServerHelloParsesAndReencodesExactly()
    {
        var hello = ServerHello.Parse(Rfc8448ServerHello.AsSpan(4));
        Assert.False(hello.IsHelloRetryRequest);
        Assert.Equal(0x1301, hello.CipherSuite);
        Assert.Equal(0x0304, SupportedVersionsExtension.ParseServerHello(ExtensionBlock.Find(hello.Extensions, ExtensionType.SupportedVersions)!.Data));
        var share = KeyShareExtension.ParseServerHello(ExtensionBlock.Find(hello.Extensions, ExtensionType.KeyShare)!.Data);
        Assert.Equal(Hex.Parse("c9 82 88 76 11 20 95 fe 66 76 2b db f7 c6 72 e1 56 d6 cc 25 3b 83 3d f1 dd 69 b1 b0 4e 75 1f 0f"), share.KeyExchange);
        Assert.Equal(Rfc8448ServerHello, hello.ToMessageBytes());
    }

    [Fact]
    public void TranscriptOfTheRfcHellosIsTheTracesHash()
    {
        using var transcript = new Transcript(Tessera.Crypto.DefaultCryptoProvider.Instance);
        transcript.Add(Rfc8448ClientHello);
        transcript.SetAlgorithm(TlsHashAlgorithm.Sha256);
        transcript.Add(Rfc8448ServerHello);
        Assert.Equal(Tests.KeySchedule.Rfc8448KeyScheduleTests.HashClientHelloToServerHello, transcript.CurrentHash());
    }

    [Fact]
    public void HelloRetryRequestTranscriptStartsWithMessageHash()
    {
        using var transcript = new Transcript(Tessera.Crypto.DefaultCryptoProvider.Instance);
        transcript.Add(Rfc8448ClientHello);
        transcript.ReplaceWithMessageHash(TlsHashAlgorithm.Sha256);
        var expected = SHA256.HashData([0xFE, 0, 0, 32, .. SHA256.HashData(Rfc8448ClientHello)]);
        Assert.Equal(expected, transcript.CurrentHash());
        Assert.Equal(SHA256.HashData("HelloRetryRequest"u8), ServerHello.HelloRetryRequestRandom.ToArray());
    }

    [Fact]
    public void EveryMessageRoundTrips()
    {
        var ext = new List<TlsExtension> { new(0x1234, [1, 2, 3]) };
        AssertRoundTrip(new EncryptedExtensions { Extensions = ext }.ToMessageBytes(), b => EncryptedExtensions.Parse(b).ToMessageBytes());
        AssertRoundTrip(new CertificateMessage { RequestContext = [7], Entries = [new([1, 2], ext), new([3], [])] }.ToMessageBytes(), b => CertificateMessage.Parse(b).ToMessageBytes());
        AssertRoundTrip(new CertificateRequest { RequestContext = [], Extensions = ext }.ToMessageBytes(), b => CertificateRequest.Parse(b).ToMessageBytes());
        AssertRoundTrip(new CertificateVerify { Algorithm = 0x0403, Signature = [9, 9] }.ToMessageBytes(), b => CertificateVerify.Parse(b).ToMessageBytes());
        AssertRoundTrip(new Finished { VerifyData = new byte[48] }.ToMessageBytes(), b => Finished.Parse(b, 48).ToMessageBytes());
        AssertRoundTrip(new NewSessionTicket { TicketLifetime = 7200, TicketAgeAdd = 5, TicketNonce = [0], Ticket = [1, 2], Extensions = ext }.ToMessageBytes(), b => NewSessionTicket.Parse(b).ToMessageBytes());
        AssertRoundTrip(new KeyUpdate { UpdateRequested = true }.ToMessageBytes(), b => KeyUpdate.Parse(b).ToMessageBytes());
    }

    private static void AssertRoundTrip(byte[] message, Func<byte[], byte[]> reparse) => Assert.Equal(message, reparse(message[4..]));

    [Fact]
    public void ExtensionCodecsRoundTrip()
    {
        Assert.Equal("example.com", ServerNameExtension.Parse(ServerNameExtension.Encode("example.com")));
        Assert.Equal(new ushort[] { 0x0304, 0x0303 }, SupportedVersionsExtension.ParseClientHello(SupportedVersionsExtension.EncodeClientHello([0x0304, 0x0303])));
        Assert.Equal(new[] { "h2", "http/1.1" }, AlpnExtension.Parse(AlpnExtension.Encode(["h2", "http/1.1"])));
        Assert.Equal(0x001D, KeyShareExtension.ParseHelloRetryRequest(KeyShareExtension.EncodeHelloRetryRequest(0x001D)));
        Assert.Equal(new byte[] { 1, 2 }, CookieExtension.Parse(CookieExtension.Encode([1, 2])));
        Assert.Equal(new byte[] { 1 }, PskKeyExchangeModesExtension.Parse(PskKeyExchangeModesExtension.Encode([1])));
    }

    public static TheoryData<string, Func<byte[], object>, string, AlertDescription> Rejections() => new()
    {
        { "trailing byte after KeyUpdate", b => KeyUpdate.Parse(b), "00 00", AlertDescription.DecodeError },
        { "KeyUpdate value 2", b => KeyUpdate.Parse(b), "02", AlertDescription.IllegalParameter },
        { "Finished of the wrong length", b => Finished.Parse(b, 32), "00 01 02", AlertDescription.DecodeError },
        { "empty cert_data", b => CertificateMessage.Parse(b), "00 00 00 05 00 00 00 00 00", AlertDescription.DecodeError },
        { "certificate_list longer than the message", b => CertificateMessage.Parse(b), "00 00 00 09 00 00 01 01 00 00", AlertDescription.DecodeError },
        { "duplicate extension", b => EncryptedExtensions.Parse(b), "00 08 00 01 00 00 00 01 00 00", AlertDescription.IllegalParameter },
        { "extension longer than its block", b => EncryptedExtensions.Parse(b), "00 04 00 01 00 05", AlertDescription.DecodeError },
        { "empty ticket", b => NewSessionTicket.Parse(b), "00 00 00 01 00 00 00 01 00 00 00 00 00", AlertDescription.DecodeError },
        { "record_size_limit below 64", b => RecordSizeLimitExtension.Parse(b), "00 3f", AlertDescription.IllegalParameter },
        { "duplicate key share group", b => KeyShareExtension.ParseClientHello(b), "00 0a 00 1d 00 01 aa 00 1d 00 01 bb", AlertDescription.IllegalParameter },
        { "empty key_exchange", b => KeyShareExtension.ParseClientHello(b), "00 04 00 1d 00 00", AlertDescription.DecodeError },
        { "empty supported_groups", b => SupportedGroupsExtension.Parse(b), "00 00", AlertDescription.DecodeError },
        { "odd signature_algorithms", b => SignatureAlgorithmsExtension.Parse(b), "00 03 04 03 05", AlertDescription.DecodeError },
        { "empty ALPN name", b => AlpnExtension.Parse(b), "00 01 00", AlertDescription.DecodeError },
        { "server_name with a NUL", b => ServerNameExtension.Parse(b), "00 05 00 00 02 61 00", AlertDescription.DecodeError },
        { "empty cookie", b => CookieExtension.Parse(b), "00 00", AlertDescription.DecodeError },
        { "empty CertificateVerify signature", b => CertificateVerify.Parse(b), "04 03 00 00", AlertDescription.DecodeError },
    };

    [Theory]
    [MemberData(nameof(Rejections))]
    public void MalformedInputIsRejectedWithTheRightAlert(string what, Func<byte[], object> parse, string hex, AlertDescription alert)
    {
        var ex = Assert.Throws<TlsException>(() => parse(Hex.Parse(hex)));
        Assert.True(alert == ex.Alert, $"{what}: got {ex.Alert}");
    }

    [Fact]
    public void PreSharedKeyMustBeTheLastExtension()
    {
        var hello = ClientHello.Parse(Rfc8448ClientHello.AsSpan(4));
        hello.Extensions.Insert(0, new TlsExtension((ushort)ExtensionType.PreSharedKey, [0, 0]));
        var ex = Assert.Throws<TlsException>(() => ClientHello.Parse(hello.ToMessageBytes().AsSpan(4)));
        Assert.Equal(AlertDescription.IllegalParameter, ex.Alert);
    }

    [Fact]
    public void EveryTruncationOfTheRfcHellosIsDecodeError()
    {
        // The one cut that stays well-formed: right after the compression methods, a hello without
        // extensions (RFC 5246 §7.4.1.2); it parses, and the engine then refuses it for lacking TLS 1.3.
        const int clientHelloWithoutExtensions = 2 + 32 + 1 + 2 + 6 + 1 + 1;
        const int serverHelloWithoutExtensions = 2 + 32 + 1 + 2 + 1;
        Assert.Empty(ClientHello.Parse(Rfc8448ClientHello.AsSpan(4, clientHelloWithoutExtensions)).Extensions);
        Assert.Empty(ServerHello.Parse(Rfc8448ServerHello.AsSpan(4, serverHelloWithoutExtensions)).Extensions);
        for (int n = 0; n < Rfc8448ClientHello.Length - 4; n++)
        {
            if (n == clientHelloWithoutExtensions)
            {
                continue;
            }

            var ex = Assert.Throws<TlsException>(() => ClientHello.Parse(Rfc8448ClientHello.AsSpan(4, n)));
            Assert.Equal(AlertDescription.DecodeError, ex.Alert);
        }

        for (int n = 0; n < Rfc8448ServerHello.Length - 4; n++)
        {
            if (n == serverHelloWithoutExtensions)
            {
                continue;
            }

            Assert.Equal(AlertDescription.DecodeError, Assert.Throws<TlsException>(() => ServerHello.Parse(Rfc8448ServerHello.AsSpan(4, n))).Alert);
        }
    }

    [Fact]
    public void DescriberTellsTls12FormsFromTls13Ones()
    {
        var nst12 = new NewSessionTicket12 { LifetimeHint = 7200, Ticket = new byte[100] }.ToMessageBytes();
        Assert.Contains("ticket_lifetime_hint: 7200 s (TLS 1.2, RFC 5077)", HandshakeMessageDescriber.Describe(HandshakeType.NewSessionTicket, nst12.AsSpan(4)));
        var nst13 = new NewSessionTicket { TicketLifetime = 60, TicketAgeAdd = 1, TicketNonce = [0], Ticket = [1, 2], Extensions = [] }.ToMessageBytes();
        Assert.Contains("ticket_lifetime: 60 s", HandshakeMessageDescriber.Describe(HandshakeType.NewSessionTicket, nst13.AsSpan(4)));
        var cert12 = new Certificate12 { Certificates = [[1, 2, 3]] }.ToMessageBytes();
        Assert.Contains("certificate_list (1):", HandshakeMessageDescriber.Describe(HandshakeType.Certificate, cert12.AsSpan(4)));
        var ske = new ServerKeyExchangeEcdhe { Group = 29, PublicKey = new byte[32], SignatureAlgorithm = 0x0804, Signature = new byte[8] }.ToMessageBytes();
        Assert.Contains("curve_type: named_curve, named_curve: x25519", HandshakeMessageDescriber.Describe(HandshakeType.ServerKeyExchange, ske.AsSpan(4)));
    }

    [Fact]
    public void DescriberNamesEverythingAndNeverThrows()
    {
        var text = string.Join("\n", HandshakeMessageDescriber.Describe(HandshakeType.ClientHello, Rfc8448ClientHello.AsSpan(4)));
        foreach (var expected in new[] { "TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256", "x25519", "server_name", "host_name \"server\"", "record_size_limit", "16385 bytes", "psk_dhe_ke" })
        {
            Assert.Contains(expected, text, StringComparison.Ordinal);
        }

        var random = new Random(8448);
        foreach (HandshakeType type in Enum.GetValues<HandshakeType>())
        {
            for (int i = 0; i < 300; i++)
            {
                var garbage = new byte[random.Next(0, 200)];
                random.NextBytes(garbage);
                Assert.NotNull(HandshakeMessageDescriber.Describe(type, garbage));
            }
        }
    }
}
