using Tessera.Crypto;
using Tessera.Messages;
using Tessera.Records;

namespace Tessera.Fuzz.Targets;

/// <summary>
/// The record layer's reader: headers, lengths and limits, and (with read keys) the opening of TLS 1.3 inner
/// plaintexts and TLS 1.2 AEAD and CBC records. The first byte picks the protection; each chunk then either appends
/// raw bytes to the input or has a writer with the same keys seal the chunk (as a record of any content type, with
/// padding, and optionally with one byte of the sealed record flipped), so the fuzzer reaches the checks that come
/// after decryption: content type, padding, MAC, plaintext limits.
/// </summary>
public sealed class RecordLayerTarget : IFuzzTarget
{
    private static readonly byte[] Secret = [.. Enumerable.Range(1, 48).Select(i => (byte)i)];

    /// <inheritdoc />
    public string Name => "record";

    /// <inheritdoc />
    public string Description => "record parser and record protection (TLS 1.3 AEAD, TLS 1.2 AEAD and CBC, MAC-then-encrypt and encrypt-then-MAC)";

    /// <inheritdoc />
    public void Run(ReadOnlySpan<byte> input)
    {
        var fuzz = new FuzzInput(input);
        byte config = fuzz.NextByte();
        using var sink = new ByteQueue();
        using var reader = new StreamRecordLayer(null) { PlaintextSink = (config & 0x80) != 0 ? sink : null };
        using var writer = new StreamRecordLayer(null);
        int protection = config & 0x07;
        if (protection != 0)
        {
            reader.SetReadProtection(Protection(protection));
            writer.SetWriteProtection(Protection(protection));
        }

        if ((config & 0x08) != 0)
        {
            reader.MaxReadPlaintext = 1 + (config & 0x70);   // a small record_size_limit of ours
        }

        try
        {
            while (fuzz.TryNextChunk(out byte op, out var data))
            {
                if ((op & 1) == 0 || protection == 0)
                {
                    reader.AppendInput(data);
                }
                else
                {
                    writer.PaddingBlockSize = (op >> 5) * 16;
                    writer.Write((ContentType)(op >> 1 & 0x0F), data);
                    var sealedRecords = writer.Output.WritableSpan;
                    if ((op & 0x80) != 0 && sealedRecords.Length > 0 && data.Length > 0)
                    {
                        sealedRecords[data[0] % sealedRecords.Length] ^= (byte)(1 | data[^1]);
                    }

                    reader.AppendInput(sealedRecords);
                    writer.Output.Clear();
                }

                while (reader.TryReadRecord(out var record))
                {
                    _ = reader.ContentOf(record);
                    reader.ConsumeRecord();
                }
            }
        }
        catch (TlsException ex)
        {
            Expect.PeerInputAlert(ex);
        }

        if (reader.BufferBytesHeld > 4 * (RecordConstants.HeaderLength + RecordConstants.MaxCiphertextLength13) + input.Length)
        {
            throw new FuzzFinding($"the record layer holds {reader.BufferBytesHeld} bytes after {input.Length} bytes of input");
        }
    }

    private static IRecordProtection Protection(int kind)
    {
        var crypto = DefaultCryptoProvider.Instance;
        return kind switch
        {
            1 => new Tls13RecordProtection(crypto, CipherSuites.Get(CipherSuite.TLS_AES_128_GCM_SHA256), Secret.AsSpan(0, 32)),
            2 => new Tls13RecordProtection(crypto, CipherSuites.Get(CipherSuite.TLS_CHACHA20_POLY1305_SHA256), Secret.AsSpan(0, 32)),
            3 => new Tls12AeadRecordProtection(crypto, CipherSuites.Get(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256), Secret.AsSpan(0, 16), Secret.AsSpan(16, 4)),
            4 => new Tls12AeadRecordProtection(crypto, CipherSuites.Get(CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256), Secret.AsSpan(0, 32), Secret.AsSpan(16, 12)),
            5 => new Tls12CbcRecordProtection(crypto, CipherSuites.Get(CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA), Secret.AsSpan(0, 20), Secret.AsSpan(20, 16), encryptThenMac: false),
            6 => new Tls12CbcRecordProtection(crypto, CipherSuites.Get(CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA), Secret.AsSpan(0, 20), Secret.AsSpan(20, 16), encryptThenMac: true),
            _ => new Tls12CbcRecordProtection(crypto, CipherSuites.Get(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256), Secret.AsSpan(0, 32), Secret.AsSpan(32, 16), encryptThenMac: false,
                RecordConstants.LegacyRecordVersion),
        };
    }
}
