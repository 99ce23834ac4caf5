using System.Buffers.Binary;
using Tessera.Crypto;
using Tessera.KeySchedule;
using Tessera.Messages;

namespace Tessera.Records;

/// <summary>
/// AEAD protection of TLS 1.3 records in one direction (RFC 8446 §5.2–5.3): TLSInnerPlaintext
/// framing with the real content type and zero padding, per-record nonce = IV XOR sequence number,
/// and the record header as additional data.
/// </summary>
internal sealed class Tls13RecordProtection : IRecordProtection
{
    private readonly IAead _aead;
    private readonly byte[] _iv;
    private readonly byte[] _nonce;

    public Tls13RecordProtection(ICryptoProvider crypto, CipherSuiteInfo suite, ReadOnlySpan<byte> trafficSecret)
    {
        Suite = suite;
        using var keys = TrafficKeys.Derive(crypto, suite, trafficSecret);
        _aead = crypto.CreateAead(suite.Aead, keys.Key);
        _iv = (byte[])keys.Iv.Clone();
        _nonce = new byte[_iv.Length];
    }

    public CipherSuiteInfo Suite { get; }

    public bool HidesContentType => true;

    public int MaxCiphertextLength => RecordConstants.MaxCiphertextLength13;

    /// <summary>The number of records protected (or deprotected) with these keys so far.</summary>
    public ulong SequenceNumber { get; private set; }

    /// <summary>Bytes a sealed record adds to the content: header, content type, tag.</summary>
    public int Overhead => RecordConstants.HeaderLength + 1 + _aead.TagLength;

    /// <summary>
    /// Writes one TLSCiphertext record carrying <paramref name="content"/> of type <paramref name="type"/>
    /// and <paramref name="paddingLength"/> zero bytes of padding into <paramref name="destination"/>.
    /// Returns the record length.
    /// </summary>
    public int Seal(ContentType type, ReadOnlySpan<byte> content, int paddingLength, Span<byte> destination)
    {
        int innerLength = content.Length + 1 + paddingLength;
        int encryptedLength = innerLength + _aead.TagLength;
        int total = RecordConstants.HeaderLength + encryptedLength;
        var header = destination[..RecordConstants.HeaderLength];
        header[0] = (byte)ContentType.ApplicationData;
        BinaryPrimitives.WriteUInt16BigEndian(header[1..], RecordConstants.LegacyRecordVersion);
        BinaryPrimitives.WriteUInt16BigEndian(header[3..], (ushort)encryptedLength);

        var inner = destination.Slice(RecordConstants.HeaderLength, innerLength);
        content.CopyTo(inner);
        inner[content.Length] = (byte)type;
        inner[(content.Length + 1)..].Clear();

        ComputeNonce();
        _aead.Seal(_nonce, inner, inner, destination.Slice(RecordConstants.HeaderLength + innerLength, _aead.TagLength), header);
        SequenceNumber++;
        return total;
    }

    /// <summary>
    /// Decrypts a record in place. <paramref name="header"/> is the 5-byte header as received (the
    /// additional data); <paramref name="payload"/> is encrypted_record. On success returns the inner
    /// content type and the content length (content starts at payload[0]).
    /// </summary>
    /// <exception cref="TlsException">bad_record_mac, record_overflow or unexpected_message.</exception>
    public (ContentType Type, int Length) Open(ReadOnlySpan<byte> header, Span<byte> payload, int maxPlaintext, out int contentOffset)
    {
        contentOffset = 0;
        return Open(header, payload, maxPlaintext);
    }

    public (ContentType Type, int Length) Open(ReadOnlySpan<byte> header, Span<byte> payload, int maxPlaintext) =>
        OpenTo(header, payload, maxPlaintext, payload);

    public bool CanOpenTo => true;

    public (ContentType Type, int Length) OpenTo(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload, int maxPlaintext, Span<byte> destination)
    {
        if (payload.Length > RecordConstants.MaxCiphertextLength13)
        {
            throw new TlsException(AlertDescription.RecordOverflow, $"encrypted record of {payload.Length} bytes exceeds 2^14+256");
        }

        if (payload.Length < _aead.TagLength + 1)
        {
            // Too short to hold a tag and a content type: it cannot authenticate.
            throw new TlsException(AlertDescription.BadRecordMac, "encrypted record too short");
        }

        int innerLength = payload.Length - _aead.TagLength;
        var inner = destination[..innerLength];
        ComputeNonce();
        if (!_aead.Open(_nonce, payload[..innerLength], payload[innerLength..], inner, header))
        {
            throw new TlsException(AlertDescription.BadRecordMac, "record failed authentication");
        }

        SequenceNumber++;

        // Strip the zero padding; the last non-zero byte is the real content type (§5.4).
        int i = inner.LastIndexOfAnyExcept((byte)0);
        if (i < 0)
        {
            throw new TlsException(AlertDescription.UnexpectedMessage, "protected record has no content type");
        }

        if (i > maxPlaintext)
        {
            throw new TlsException(AlertDescription.RecordOverflow, $"record plaintext of {i} bytes exceeds the limit of {maxPlaintext}");
        }

        return ((ContentType)inner[i], i);
    }

    public void Dispose()
    {
        _aead.Dispose();
        Array.Clear(_iv);
        Array.Clear(_nonce);
    }

    private void ComputeNonce()
    {
        // The 64-bit sequence number, big-endian, left-padded with zeros to iv length, XORed with the IV (§5.3).
        _iv.CopyTo(_nonce, 0);
        int offset = _nonce.Length - 8;
        ulong seq = SequenceNumber;
        for (int i = 7; i >= 0; i--)
        {
            _nonce[offset + i] ^= (byte)seq;
            seq >>= 8;
        }
    }
}
