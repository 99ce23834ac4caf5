using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Tessera.Crypto.Hpke;

/// <summary>
/// An HPKE encryption context (RFC 9180 §5.2): seals (sender) or opens (recipient) messages in order, each with the
/// next nonce, and exports secrets. Not thread-safe; Dispose wipes the keys.
/// </summary>
public sealed class HpkeContext : IDisposable
{
    private readonly HpkeSuite _suite;
    private readonly IAead? _aead;
    private readonly byte[] _baseNonce;
    private readonly byte[] _exporterSecret;
    private readonly ICryptoProvider _crypto;
    private readonly bool _isSender;
    private ulong _sequence;
    private bool _disposed;

    internal HpkeContext(ICryptoProvider crypto, HpkeSuite suite, byte[] key, byte[] baseNonce, byte[] exporterSecret, bool isSender)
    {
        _crypto = crypto;
        _suite = suite;
        _aead = suite.Aead == HpkeAead.ExportOnly ? null : crypto.CreateAead(suite.AeadAlgorithm, key);
        CryptographicOperations.ZeroMemory(key);
        _baseNonce = baseNonce;
        _exporterSecret = exporterSecret;
        _isSender = isSender;
    }

    /// <summary>Messages sealed or opened so far (the next sequence number).</summary>
    public ulong SequenceNumber => _sequence;

    /// <summary>Encrypts the next message (sender only).</summary>
    public byte[] Seal(ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_isSender)
        {
            throw new InvalidOperationException("a recipient context opens; only the sender's seals");
        }

        var aead = _aead ?? throw new InvalidOperationException("an export-only HPKE context cannot seal");
        var output = new byte[plaintext.Length + aead.TagLength];
        aead.Seal(NextNonce(), plaintext, output.AsSpan(0, plaintext.Length), output.AsSpan(plaintext.Length), associatedData);
        _sequence++;
        return output;
    }

    /// <summary>Decrypts the next message (recipient only); a message that does not authenticate throws and does not advance the sequence.</summary>
    public byte[] Open(ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_isSender)
        {
            throw new InvalidOperationException("a sender context seals; only the recipient's opens");
        }

        var aead = _aead ?? throw new InvalidOperationException("an export-only HPKE context cannot open");
        if (ciphertext.Length < aead.TagLength)
        {
            throw new CryptographicException("HPKE ciphertext shorter than its tag");
        }

        var plaintext = new byte[ciphertext.Length - aead.TagLength];
        if (!aead.Open(NextNonce(), ciphertext[..plaintext.Length], ciphertext[plaintext.Length..], plaintext, associatedData))
        {
            CryptographicOperations.ZeroMemory(plaintext);
            throw new CryptographicException("HPKE ciphertext failed authentication");
        }

        _sequence++;
        return plaintext;
    }

    /// <summary>Export(exporter_context, L) (RFC 9180 §5.3): a secret both sides derive alike.</summary>
    public byte[] Export(ReadOnlySpan<byte> exporterContext, int length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (length is < 0 or > 255 * 32)
        {
            throw new ArgumentOutOfRangeException(nameof(length), "HKDF-SHA256 exports at most 8160 bytes");
        }

        return Hpke.LabeledExpand(_crypto, _suite.SuiteId, _exporterSecret, "sec", exporterContext, length);
    }

    /// <summary>base_nonce XOR I2OSP(seq, Nn) (RFC 9180 §5.2); the sequence may not wrap.</summary>
    private byte[] NextNonce()
    {
        if (_sequence == ulong.MaxValue)
        {
            throw new CryptographicException("HPKE message limit reached");
        }

        var nonce = (byte[])_baseNonce.Clone();
        Span<byte> sequence = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(sequence, _sequence);
        for (int i = 0; i < 8; i++)
        {
            nonce[nonce.Length - 8 + i] ^= sequence[i];
        }

        return nonce;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _disposed = true;
        _aead?.Dispose();
        CryptographicOperations.ZeroMemory(_baseNonce);
        CryptographicOperations.ZeroMemory(_exporterSecret);
    }
}
