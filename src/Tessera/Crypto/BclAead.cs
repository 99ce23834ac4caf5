using System.Security.Cryptography;

namespace Tessera.Crypto;

/// <summary>AES-GCM and ChaCha20-Poly1305 from the BCL behind <see cref="IAead"/>; in-place use is allowed.</summary>
internal sealed class BclAead : IAead
{
    private readonly AesGcm? _aesGcm;
    private readonly ChaCha20Poly1305? _chacha;

    public BclAead(AeadAlgorithm algorithm, ReadOnlySpan<byte> key)
    {
        switch (algorithm)
        {
            case AeadAlgorithm.Aes128Gcm when key.Length == 16:
            case AeadAlgorithm.Aes256Gcm when key.Length == 32:
                _aesGcm = new AesGcm(key, TagLength);
                break;
            case AeadAlgorithm.ChaCha20Poly1305 when key.Length == 32:
                _chacha = new ChaCha20Poly1305(key);
                break;
            default:
                throw new ArgumentException($"Key of {key.Length} bytes does not fit {algorithm}.", nameof(key));
        }
    }

    public int TagLength => 16;

    public void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associatedData)
    {
        if (_aesGcm is not null)
        {
            _aesGcm.Encrypt(nonce, plaintext, ciphertext, tag, associatedData);
        }
        else
        {
            _chacha!.Encrypt(nonce, plaintext, ciphertext, tag, associatedData);
        }
    }

    public bool Open(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        try
        {
            if (_aesGcm is not null)
            {
                _aesGcm.Decrypt(nonce, ciphertext, tag, plaintext, associatedData);
            }
            else
            {
                _chacha!.Decrypt(nonce, ciphertext, tag, plaintext, associatedData);
            }

            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            plaintext.Clear();
            return false;
        }
    }

    public void Dispose()
    {
        _aesGcm?.Dispose();
        _chacha?.Dispose();
    }
}
