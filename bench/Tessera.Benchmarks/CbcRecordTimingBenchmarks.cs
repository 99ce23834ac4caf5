using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Tessera.Crypto;
using Tessera.Messages;
using Tessera.Records;

namespace Tessera.Benchmarks;

/// <summary>
/// Lucky Thirteen check for MAC-then-encrypt CBC records (RFC 5246 §6.2.3.2): opening a record whose MAC is
/// wrong must take the same time whether its padding is short, long, or invalid, since the time would tell
/// an attacker how much was hashed. The report to read is the ratio between the three rejection cases
/// (1.00 ± noise). No record here ever opens, so the reader's sequence number stays 0 throughout; encrypt-then-MAC, for
/// comparison, rejects before decrypting anything.
/// </summary>
[MemoryDiagnoser]
public class CbcRecordTimingBenchmarks
{
    private const int ContentLength = 1024;
    private const int RecordPlaintext = 1312;   // content + 32-byte MAC + padding: every forged record has the same length
    private readonly CipherSuiteInfo _suite = CipherSuites.Get(CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256);
    private readonly byte[] _macKey = RandomNumberGenerator.GetBytes(32);
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(16);
    private readonly byte[] _scratch = new byte[4096];
    private Tls12CbcRecordProtection _reader = null!;
    private byte[] _badMacShortPadding = [];
    private byte[] _badMacLongPadding = [];
    private byte[] _badPadding = [];
    private byte[] _badMacEncryptThenMac = [];
    private Tls12CbcRecordProtection _etmReader = null!;

    [GlobalSetup]
    public void Setup()
    {
        _reader = new Tls12CbcRecordProtection(DefaultCryptoProvider.Instance, _suite, _macKey, _key, encryptThenMac: false);
        _etmReader = new Tls12CbcRecordProtection(DefaultCryptoProvider.Instance, _suite, _macKey, _key, encryptThenMac: true);
        _badMacShortPadding = Forge(padding: 16, macOk: false, paddingOk: true);
        _badMacLongPadding = Forge(padding: 256, macOk: false, paddingOk: true);
        _badPadding = Forge(padding: 256, macOk: true, paddingOk: false);
        if (_badMacShortPadding.Length != _badMacLongPadding.Length || _badPadding.Length != _badMacLongPadding.Length)
        {
            throw new InvalidOperationException("the forged records must all have one length");
        }

        using var etmWriter = new Tls12CbcRecordProtection(DefaultCryptoProvider.Instance, _suite, _macKey, _key, encryptThenMac: true);
        var record = new byte[etmWriter.Overhead + ContentLength];
        int n = etmWriter.Seal(ContentType.ApplicationData, new byte[ContentLength], 0, record);
        record[n - 1] ^= 1;
        _badMacEncryptThenMac = record[..n];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _reader.Dispose();
        _etmReader.Dispose();
    }

    /// <summary>
    /// A MAC-then-encrypt record at sequence number 0, <see cref="RecordPlaintext"/> bytes before encryption whatever the
    /// padding (the attacker of Lucky Thirteen keeps the length and varies the padding), under a random IV.
    /// </summary>
    private byte[] Forge(int padding, bool macOk, bool paddingOk)
    {
        int contentLength = RecordPlaintext - 32 - padding;
        var content = RandomNumberGenerator.GetBytes(contentLength);
        byte[] macInput = [0, 0, 0, 0, 0, 0, 0, 0, 23, 3, 3, (byte)(contentLength >> 8), (byte)contentLength, .. content];
        var mac = HMACSHA256.HashData(_macKey, macInput);
        if (!macOk)
        {
            mac[0] ^= 1;
        }

        var plain = new byte[RecordPlaintext];
        content.CopyTo(plain, 0);
        mac.CopyTo(plain, contentLength);
        plain.AsSpan(contentLength + 32).Fill((byte)(padding - 1));
        if (!paddingOk)
        {
            plain[^2] ^= 0x55;
        }

        var iv = RandomNumberGenerator.GetBytes(16);
        using var aes = Aes.Create();
        aes.Key = _key;
        var ciphertext = aes.EncryptCbc(plain, iv, PaddingMode.None);
        int length = 16 + ciphertext.Length;
        return [23, 3, 3, (byte)(length >> 8), (byte)length, .. iv, .. ciphertext];
    }

    private static bool Open(Tls12CbcRecordProtection reader, byte[] record, byte[] scratch)
    {
        record.AsSpan(5).CopyTo(scratch);
        try
        {
            reader.Open(record.AsSpan(0, 5), scratch.AsSpan(0, record.Length - 5), 16384, out _);
            return true;
        }
        catch (TlsException)
        {
            return false;
        }
    }

    [Benchmark(Baseline = true, Description = "MtE, bad MAC, 16-byte padding")]
    public bool BadMacShortPadding() => Open(_reader, _badMacShortPadding, _scratch);

    [Benchmark(Description = "MtE, bad MAC, 256-byte padding")]
    public bool BadMacLongPadding() => Open(_reader, _badMacLongPadding, _scratch);

    [Benchmark(Description = "MtE, bad padding")]
    public bool BadPadding() => Open(_reader, _badPadding, _scratch);

    [Benchmark(Description = "EtM, bad MAC")]
    public bool EncryptThenMacBadMac() => Open(_etmReader, _badMacEncryptThenMac, _scratch);
}
