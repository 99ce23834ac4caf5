using System.Security.Cryptography;

namespace Tessera.Crypto;

/// <summary>
/// The default provider: the .NET BCL for AES-GCM, AES-CBC, ChaCha20-Poly1305, SHA-1/SHA-2, HMAC, HKDF,
/// ECDH and ECDSA on NIST curves and RSA; libsodium (through NSec) for X25519 and Ed25519; BouncyCastle
/// only for what the BCL lacks: finite-field DH (the RFC 7919 groups).
/// </summary>
public sealed class DefaultCryptoProvider : ICryptoProvider
{
    private DefaultCryptoProvider()
    {
    }

    /// <summary>The shared instance (the provider holds no state).</summary>
    public static DefaultCryptoProvider Instance { get; } = new();

    /// <inheritdoc />
    public void GetRandomBytes(Span<byte> destination) => RandomNumberGenerator.Fill(destination);

    /// <inheritdoc />
    public ITranscriptHash CreateHash(TlsHashAlgorithm algorithm) => new BclTranscriptHash(algorithm);

    /// <inheritdoc />
    public int Hash(TlsHashAlgorithm algorithm, ReadOnlySpan<byte> data, Span<byte> destination) => algorithm switch
    {
        TlsHashAlgorithm.Sha256 => SHA256.HashData(data, destination),
        TlsHashAlgorithm.Sha384 => SHA384.HashData(data, destination),
        TlsHashAlgorithm.Sha512 => SHA512.HashData(data, destination),
        TlsHashAlgorithm.Sha1 => SHA1.HashData(data, destination),
        TlsHashAlgorithm.Md5 => MD5.HashData(data, destination),
        TlsHashAlgorithm.Md5Sha1 => MD5.HashData(data, destination) + SHA1.HashData(data, destination[16..]),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    /// <inheritdoc />
    public int Hmac(TlsHashAlgorithm algorithm, ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> destination) => algorithm switch
    {
        TlsHashAlgorithm.Sha256 => HMACSHA256.HashData(key, data, destination),
        TlsHashAlgorithm.Sha384 => HMACSHA384.HashData(key, data, destination),
        TlsHashAlgorithm.Sha512 => HMACSHA512.HashData(key, data, destination),
        TlsHashAlgorithm.Sha1 => HMACSHA1.HashData(key, data, destination),
        TlsHashAlgorithm.Md5 => HMACMD5.HashData(key, data, destination),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    /// <inheritdoc />
    public int HkdfExtract(TlsHashAlgorithm algorithm, ReadOnlySpan<byte> ikm, ReadOnlySpan<byte> salt, Span<byte> prk) =>
        HKDF.Extract(HashAlgorithms.ToBcl(algorithm), ikm, salt, prk);

    /// <inheritdoc />
    public void HkdfExpand(TlsHashAlgorithm algorithm, ReadOnlySpan<byte> prk, ReadOnlySpan<byte> info, Span<byte> output) =>
        HKDF.Expand(HashAlgorithms.ToBcl(algorithm), prk, output, info);

    /// <inheritdoc />
    public IKeyedHmac CreateKeyedHmac(TlsHashAlgorithm algorithm, ReadOnlySpan<byte> key) => new BclKeyedHmac(algorithm, key);

    /// <inheritdoc />
    public IHkdfExpander CreateHkdfExpander(TlsHashAlgorithm algorithm, ReadOnlySpan<byte> prk) =>
        new HmacHkdfExpander(new BclKeyedHmac(algorithm, prk), HashAlgorithms.Length(algorithm));

    /// <inheritdoc />
    public IAead CreateAead(AeadAlgorithm algorithm, ReadOnlySpan<byte> key) => new BclAead(algorithm, key);

    /// <inheritdoc />
    public byte[] RsaEncryptPkcs1(ReadOnlySpan<byte> subjectPublicKeyInfo, ReadOnlySpan<byte> data)
    {
        using var rsa = RSA.Create();
        try
        {
            rsa.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out _);
        }
        catch (CryptographicException)
        {
            throw new TlsException(AlertDescription.BadCertificate, "the server certificate's key is not an RSA encryption key");
        }

        if (rsa.KeySize < 1024)
        {
            throw new TlsException(AlertDescription.InsufficientSecurity, $"the server's RSA key has only {rsa.KeySize} bits");
        }

        return rsa.Encrypt(data.ToArray(), RSAEncryptionPadding.Pkcs1);
    }

    /// <inheritdoc />
    public ICbcCipher CreateAesCbc(ReadOnlySpan<byte> key) => new BclAesCbc(key);

    /// <inheritdoc />
    public IRecordMac CreateRecordMac(TlsMacAlgorithm algorithm, ReadOnlySpan<byte> key) => new BclRecordMac(algorithm, key);

    /// <inheritdoc />
    public bool SupportsGroup(NamedGroup group) =>
        group is NamedGroup.X25519 or NamedGroup.Secp256r1 or NamedGroup.Secp384r1 or NamedGroup.Ffdhe2048 or NamedGroup.Ffdhe3072 or NamedGroup.Ffdhe4096
            or NamedGroup.X25519MLKEM768 or NamedGroup.SecP256r1MLKEM768 or NamedGroup.SecP384r1MLKEM1024;

    /// <inheritdoc />
    public IKeyExchangeAlgorithm GetKeyExchange(NamedGroup group) => group switch
    {
        NamedGroup.X25519 => X25519KeyExchange.Instance,
        NamedGroup.Secp256r1 => EcdhKeyExchange.P256,
        NamedGroup.Ffdhe2048 => FfdheKeyExchange.Ffdhe2048,
        NamedGroup.Ffdhe3072 => FfdheKeyExchange.Ffdhe3072,
        NamedGroup.Ffdhe4096 => FfdheKeyExchange.Ffdhe4096,
        NamedGroup.Secp384r1 => EcdhKeyExchange.P384,
        NamedGroup.X25519MLKEM768 => X25519MlKem768.Value,
        NamedGroup.SecP256r1MLKEM768 => SecP256r1MlKem768.Value,
        NamedGroup.SecP384r1MLKEM1024 => SecP384r1MlKem1024.Value,
        _ => throw new NotSupportedException($"Group {group} is not implemented."),
    };

    private static readonly Lazy<HybridKeyExchange> X25519MlKem768 = new(() => HybridKeyExchange.Create(NamedGroup.X25519MLKEM768, Instance));
    private static readonly Lazy<HybridKeyExchange> SecP256r1MlKem768 = new(() => HybridKeyExchange.Create(NamedGroup.SecP256r1MLKEM768, Instance));
    private static readonly Lazy<HybridKeyExchange> SecP384r1MlKem1024 = new(() => HybridKeyExchange.Create(NamedGroup.SecP384r1MLKEM1024, Instance));

    /// <inheritdoc />
    public bool SupportsSignatureScheme(SignatureScheme scheme) => SignatureSchemes.Find(scheme)?.Implemented == true;

    /// <inheritdoc />
    public bool VerifySignature(SignatureScheme scheme, ReadOnlySpan<byte> subjectPublicKeyInfo, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        SignatureVerifier.Verify(scheme, subjectPublicKeyInfo, data, signature, ecdsaCurveMustMatch: true);

    /// <inheritdoc />
    public bool VerifyTls12Signature(SignatureScheme scheme, ReadOnlySpan<byte> subjectPublicKeyInfo, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        SignatureVerifier.Verify(scheme, subjectPublicKeyInfo, data, signature, ecdsaCurveMustMatch: false);
}
