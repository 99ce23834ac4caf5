namespace Tessera.Crypto;

/// <summary>
/// Every cryptographic primitive the protocol uses, behind one small interface. The protocol code
/// never touches a BCL or NSec type directly; a different provider (hardware, FIPS module, test
/// double) plugs in here.
/// </summary>
public interface ICryptoProvider
{
    /// <summary>Fills <paramref name="destination"/> with cryptographically secure random bytes.</summary>
    void GetRandomBytes(Span<byte> destination);

    /// <summary>Starts an incremental hash (used for the handshake transcript).</summary>
    ITranscriptHash CreateHash(TlsHashAlgorithm algorithm);

    /// <summary>One-shot hash of <paramref name="data"/> into <paramref name="destination"/>; returns bytes written.</summary>
    int Hash(TlsHashAlgorithm algorithm, ReadOnlySpan<byte> data, Span<byte> destination);

    /// <summary>HMAC of <paramref name="data"/> under <paramref name="key"/>; returns bytes written.</summary>
    int Hmac(TlsHashAlgorithm algorithm, ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> destination);

    /// <summary>An HMAC keyed with <paramref name="key"/> for several uses; the caller disposes it. The default goes through <see cref="Hmac"/>.</summary>
    IKeyedHmac CreateKeyedHmac(TlsHashAlgorithm algorithm, ReadOnlySpan<byte> key) => new ProviderKeyedHmac(this, algorithm, key);

    /// <summary>HKDF-Extract (RFC 5869 §2.2); returns bytes written (the hash length).</summary>
    int HkdfExtract(TlsHashAlgorithm algorithm, ReadOnlySpan<byte> ikm, ReadOnlySpan<byte> salt, Span<byte> prk);

    /// <summary>HKDF-Expand (RFC 5869 §2.3) filling all of <paramref name="output"/>.</summary>
    void HkdfExpand(TlsHashAlgorithm algorithm, ReadOnlySpan<byte> prk, ReadOnlySpan<byte> info, Span<byte> output);

    /// <summary>
    /// An HKDF-Expand bound to <paramref name="prk"/>, for several expansions of one secret; the caller disposes it. The
    /// default goes through <see cref="HkdfExpand"/>.
    /// </summary>
    IHkdfExpander CreateHkdfExpander(TlsHashAlgorithm algorithm, ReadOnlySpan<byte> prk) => new ProviderHkdfExpander(this, algorithm, prk);

    /// <summary>Creates an AEAD instance keyed with <paramref name="key"/>. The caller disposes it.</summary>
    IAead CreateAead(AeadAlgorithm algorithm, ReadOnlySpan<byte> key);

    /// <summary>ML-KEM for the hybrid groups: the platform's where it has one (OpenSSL 3.5+, recent Windows), else BouncyCastle's.</summary>
    IMlKem GetMlKem(MlKemParameterSet parameterSet) => System.Security.Cryptography.MLKem.IsSupported
        ? new BclMlKem(parameterSet)
        : parameterSet == MlKemParameterSet.MlKem768 ? BouncyCastleMlKem.MlKem768 : BouncyCastleMlKem.MlKem1024;

    /// <summary>The X25519 public key of <paramref name="privateKey"/> (RFC 7748 §6.1), for HPKE's DHKEM.</summary>
    void X25519PublicKey(ReadOnlySpan<byte> privateKey, Span<byte> publicKey)
    {
        var publicBytes = new byte[32];
        var privateBytes = privateKey.ToArray();
        try
        {
            Libsodium.ScalarMultBase(publicBytes, privateBytes);
            publicBytes.CopyTo(publicKey);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(privateBytes);
        }
    }

    /// <summary>X25519(<paramref name="privateKey"/>, <paramref name="peerPublicKey"/>); false when the result is all zeros (a low-order point).</summary>
    bool X25519SharedSecret(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> peerPublicKey, Span<byte> sharedSecret)
    {
        var shared = new byte[32];
        var privateBytes = privateKey.ToArray();
        try
        {
            bool ok = peerPublicKey.Length == 32 && Libsodium.ScalarMult(shared, privateBytes, peerPublicKey.ToArray());
            shared.CopyTo(sharedSecret);
            return ok;
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(privateBytes);
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(shared);
        }
    }

    /// <summary>AES in CBC mode without padding (legacy CBC suites), keyed with a 16- or 32-byte key. The caller disposes it.</summary>
    ICbcCipher CreateAesCbc(ReadOnlySpan<byte> key);

    /// <summary>
    /// RSAES-PKCS1-v1_5 encryption of <paramref name="data"/> to the rsaEncryption key in
    /// <paramref name="subjectPublicKeyInfo"/> (legacy RSA key exchange). Throws <see cref="TlsException"/>
    /// (bad_certificate) when the key is not a usable RSA encryption key.
    /// </summary>
    byte[] RsaEncryptPkcs1(ReadOnlySpan<byte> subjectPublicKeyInfo, ReadOnlySpan<byte> data);

    /// <summary>An incremental HMAC for the record MAC of legacy CBC suites. The caller disposes it.</summary>
    IRecordMac CreateRecordMac(TlsMacAlgorithm algorithm, ReadOnlySpan<byte> key);

    /// <summary>Whether this provider implements a key-exchange group.</summary>
    bool SupportsGroup(NamedGroup group);

    /// <summary>The key-exchange algorithm for a group (KEM-shaped), or throws if unsupported.</summary>
    IKeyExchangeAlgorithm GetKeyExchange(NamedGroup group);

    /// <summary>Whether this provider can verify (and sign with) a signature scheme.</summary>
    bool SupportsSignatureScheme(SignatureScheme scheme);

    /// <summary>
    /// Verifies <paramref name="signature"/> over <paramref name="data"/> with the public key in
    /// <paramref name="subjectPublicKeyInfo"/> (DER). Returns false for a bad signature or a key that
    /// does not fit the scheme; never throws for malformed peer input.
    /// </summary>
    bool VerifySignature(SignatureScheme scheme, ReadOnlySpan<byte> subjectPublicKeyInfo, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature);

    /// <summary>
    /// As <see cref="VerifySignature"/>, under TLS 1.2's rule that an ECDSA scheme names only the hash
    /// (RFC 5246 §7.4.1.4.1; the curve is the key's, not the scheme's).
    /// </summary>
    bool VerifyTls12Signature(SignatureScheme scheme, ReadOnlySpan<byte> subjectPublicKeyInfo, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        VerifySignature(scheme, subjectPublicKeyInfo, data, signature);
}

/// <summary>An incremental hash over the handshake transcript.</summary>
public interface ITranscriptHash : IDisposable
{
    /// <summary>The algorithm.</summary>
    TlsHashAlgorithm Algorithm { get; }

    /// <summary>Output length in bytes.</summary>
    int HashLength { get; }

    /// <summary>Absorbs bytes.</summary>
    void Append(ReadOnlySpan<byte> data);

    /// <summary>Writes the hash of everything absorbed so far without resetting; returns bytes written.</summary>
    int GetCurrentHash(Span<byte> destination);

    /// <summary>An independent copy carrying the same state.</summary>
    ITranscriptHash Clone();
}

/// <summary>An AEAD keyed once, used for many records.</summary>
public interface IAead : IDisposable
{
    /// <summary>Tag length in bytes (16 for every TLS 1.3 suite).</summary>
    int TagLength { get; }

    /// <summary>Encrypts <paramref name="plaintext"/> into <paramref name="ciphertext"/> (same length) and writes the tag.</summary>
    void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associatedData);

    /// <summary>Decrypts and authenticates; returns false when the tag does not verify (nothing is thrown).</summary>
    bool Open(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData);
}

/// <summary>A block cipher in CBC mode, no padding: inputs are whole blocks.</summary>
public interface ICbcCipher : IDisposable
{
    /// <summary>Encrypts whole blocks of <paramref name="plaintext"/> into <paramref name="destination"/> (same length; may be the same memory).</summary>
    void Encrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> plaintext, Span<byte> destination);

    /// <summary>Decrypts whole blocks of <paramref name="ciphertext"/> into <paramref name="destination"/> (same length; may be the same memory).</summary>
    void Decrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> ciphertext, Span<byte> destination);
}

/// <summary>An incremental keyed MAC (HMAC) over one record at a time.</summary>
public interface IRecordMac : IDisposable
{
    /// <summary>Output length in bytes.</summary>
    int MacLength { get; }

    /// <summary>Absorbs bytes.</summary>
    void Append(ReadOnlySpan<byte> data);

    /// <summary>Writes the MAC of everything absorbed so far and keeps absorbing (no reset).</summary>
    void GetCurrentMac(Span<byte> destination);

    /// <summary>Writes the MAC of everything absorbed so far and starts over.</summary>
    void GetMacAndReset(Span<byte> destination);
}

/// <summary>
/// A key-exchange group in KEM shape (client share, server encapsulate, client decapsulate), so
/// Diffie-Hellman groups and post-quantum KEMs fit the same handshake code.
/// </summary>
public interface IKeyExchangeAlgorithm
{
    /// <summary>The group.</summary>
    NamedGroup Group { get; }

    /// <summary>Client side: generates a fresh key pair; its public share goes in the ClientHello.</summary>
    IKeyExchangeClientState GenerateClientShare();

    /// <summary>
    /// Server side: validates the client's share and produces the server's share and the shared
    /// secret. Throws <see cref="TlsException"/> (illegal_parameter) for an invalid share.
    /// </summary>
    KeyExchangeServerResult Encapsulate(ReadOnlySpan<byte> clientShare);
}

/// <summary>The client's secret half of a key exchange, kept until ServerHello arrives.</summary>
public interface IKeyExchangeClientState : IDisposable
{
    /// <summary>The group.</summary>
    NamedGroup Group { get; }

    /// <summary>The public share to send (key_exchange field of KeyShareEntry).</summary>
    ReadOnlyMemory<byte> PublicShare { get; }

    /// <summary>
    /// Validates the server's share and returns the shared secret. Throws <see cref="TlsException"/>
    /// (illegal_parameter) for an invalid share.
    /// </summary>
    byte[] Decapsulate(ReadOnlySpan<byte> serverShare);
}

/// <summary>The server's output of a key exchange.</summary>
/// <param name="ServerShare">The share to send in ServerHello.</param>
/// <param name="SharedSecret">The shared secret; the caller zeroes it after use.</param>
public sealed record KeyExchangeServerResult(byte[] ServerShare, byte[] SharedSecret);
