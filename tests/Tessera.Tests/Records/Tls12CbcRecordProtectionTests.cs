using System.Security.Cryptography;
using Tessera.Crypto;
using Tessera.Messages;
using Tessera.Records;

namespace Tessera.Tests.Records;

/// <summary>TLS 1.2 AES-CBC + HMAC records, encrypt_then_mac and MAC-then-encrypt: round trips, and one answer for every kind of damage.</summary>
public sealed class Tls12CbcRecordProtectionTests
{
    public static TheoryData<CipherSuite, bool> Suites()
    {
        var data = new TheoryData<CipherSuite, bool>();
        foreach (var suite in new[] { CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384, CipherSuite.TLS_RSA_WITH_AES_256_CBC_SHA256 })
        {
            data.Add(suite, true);
            data.Add(suite, false);
        }

        return data;
    }

    private static (Tls12CbcRecordProtection Writer, Tls12CbcRecordProtection Reader) Pair(CipherSuite code, bool etm)
    {
        var suite = CipherSuites.Get(code);
        var macKey = RandomNumberGenerator.GetBytes(suite.MacLength);
        var key = RandomNumberGenerator.GetBytes(suite.KeyLength);
        return (new Tls12CbcRecordProtection(DefaultCryptoProvider.Instance, suite, macKey, key, etm),
                new Tls12CbcRecordProtection(DefaultCryptoProvider.Instance, suite, macKey, key, etm));
    }

    private static byte[] Seal(Tls12CbcRecordProtection writer, ContentType type, byte[] content)
    {
        var record = new byte[writer.Overhead + content.Length];
        return record[..writer.Seal(type, content, 0, record)];
    }

    private static byte[] Open(Tls12CbcRecordProtection reader, byte[] record, int maxPlaintext = 16384)
    {
        var payload = record[5..];
        var (type, length) = reader.Open(record.AsSpan(0, 5), payload, maxPlaintext, out int offset);
        Assert.Equal((ContentType)record[0], type);
        return payload.AsSpan(offset, length).ToArray();
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void EveryLengthRoundTripsWithAFreshIvAndWholeBlocks(CipherSuite suite, bool etm)
    {
        var (writer, reader) = Pair(suite, etm);
        using var _ = writer;
        using var __ = reader;
        int macLength = CipherSuites.Get(suite).MacLength;
        for (int length = 0; length <= 70; length++)
        {
            var content = RandomNumberGenerator.GetBytes(length);
            var record = Seal(writer, ContentType.ApplicationData, content);
            int body = record.Length - 5 - 16 - (etm ? macLength : 0);
            Assert.Equal(0, body % 16);
            Assert.Equal(content, Open(reader, record));
        }

        var a = Seal(writer, ContentType.ApplicationData, new byte[32]);
        var b = Seal(writer, ContentType.ApplicationData, new byte[32]);
        Assert.NotEqual(a.AsSpan(5, 16).ToArray(), b.AsSpan(5, 16).ToArray());   // explicit IVs differ
        Assert.Equal(2UL + 71, writer.SequenceNumber);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Tls10ChainsTheIvAcrossRecordsAndSendsNone(bool etm)
    {
        // RFC 2246 §6.2.3.2: the first IV comes from the key block, each next one is the previous record's last
        // ciphertext block; so the records' ciphertexts are one CBC stream over the padded plaintexts.
        var suite = CipherSuites.Get(CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA);
        var macKey = RandomNumberGenerator.GetBytes(20);
        var key = RandomNumberGenerator.GetBytes(16);
        var iv = RandomNumberGenerator.GetBytes(16);
        using var writer = new Tls12CbcRecordProtection(DefaultCryptoProvider.Instance, suite, macKey, key, etm, 0x0301, iv);
        using var reader = new Tls12CbcRecordProtection(DefaultCryptoProvider.Instance, suite, macKey, key, etm, 0x0301, iv);
        using var aes = Aes.Create();
        aes.Key = key;
        var previous = iv;
        foreach (int length in new[] { 1, 31, 100, 0, 16 })
        {
            var content = RandomNumberGenerator.GetBytes(length);
            var record = Seal(writer, ContentType.ApplicationData, content);
            Assert.Equal(0x0301, (record[1] << 8) | record[2]);
            var ciphertext = record.AsSpan(5, record.Length - 5 - (etm ? 20 : 0)).ToArray();
            Assert.Equal(0, ciphertext.Length % 16);
            var plain = aes.DecryptCbc(ciphertext, previous, PaddingMode.None);   // decrypts with the chained IV, not one in the record
            Assert.Equal(content, plain.AsSpan(0, length).ToArray());
            previous = ciphertext[^16..];
            Assert.Equal(content, Open(reader, record));
        }
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void EveryFlippedBitIsTheSameBadRecordMac(CipherSuite suite, bool etm)
    {
        var content = RandomNumberGenerator.GetBytes(40);
        string? reason = null;
        for (int bit = 0; bit < 8 * 101; bit += 7)
        {
            var (writer, reader) = Pair(suite, etm);
            using var _ = writer;
            using var __ = reader;
            var record = Seal(writer, ContentType.ApplicationData, content);
            int index = 5 + (bit / 8 % (record.Length - 5));
            record[index] ^= (byte)(1 << (bit % 8));
            var error = Assert.Throws<TlsException>(() => Open(reader, record));
            Assert.Equal(AlertDescription.BadRecordMac, error.Alert);
            reason ??= error.Reason;
            Assert.Equal(reason, error.Reason);   // padding, MAC, IV: one answer
        }
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 1)]
    [InlineData(true, 5)]
    [InlineData(true, 16)]
    public void MacThenEncryptRejectsABadPaddingWithAGoodMacAsABadMac(bool corrupt, int fromEnd)
    {
        // A record whose MAC is right: with intact padding it opens; with one padding byte off, only the padding check can catch it.
        var suite = CipherSuites.Get(CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA);
        var macKey = RandomNumberGenerator.GetBytes(20);
        var key = RandomNumberGenerator.GetBytes(16);
        using var reader = new Tls12CbcRecordProtection(DefaultCryptoProvider.Instance, suite, macKey, key, encryptThenMac: false);
        var content = "twelve bytes"u8.ToArray();
        byte[] macInput = [0, 0, 0, 0, 0, 0, 0, 0, 23, 3, 3, 0, (byte)content.Length, .. content];
        var mac = HMACSHA1.HashData(macKey, macInput);
        byte[] plain = [.. content, .. mac, .. Enumerable.Repeat((byte)15, 16)];   // 12 + 20 + 16 = 48
        if (corrupt)
        {
            plain[^fromEnd] ^= 0x40;
        }

        var iv = RandomNumberGenerator.GetBytes(16);
        using var aes = Aes.Create();
        aes.Key = key;
        var ciphertext = aes.EncryptCbc(plain, iv, PaddingMode.None);
        byte[] record = [23, 3, 3, 0, (byte)(16 + ciphertext.Length), .. iv, .. ciphertext];
        if (!corrupt)
        {
            Assert.Equal(content, Open(reader, record));
            return;
        }

        var error = Assert.Throws<TlsException>(() => Open(reader, record));
        Assert.Equal(AlertDescription.BadRecordMac, error.Alert);
        Assert.Equal("record failed authentication", error.Reason);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TruncatedOrUnalignedRecordsAreBadRecordMac(bool etm)
    {
        var (writer, reader) = Pair(CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, etm);
        using var _ = writer;
        using var __ = reader;
        var record = Seal(writer, ContentType.ApplicationData, new byte[20]);
        foreach (int cut in new[] { 1, 15, 16, record.Length - 5 - 1 })
        {
            var shorter = record[..^cut];
            shorter[3] = (byte)((shorter.Length - 5) >> 8);
            shorter[4] = (byte)(shorter.Length - 5);
            Assert.Equal(AlertDescription.BadRecordMac, Assert.Throws<TlsException>(() => Open(reader, shorter)).Alert);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AnOversizedPlaintextIsRecordOverflow(bool etm)
    {
        var (writer, reader) = Pair(CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, etm);
        using var _ = writer;
        using var __ = reader;
        var record = Seal(writer, ContentType.ApplicationData, new byte[600]);
        Assert.Equal(AlertDescription.RecordOverflow, Assert.Throws<TlsException>(() => Open(reader, record, maxPlaintext: 512)).Alert);
    }
}
