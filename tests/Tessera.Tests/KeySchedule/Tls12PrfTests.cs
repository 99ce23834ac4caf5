using Tessera.Crypto;
using Tessera.KeySchedule;
using Tessera.Messages;
using Tessera.Records;

namespace Tessera.Tests.KeySchedule;

public sealed class Tls12PrfTests
{
    private static readonly ICryptoProvider Crypto = DefaultCryptoProvider.Instance;

    [Fact]
    public void PrfSha256MatchesThePublishedVector()
    {
        var output = Tls12Prf.Compute(Crypto, TlsHashAlgorithm.Sha256, Hex.Parse("9b be 43 6b a9 40 f0 17 b1 76 52 84 9a 71 db 35"),
            "test label", Hex.Parse("a0 ba 9f 93 6c da 31 18 27 a6 f7 96 ff d5 19 8c"), 100);
        Assert.Equal(Hex.Parse(
            "e3 f2 29 ba 72 7b e1 7b 8d 12 26 20 55 7c d4 53 c2 aa b2 1d 07 c3 d4 95 32 9b 52 d4 e6 1e db 5a" +
            "6b 30 17 91 e9 0d 35 c9 c9 a4 6b 4e 14 ba f9 af 0f a0 22 f7 07 7d ef 17 ab fd 37 97 c0 56 4b ab" +
            "4f bc 91 66 6e 9d ef 9b 97 fc e3 4f 79 67 89 ba a4 80 82 d1 22 ee 42 c5 a7 2e 5a 51 10 ff f7 01 87 34 7b 66"), output);
    }

    [Fact]
    public void PrfOutputIsAPrefixWhateverTheLength()
    {
        var secret = new byte[48];
        var seed = new byte[64];
        var longer = Tls12Prf.Compute(Crypto, TlsHashAlgorithm.Sha384, secret, "key expansion", seed, 200);
        for (int n = 1; n < 200; n += 13)
        {
            Assert.Equal(longer[..n], Tls12Prf.Compute(Crypto, TlsHashAlgorithm.Sha384, secret, "key expansion", seed, n));
        }

        Assert.NotEqual(longer[..48], Tls12Prf.Compute(Crypto, TlsHashAlgorithm.Sha256, secret, "key expansion", seed, 48));
    }

    [Theory]
    [InlineData(CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)]
    [InlineData(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384)]
    [InlineData(CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256)]
    public void Tls12AeadRecordsRoundTripAndAuthenticateTheHeader(CipherSuite suite)
    {
        var info = CipherSuites.Get(suite);
        var key = new byte[info.KeyLength];
        var iv = new byte[info.FixedIvLength12];
        new Random(1).NextBytes(key);
        new Random(2).NextBytes(iv);
        using var sender = new Tls12AeadRecordProtection(Crypto, info, key, iv);
        using var receiver = new Tls12AeadRecordProtection(Crypto, info, key, iv);
        for (int i = 0; i < 3; i++)
        {
            var content = Enumerable.Range(0, 100 + i).Select(b => (byte)b).ToArray();
            var record = new byte[sender.Overhead + content.Length];
            int n = sender.Seal(ContentType.ApplicationData, content, 0, record);
            Assert.Equal(record.Length, n);
            Assert.Equal((byte)ContentType.ApplicationData, record[0]);   // the real type is visible in 1.2
            Assert.Equal(5 + info.RecordIvLength12 + content.Length + 16, n);
            var payload = record.AsSpan(5).ToArray();
            var (type, length) = receiver.Open(record.AsSpan(0, 5), payload, 16384, out int offset);
            Assert.Equal(ContentType.ApplicationData, type);
            Assert.Equal(content, payload.AsSpan(offset, length).ToArray());
        }

        // The type in the header is authenticated: relabelling a record breaks it.
        var plain = new byte[sender.Overhead + 10];
        sender.Seal(ContentType.ApplicationData, new byte[10], 0, plain);
        plain[0] = (byte)ContentType.Handshake;
        var ex = Assert.Throws<TlsException>(() => receiver.Open(plain.AsSpan(0, 5), plain.AsSpan(5).ToArray(), 16384, out _));
        Assert.Equal(AlertDescription.BadRecordMac, ex.Alert);
    }
}
