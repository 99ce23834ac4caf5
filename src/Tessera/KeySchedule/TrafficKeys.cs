using System.Security.Cryptography;
using Tessera.Crypto;

namespace Tessera.KeySchedule;

/// <summary>The write key and IV derived from one traffic secret (RFC 8446 §7.3).</summary>
internal sealed class TrafficKeys : IDisposable
{
    private TrafficKeys(byte[] key, byte[] iv)
    {
        Key = key;
        Iv = iv;
    }

    /// <summary>The AEAD key.</summary>
    public byte[] Key { get; }

    /// <summary>The static IV XORed with the sequence number to form each nonce.</summary>
    public byte[] Iv { get; }

    /// <summary>[sender]_write_key = HKDF-Expand-Label(Secret, "key", "", key_length), and likewise "iv".</summary>
    public static TrafficKeys Derive(ICryptoProvider crypto, CipherSuiteInfo suite, ReadOnlySpan<byte> trafficSecret)
    {
        using var expander = crypto.CreateHkdfExpander(suite.Hash, trafficSecret);
        return new(HkdfLabel.Expand(expander, "key", [], suite.KeyLength), HkdfLabel.Expand(expander, "iv", [], suite.IvLength));
    }

    /// <summary>Zeroes the key material.</summary>
    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(Key);
        CryptographicOperations.ZeroMemory(Iv);
    }
}
