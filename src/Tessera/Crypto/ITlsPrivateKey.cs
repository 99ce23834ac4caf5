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

    /// <summary>
    /// Legacy RSA key exchange (rsaEncryption keys only): decrypts the client's PKCS#1 v1.5 encrypted
    /// premaster secret as RFC 5246 §7.4.7.1 requires, never failing and taking the same time whatever
    /// the input: when the padding or the length is wrong the result is <paramref name="fallback"/>.
    /// Returns 48 bytes; the caller overwrites the first two with ClientHello.client_version.
    /// </summary>
    ValueTask<byte[]> DecryptPreMasterSecretAsync(ReadOnlyMemory<byte> encrypted, ReadOnlyMemory<byte> fallback, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("This key cannot decrypt an RSA key exchange.");
}
