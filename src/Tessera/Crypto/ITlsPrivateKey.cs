namespace Tessera.Crypto;

/// <summary>
/// A private key that signs handshake messages. Every private-key operation in Tessera goes through
/// this interface, asynchronously, so the key may live in another process or machine (keyless
/// operation). Implementations that can answer at once return a completed <see cref="ValueTask{T}"/>.
/// </summary>
public interface ITlsPrivateKey
{
    /// <summary>The kind of key.</summary>
    SignatureKeyType KeyType { get; }

    /// <summary>For ECDSA keys, the curve (as a TLS named group); otherwise null.</summary>
    NamedGroup? Curve { get; }

    /// <summary>The DER SubjectPublicKeyInfo of the matching public key.</summary>
    ReadOnlyMemory<byte> SubjectPublicKeyInfo { get; }

    /// <summary>Whether this key can sign with <paramref name="scheme"/>.</summary>
    bool CanSign(SignatureScheme scheme);

    /// <summary>Signs <paramref name="data"/> (the whole to-be-signed content; the key hashes it as the scheme says).</summary>
    ValueTask<byte[]> SignAsync(SignatureScheme scheme, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default);
}
