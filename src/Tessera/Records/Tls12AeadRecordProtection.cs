using System.Buffers.Binary;
using Tessera.Crypto;
using Tessera.Messages;

namespace Tessera.Records;

/// <summary>
/// TLS 1.2 AEAD records (RFC 5246 §6.2.3.3): AES-GCM with a 4-byte fixed IV and an 8-byte explicit
/// nonce in every record (RFC 5288; the explicit part is the sequence number), ChaCha20-Poly1305 with
/// a 12-byte IV XORed with the sequence number and no explicit nonce (RFC 7905). Additional data:
/// seq_num + type + version + plaintext length.
/// </summary>
internal sealed class Tls12AeadRecordProtection : IRecordProtection
{
    private readonly IAead _aead;
    private readonly byte[] _fixedIv;
    private readonly byte[] _nonce = new byte[12];
    private readonly byte[] _additionalData = new byte[13];
    private readonly int _explicitNonceLength;

    public Tls12AeadRecordProtection(ICryptoProvider crypto, CipherSuiteInfo suite, ReadOnlySpan<byte> key, ReadOnlySpan<byte> fixedIv)
    {
        _aead = crypto.CreateAead(suite.Aead, key);
        _fixedIv = fixedIv.ToArray();
        _explicitNonceLength = suite.RecordIvLength12;
    }

    public bool HidesContentType => false;

    public int MaxCiphertextLength => RecordConstants.MaxPlaintextLength + 2048;

    public ulong SequenceNumber { get; private set; }

    public int Overhead => RecordConstants.HeaderLength + _explicitNonceLength + _aead.TagLength;

    public int Seal(ContentType type, ReadOnlySpan<byte> content, int paddingLength, Span<byte> destination)
    {
        int length = _explicitNonceLength + content.Length + _aead.TagLength;
        destination[0] = (byte)type;
        BinaryPrimitives.WriteUInt16BigEndian(destination[1..], RecordConstants.LegacyRecordVersion);
        BinaryPrimitives.WriteUInt16BigEndian(destination[3..], (ushort)length);
        var body = destination.Slice(RecordConstants.HeaderLength, length);
        if (_explicitNonceLength > 0)
        {
            // RFC 5288 §3: we send the sequence number as nonce_explicit; it never repeats.
            BinaryPrimitives.WriteUInt64BigEndian(body, SequenceNumber);
        }

        ComputeNonce(body[.._explicitNonceLength]);
        ComputeAdditionalData(type, RecordConstants.LegacyRecordVersion, content.Length);
        var ciphertext = body.Slice(_explicitNonceLength, content.Length);
        _aead.Seal(_nonce, content, ciphertext, body[(_explicitNonceLength + content.Length)..], _additionalData);
        SequenceNumber++;
        return RecordConstants.HeaderLength + length;
    }

    public (ContentType Type, int Length) Open(ReadOnlySpan<byte> header, Span<byte> payload, int maxPlaintext, out int contentOffset)
    {
        contentOffset = _explicitNonceLength;
        if (payload.Length < _explicitNonceLength + _aead.TagLength)
        {
            throw new TlsException(AlertDescription.BadRecordMac, "encrypted record too short");   // before slicing past its end (found by fuzzing)
        }

        return OpenTo(header, payload, maxPlaintext, payload[_explicitNonceLength..]);
    }

    public bool CanOpenTo => true;

    public (ContentType Type, int Length) OpenTo(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload, int maxPlaintext, Span<byte> destination)
    {
        int contentLength = payload.Length - _explicitNonceLength - _aead.TagLength;
        if (contentLength < 0)
        {
            throw new TlsException(AlertDescription.BadRecordMac, "encrypted record too short");
        }

        if (contentLength > maxPlaintext)
        {
            throw new TlsException(AlertDescription.RecordOverflow, $"record plaintext of {contentLength} bytes exceeds the limit of {maxPlaintext}");
        }

        var type = (ContentType)header[0];
        ComputeNonce(payload[.._explicitNonceLength]);
        ComputeAdditionalData(type, BinaryPrimitives.ReadUInt16BigEndian(header[1..]), contentLength);
        var ciphertext = payload.Slice(_explicitNonceLength, contentLength);
        if (!_aead.Open(_nonce, ciphertext, payload.Slice(_explicitNonceLength + contentLength, _aead.TagLength), destination[..contentLength], _additionalData))
        {
            throw new TlsException(AlertDescription.BadRecordMac, "record failed authentication");
        }

        SequenceNumber++;
        return (type, contentLength);
    }

    public void Dispose()
    {
        _aead.Dispose();
        Array.Clear(_fixedIv);
        Array.Clear(_nonce);
    }

    private void ComputeNonce(ReadOnlySpan<byte> explicitNonce)
    {
        if (_explicitNonceLength == 0)
        {
            // RFC 7905 §2: the 64-bit sequence number, left-padded, XORed with the 12-byte IV.
            _fixedIv.CopyTo(_nonce, 0);
            ulong seq = SequenceNumber;
            for (int i = 11; i >= 4; i--)
            {
                _nonce[i] ^= (byte)seq;
                seq >>= 8;
            }

            return;
        }

        // RFC 5288 §3: salt (4) + nonce_explicit (8).
        _fixedIv.CopyTo(_nonce, 0);
        explicitNonce.CopyTo(_nonce.AsSpan(4));
    }

    private void ComputeAdditionalData(ContentType type, ushort version, int length)
    {
        BinaryPrimitives.WriteUInt64BigEndian(_additionalData, SequenceNumber);
        _additionalData[8] = (byte)type;
        BinaryPrimitives.WriteUInt16BigEndian(_additionalData.AsSpan(9), version);
        BinaryPrimitives.WriteUInt16BigEndian(_additionalData.AsSpan(11), (ushort)length);
    }
}
