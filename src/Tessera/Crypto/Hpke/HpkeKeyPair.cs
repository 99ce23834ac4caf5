using System.Security.Cryptography;

namespace Tessera.Crypto.Hpke;

/// <summary>An HPKE KEM key pair (X25519: 32-byte private and public keys). Dispose wipes the private key.</summary>
public sealed class HpkeKeyPair : IDisposable
{
    private readonly byte[] _privateKey;

    internal HpkeKeyPair(HpkeKem kem, byte[] privateKey, byte[] publicKey)
    {
        Kem = kem;
        _privateKey = privateKey;
        PublicKey = publicKey;
    }

    /// <summary>The KEM this pair is for.</summary>
    public HpkeKem Kem { get; }

    /// <summary>The serialized public key (pkR to publish, e.g. in an ECHConfig).</summary>
    public byte[] PublicKey { get; }

    /// <summary>The serialized private key, for storing it; handle with care.</summary>
    public ReadOnlySpan<byte> PrivateKey => _privateKey;

    /// <summary>A key pair from a stored private key.</summary>
    public static HpkeKeyPair FromPrivateKey(HpkeKem kem, ReadOnlySpan<byte> privateKey, ICryptoProvider? crypto = null)
    {
        if (kem != HpkeKem.DhkemX25519HkdfSha256 || privateKey.Length != 32)
        {
            throw new ArgumentException("an X25519 HPKE private key is 32 bytes", nameof(privateKey));
        }

        var publicKey = new byte[32];
        (crypto ?? DefaultCryptoProvider.Instance).X25519PublicKey(privateKey, publicKey);
        return new HpkeKeyPair(kem, privateKey.ToArray(), publicKey);
    }

    /// <inheritdoc />
    public void Dispose() => CryptographicOperations.ZeroMemory(_privateKey);
}
