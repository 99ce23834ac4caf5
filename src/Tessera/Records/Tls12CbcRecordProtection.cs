using System.Buffers.Binary;
using System.Security.Cryptography;
using Tessera.Crypto;
using Tessera.Messages;

namespace Tessera.Records;

/// <summary>
/// TLS 1.0–1.2 AES-CBC records with an HMAC (RFC 5246 §6.2.3.2; legacy, opt-in): in TLS 1.1 and 1.2 a
/// fresh random 16-byte IV in every record; in TLS 1.0 (RFC 2246 §6.2.3.2) none is sent: the first comes
/// from the key block and each later one is the previous record's last ciphertext block. With encrypt_then_mac (RFC 7366) the MAC covers the IV and ciphertext and is checked
/// before anything is decrypted. Without it (MAC-then-encrypt) the padding and MAC checks do not branch
/// on the padding and always hash the same number of bytes for a given record length, and a bad
/// padding and a bad MAC give the same alert and the same reason (the Lucky Thirteen lesson).
/// </summary>
internal sealed class Tls12CbcRecordProtection : IRecordProtection
{
    private const int BlockSize = 16;

    private readonly ICryptoProvider _crypto;
    private readonly ICbcCipher _cipher;
    private readonly IRecordMac _mac;
    private readonly bool _encryptThenMac;
    private readonly byte[] _pseudoHeader = new byte[13];
    private readonly byte[] _expectedMac;
    private readonly byte[] _iv = new byte[BlockSize];
    private readonly ushort _recordVersion;
    private readonly bool _explicitIv;

    /// <param name="crypto">The primitives.</param>
    /// <param name="suite">A CBC suite.</param>
    /// <param name="macKey">The direction's MAC key.</param>
    /// <param name="key">The direction's AES key.</param>
    /// <param name="encryptThenMac">RFC 7366 was negotiated.</param>
    /// <param name="recordVersion">The negotiated version, written in headers and MACed.</param>
    /// <param name="implicitIv">TLS 1.0: the first IV, from the key block; empty for explicit IVs.</param>
    public Tls12CbcRecordProtection(ICryptoProvider crypto, CipherSuiteInfo suite, ReadOnlySpan<byte> macKey, ReadOnlySpan<byte> key, bool encryptThenMac,
        ushort recordVersion = RecordConstants.LegacyRecordVersion, ReadOnlySpan<byte> implicitIv = default)
    {
        _crypto = crypto;
        _cipher = crypto.CreateAesCbc(key);
        _mac = crypto.CreateRecordMac(suite.Mac, macKey);
        _encryptThenMac = encryptThenMac;
        _expectedMac = new byte[_mac.MacLength];
        _recordVersion = recordVersion;
        _explicitIv = implicitIv.IsEmpty;
        if (!_explicitIv)
        {
            implicitIv.CopyTo(_iv);
        }
    }

    /// <summary>Bytes of IV carried in each record: 16, or none in TLS 1.0.</summary>
    private int RecordIvLength => _explicitIv ? BlockSize : 0;

    public bool HidesContentType => false;

    public int MaxCiphertextLength => RecordConstants.MaxPlaintextLength + 2048;

    public ulong SequenceNumber { get; private set; }

    public int Overhead => RecordConstants.HeaderLength + RecordIvLength + _mac.MacLength + BlockSize;

    public bool EncryptThenMac => _encryptThenMac;

    public int Seal(ContentType type, ReadOnlySpan<byte> content, int paddingLength, Span<byte> destination)
    {
        int macLength = _mac.MacLength;
        int ivLength = RecordIvLength;
        int encrypted = _encryptThenMac ? content.Length : content.Length + macLength;
        int pad = BlockSize - (encrypted % BlockSize);        // 1..16 bytes, each holding pad - 1
        int cipherLength = encrypted + pad;
        int length = ivLength + cipherLength + (_encryptThenMac ? macLength : 0);
        destination[0] = (byte)type;
        BinaryPrimitives.WriteUInt16BigEndian(destination[1..], _recordVersion);
        BinaryPrimitives.WriteUInt16BigEndian(destination[3..], (ushort)length);
        var body = destination.Slice(RecordConstants.HeaderLength, length);
        if (_explicitIv)
        {
            _crypto.GetRandomBytes(_iv);
            _iv.CopyTo(body);
        }

        var block = body.Slice(ivLength, cipherLength);
        content.CopyTo(block);
        if (!_encryptThenMac)
        {
            // MAC-then-encrypt: MAC(seq ‖ type ‖ version ‖ length ‖ content), then pad and encrypt all of it.
            WritePseudoHeader(type, _recordVersion, content.Length);
            _mac.Append(_pseudoHeader);
            _mac.Append(content);
            _mac.GetMacAndReset(block.Slice(content.Length, macLength));
        }

        block[encrypted..].Fill((byte)(pad - 1));
        _cipher.Encrypt(_iv, block, block);
        block[^BlockSize..].CopyTo(_iv);   // TLS 1.0 chains into the next record; elsewhere overwritten
        if (_encryptThenMac)
        {
            // RFC 7366 §3: MAC(seq ‖ type ‖ version ‖ length of IV + ciphertext ‖ IV ‖ ciphertext).
            WritePseudoHeader(type, _recordVersion, ivLength + cipherLength);
            _mac.Append(_pseudoHeader);
            _mac.Append(body[..(ivLength + cipherLength)]);
            _mac.GetMacAndReset(body.Slice(ivLength + cipherLength, macLength));
        }

        SequenceNumber++;
        return RecordConstants.HeaderLength + length;
    }

    public (ContentType Type, int Length) Open(ReadOnlySpan<byte> header, Span<byte> payload, int maxPlaintext, out int contentOffset)
    {
        contentOffset = RecordIvLength;
        var type = (ContentType)header[0];
        ushort version = BinaryPrimitives.ReadUInt16BigEndian(header[1..]);
        int contentLength = _encryptThenMac ? OpenEncryptThenMac(type, version, payload) : OpenMacThenEncrypt(type, version, payload);
        if (contentLength > maxPlaintext)
        {
            throw new TlsException(AlertDescription.RecordOverflow, $"record plaintext of {contentLength} bytes exceeds the limit of {maxPlaintext}");
        }

        SequenceNumber++;
        return (type, contentLength);
    }

    private int OpenEncryptThenMac(ContentType type, ushort version, Span<byte> payload)
    {
        int macLength = _mac.MacLength;
        int ivLength = RecordIvLength;
        int cipherLength = payload.Length - ivLength - macLength;
        if (cipherLength < BlockSize || cipherLength % BlockSize != 0)
        {
            throw BadRecord();
        }

        WritePseudoHeader(type, version, ivLength + cipherLength);
        _mac.Append(_pseudoHeader);
        _mac.Append(payload[..(ivLength + cipherLength)]);
        _mac.GetMacAndReset(_expectedMac);
        if (!CryptographicOperations.FixedTimeEquals(_expectedMac, payload.Slice(ivLength + cipherLength, macLength)))
        {
            throw BadRecord();
        }

        // Authenticated: the padding can be checked plainly now.
        var block = payload.Slice(ivLength, cipherLength);
        DecryptBlocks(payload, block);
        int pad = block[^1];
        if (pad + 1 > cipherLength)
        {
            throw BadRecord();
        }

        for (int i = cipherLength - 1 - pad; i < cipherLength; i++)
        {
            if (block[i] != pad)
            {
                throw BadRecord();
            }
        }

        return cipherLength - pad - 1;
    }

    private int OpenMacThenEncrypt(ContentType type, ushort version, Span<byte> payload)
    {
        int macLength = _mac.MacLength;
        int cipherLength = payload.Length - RecordIvLength;
        if (cipherLength < macLength + 1 || cipherLength < BlockSize || cipherLength % BlockSize != 0)
        {
            throw BadRecord();
        }

        var block = payload.Slice(RecordIvLength, cipherLength);
        DecryptBlocks(payload, block);

        // Padding: check up to 256 trailing bytes whatever the claimed length, without branching on it.
        int pad = block[^1];
        int good = ConstantTimeLessOrEqual(pad + 1 + macLength, cipherLength);
        int toCheck = Math.Min(256, cipherLength);
        for (int i = 0; i < toCheck; i++)
        {
            int inPadding = ConstantTimeLessOrEqual(i, pad);
            int matches = ConstantTimeIsZero(block[cipherLength - 1 - i] ^ pad);
            good &= ~inPadding | matches;
        }

        good &= 1;
        pad &= -good;                                    // a bad padding counts as none, so the MAC still runs
        int contentLength = cipherLength - macLength - pad - (good & 1);
        contentLength = Math.Max(0, Math.Min(contentLength, cipherLength - macLength));

        // MAC(seq ‖ type ‖ version ‖ length ‖ content), then absorb the padding too, so that the hash sees
        // cipherLength - macLength (+ 13) bytes whatever the padding was.
        WritePseudoHeader(type, version, contentLength);
        _mac.Append(_pseudoHeader);
        _mac.Append(block[..contentLength]);
        _mac.GetCurrentMac(_expectedMac);
        _mac.Append(block.Slice(contentLength + macLength, cipherLength - macLength - contentLength));
        Span<byte> discard = stackalloc byte[48];
        _mac.GetMacAndReset(discard[..macLength]);

        bool macOk = CryptographicOperations.FixedTimeEquals(_expectedMac, block.Slice(contentLength, macLength));
        if (!macOk | good != 1)
        {
            throw BadRecord();
        }

        return contentLength;
    }

    /// <summary>Decrypts in place with the record's IV (TLS 1.1/1.2) or the chained one (TLS 1.0), keeping the chain going.</summary>
    private void DecryptBlocks(ReadOnlySpan<byte> payload, Span<byte> block)
    {
        Span<byte> nextIv = stackalloc byte[BlockSize];
        block[^BlockSize..].CopyTo(nextIv);
        if (_explicitIv)
        {
            payload[..BlockSize].CopyTo(_iv);
        }

        _cipher.Decrypt(_iv, block, block);
        nextIv.CopyTo(_iv);
    }

    /// <summary>Bad padding and bad MAC are indistinguishable on the wire and in the message (RFC 5246 §6.2.3.2).</summary>
    private static TlsException BadRecord() => new(AlertDescription.BadRecordMac, "record failed authentication");

    /// <summary>1 when a ≤ b, else 0, for 0 ≤ a, b &lt; 2^30, without a branch.</summary>
    private static int ConstantTimeLessOrEqual(int a, int b) => (int)((uint)(a - b - 1) >> 31);

    private static int ConstantTimeIsZero(int x) => (int)((uint)(x - 1) >> 31) & (int)(~(uint)x >> 31);

    private void WritePseudoHeader(ContentType type, ushort version, int length)
    {
        BinaryPrimitives.WriteUInt64BigEndian(_pseudoHeader, SequenceNumber);
        _pseudoHeader[8] = (byte)type;
        BinaryPrimitives.WriteUInt16BigEndian(_pseudoHeader.AsSpan(9), version);
        BinaryPrimitives.WriteUInt16BigEndian(_pseudoHeader.AsSpan(11), (ushort)length);
    }

    public bool CanOpenTo => false;

    public (ContentType Type, int Length) OpenTo(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload, int maxPlaintext, Span<byte> destination) =>
        throw new NotSupportedException("CBC records are opened in place.");

    public void Dispose()
    {
        _cipher.Dispose();
        _mac.Dispose();
        Array.Clear(_expectedMac);
        Array.Clear(_iv);
    }
}
