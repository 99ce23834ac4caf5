using Tessera.Crypto;
using Tessera.Messages;
using Tessera.Records;

namespace Tessera.Tests.Records;

/// <summary>RFC 8448 §3: the application_data records both sides send, reproduced and opened byte for byte.</summary>
public sealed class Rfc8448RecordProtectionTests
{
    private static readonly ICryptoProvider Crypto = DefaultCryptoProvider.Instance;
    private static readonly CipherSuiteInfo Suite = CipherSuites.Get(CipherSuite.TLS_AES_128_GCM_SHA256);
    private static readonly byte[] ClientApplicationSecret = Hex.Parse("9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52 87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 04 a5");
    private static readonly byte[] ServerApplicationSecret = Hex.Parse("a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32 82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 43");

    private static readonly byte[] ClientRecord = Hex.Parse(
        "17 03 03 00 43 a2 3f 70 54 b6 2c 94 d0 af fa fe 82 28 ba 55 cb ef ac ea 42 f9 14 aa 66 bc ab 3f 2b" +
        "98 19 a8 a5 b4 6b 39 5b d5 4a 9a 20 44 1e 2b 62 97 4e 1f 5a 62 92 a2 97 70 14 bd 1e 3d ea e6 3a ee bb 21 69 49 15 e4");

    // Sent by the server after its NewSessionTicket, so with sequence number 1.
    private static readonly byte[] ServerRecord = Hex.Parse(
        "17 03 03 00 43 2e 93 7e 11 ef 4a c7 40 e5 38 ad 36 00 5f c4 a4 69 32 fc 32 25 d0 5f 82 aa 1b 36 e3 0e fa f9" +
        "7d 90 e6 df fc 60 2d cb 50 1a 59 a8 fc c4 9c 4b f2 e5 f0 a2 1c 00 47 c2 ab f3 32 54 0d d0 32 e1 67 c2 95 5d");

    private static byte[] Payload => [.. Enumerable.Range(0, 0x32).Select(i => (byte)i)];

    [Fact]
    public void ClientApplicationRecordIsReproducedExactly()
    {
        using var protection = new Tls13RecordProtection(Crypto, Suite, ClientApplicationSecret);
        var record = new byte[ClientRecord.Length];
        int n = protection.Seal(ContentType.ApplicationData, Payload, paddingLength: 0, record);
        Assert.Equal(ClientRecord.Length, n);
        Assert.Equal(ClientRecord, record);
        Assert.Equal(1UL, protection.SequenceNumber);
    }

    [Fact]
    public void ServerApplicationRecordOpensWithSequenceNumberOne()
    {
        using var protection = new Tls13RecordProtection(Crypto, Suite, ServerApplicationSecret);
        Assert.Throws<TlsException>(() => protection.Open(ServerRecord.AsSpan(0, 5), ServerRecord.AsSpan(5).ToArray(), 16384));

        using var second = new Tls13RecordProtection(Crypto, Suite, ServerApplicationSecret);
        var sealedAtZero = new byte[ServerRecord.Length];
        second.Seal(ContentType.Handshake, new byte[50], 0, sealedAtZero);  // advance to seq 1
        var payload = ServerRecord.AsSpan(5).ToArray();
        var (type, length) = second.Open(ServerRecord.AsSpan(0, 5), payload, 16384);
        Assert.Equal(ContentType.ApplicationData, type);
        Assert.Equal(Payload, payload.AsSpan(0, length).ToArray());
    }

    [Fact]
    public void AnyFlippedBitFailsWithBadRecordMac()
    {
        for (int bit = 0; bit < (ClientRecord.Length - 5) * 8; bit += 37)
        {
            using var protection = new Tls13RecordProtection(Crypto, Suite, ClientApplicationSecret);
            var payload = ClientRecord.AsSpan(5).ToArray();
            payload[bit / 8] ^= (byte)(1 << (bit % 8));
            var ex = Assert.Throws<TlsException>(() => protection.Open(ClientRecord.AsSpan(0, 5), payload, 16384));
            Assert.Equal(AlertDescription.BadRecordMac, ex.Alert);
        }

        // The header is authenticated too.
        using var p2 = new Tls13RecordProtection(Crypto, Suite, ClientApplicationSecret);
        var header = ClientRecord.AsSpan(0, 5).ToArray();
        header[2] = 0x01;
        Assert.Equal(AlertDescription.BadRecordMac, Assert.Throws<TlsException>(() => p2.Open(header, ClientRecord.AsSpan(5).ToArray(), 16384)).Alert);
    }

    [Fact]
    public void PaddingIsStrippedAndAllZeroPlaintextIsRejected()
    {
        using var sender = new Tls13RecordProtection(Crypto, Suite, ClientApplicationSecret);
        using var receiver = new Tls13RecordProtection(Crypto, Suite, ClientApplicationSecret);
        var record = new byte[5 + 3 + 1 + 100 + 16];
        int n = sender.Seal(ContentType.Alert, [1, 0, 0], paddingLength: 100, record);
        var payload = record.AsSpan(5, n - 5).ToArray();
        var (type, length) = receiver.Open(record.AsSpan(0, 5), payload, 16384);
        Assert.Equal(ContentType.Alert, type);
        Assert.Equal(new byte[] { 1, 0, 0 }, payload.AsSpan(0, length).ToArray());

        // A record whose inner plaintext is all zeros has no content type (§5.4).
        using var zeroSender = new Tls13RecordProtection(Crypto, Suite, ServerApplicationSecret);
        using var zeroReceiver = new Tls13RecordProtection(Crypto, Suite, ServerApplicationSecret);
        var zero = new byte[5 + 10 + 16];
        zeroSender.Seal((ContentType)0, new byte[9], 0, zero);
        var ex = Assert.Throws<TlsException>(() => zeroReceiver.Open(zero.AsSpan(0, 5), zero.AsSpan(5).ToArray(), 16384));
        Assert.Equal(AlertDescription.UnexpectedMessage, ex.Alert);
    }

    [Fact]
    public void OversizedPlaintextIsRecordOverflow()
    {
        using var sender = new Tls13RecordProtection(Crypto, Suite, ClientApplicationSecret);
        using var receiver = new Tls13RecordProtection(Crypto, Suite, ClientApplicationSecret);
        var record = new byte[5 + 200 + 1 + 16];
        sender.Seal(ContentType.ApplicationData, new byte[200], 0, record);
        var ex = Assert.Throws<TlsException>(() => receiver.Open(record.AsSpan(0, 5), record.AsSpan(5).ToArray(), maxPlaintext: 100));
        Assert.Equal(AlertDescription.RecordOverflow, ex.Alert);
    }
}
