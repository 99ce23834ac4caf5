using System.Security.Cryptography;

namespace Tessera.Crypto;

/// <summary>AES-CBC from the BCL, no padding (the record layer pads as TLS says).</summary>
internal sealed class BclAesCbc : ICbcCipher
{
    private readonly Aes _aes;

    public BclAesCbc(ReadOnlySpan<byte> key)
    {
        if (key.Length is not (16 or 32))
        {
            throw new ArgumentException("AES-CBC keys are 16 or 32 bytes here.", nameof(key));
        }

        _aes = Aes.Create();
        _aes.SetKey(key);
    }

    public void Encrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> plaintext, Span<byte> destination) =>
        _aes.EncryptCbc(plaintext, iv, destination, PaddingMode.None);

    public void Decrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> ciphertext, Span<byte> destination) =>
        _aes.DecryptCbc(ciphertext, iv, destination, PaddingMode.None);

    public void Dispose() => _aes.Dispose();
}
