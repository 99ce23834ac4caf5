using System.Formats.Asn1;
using System.Security.Cryptography;
using NSec.Cryptography;
using Tessera.Crypto;

namespace Tessera.Pki;

/// <summary>A key held in this process that can also be written out as PKCS#8 PEM.</summary>
internal interface IExportablePrivateKey
{
    string ExportPkcs8Pem();
}

/// <summary>
/// An RSA key. As an rsaEncryption key it signs RSA-PSS (rsa_pss_rsae_*, handshake) and PKCS#1 v1.5
/// (certificates); as an id-RSASSA-PSS key (RFC 4055) it signs only rsa_pss_pss_* (RFC 8446 §4.2.3).
/// </summary>
public sealed class RsaPrivateKey : ITlsPrivateKey, IExportablePrivateKey, IDisposable
{
    internal const string RsaPssOid = "1.2.840.113549.1.1.10";
    private readonly RSA _rsa;
    private readonly Lazy<Org.BouncyCastle.Crypto.Parameters.RsaPrivateCrtKeyParameters> _bouncyCastleKey;

    /// <summary>Wraps an RSA key; the key is owned by this object from now on.</summary>
    /// <param name="rsa">The key.</param>
    /// <param name="pssOnly">True for an id-RSASSA-PSS key, whose certificate names the PSS algorithm.</param>
    public RsaPrivateKey(RSA rsa, bool pssOnly = false)
    {
        ArgumentNullException.ThrowIfNull(rsa);
        _rsa = rsa;
        _bouncyCastleKey = BouncyCastleKey();
        KeyType = pssOnly ? SignatureKeyType.RsaPss : SignatureKeyType.Rsa;
        SubjectPublicKeyInfo = pssOnly ? EncodePssSubjectPublicKeyInfo(rsa) : rsa.ExportSubjectPublicKeyInfo();
    }

    /// <inheritdoc />
    public SignatureKeyType KeyType { get; }

    /// <inheritdoc />
    public NamedGroup? Curve => null;

    /// <inheritdoc />
    public ReadOnlyMemory<byte> SubjectPublicKeyInfo { get; }

    /// <inheritdoc />
    public bool CanSign(SignatureScheme scheme) => SignatureSchemes.Find(scheme) is { Implemented: true } info && info.KeyType == KeyType;

    /// <inheritdoc />
    public ValueTask<byte[]> SignAsync(SignatureScheme scheme, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        var info = SignatureSchemes.Find(scheme);
        if (info is null || !CanSign(scheme))
        {
            throw new ArgumentException($"This RSA key cannot sign with {scheme}.", nameof(scheme));
        }

        if (info.Hash == TlsHashAlgorithm.Md5Sha1)
        {
            // TLS 1.0/1.1: PKCS#1 v1.5 over MD5 ‖ SHA-1 without a DigestInfo; the BCL cannot, BouncyCastle's raw signer can.
            var digest = new byte[36];
            MD5.HashData(data.Span, digest);
            SHA1.HashData(data.Span, digest.AsSpan(16));
            var signer = new Org.BouncyCastle.Crypto.Signers.GenericSigner(
                new Org.BouncyCastle.Crypto.Encodings.Pkcs1Encoding(new Org.BouncyCastle.Crypto.Engines.RsaBlindedEngine()), new Org.BouncyCastle.Crypto.Digests.NullDigest());
            signer.Init(true, _bouncyCastleKey.Value);
            signer.BlockUpdate(digest);
            return ValueTask.FromResult(signer.GenerateSignature());
        }

        var padding = info.Padding == SignaturePadding.Pss ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1;
        return ValueTask.FromResult(_rsa.SignData(data.Span, HashAlgorithms.ToBcl(info.Hash), padding));
    }

    /// <inheritdoc />
    /// <remarks>
    /// The BCL's RSA decryption reports bad padding with an exception, and whether the platform's library
    /// rejects implicitly differs by OS; BouncyCastle's PKCS#1 decoder with a fallback returns the fallback
    /// in fixed time instead, the same everywhere.
    /// </remarks>
    public ValueTask<byte[]> DecryptPreMasterSecretAsync(ReadOnlyMemory<byte> encrypted, ReadOnlyMemory<byte> fallback, CancellationToken cancellationToken = default)
    {
        if (KeyType != SignatureKeyType.Rsa)
        {
            throw new NotSupportedException("An RSASSA-PSS key cannot decrypt.");
        }

        if (fallback.Length != 48)
        {
            throw new ArgumentException("The fallback premaster secret is 48 bytes.", nameof(fallback));
        }

        var decoder = new Org.BouncyCastle.Crypto.Encodings.Pkcs1Encoding(new Org.BouncyCastle.Crypto.Engines.RsaBlindedEngine(), fallback.ToArray());
        decoder.Init(false, _bouncyCastleKey.Value);
        int modulusLength = (_rsa.KeySize + 7) / 8;
        var input = new byte[modulusLength];
        if (encrypted.Length <= modulusLength)
        {
            // A short ciphertext is left-padded (as if its leading zeros had been dropped); a long one cannot decrypt: the fallback answers.
            encrypted.Span.CopyTo(input.AsSpan(modulusLength - encrypted.Length));
        }

        try
        {
            return ValueTask.FromResult(decoder.ProcessBlock(input, 0, input.Length));
        }
        catch (Org.BouncyCastle.Crypto.DataLengthException)
        {
            // The ciphertext is not below the modulus: not an RSA ciphertext at all; the fallback, as for bad padding.
            return ValueTask.FromResult(fallback.ToArray());
        }
    }

    private Lazy<Org.BouncyCastle.Crypto.Parameters.RsaPrivateCrtKeyParameters> BouncyCastleKey() => new(() =>
    {
        var p = _rsa.ExportParameters(includePrivateParameters: true);
        static Org.BouncyCastle.Math.BigInteger N(byte[]? bytes) => new(1, bytes ?? throw new CryptographicException("incomplete RSA key"));
        try
        {
            return new Org.BouncyCastle.Crypto.Parameters.RsaPrivateCrtKeyParameters(N(p.Modulus), N(p.Exponent), N(p.D), N(p.P), N(p.Q), N(p.DP), N(p.DQ), N(p.InverseQ));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(p.D);
            CryptographicOperations.ZeroMemory(p.P);
            CryptographicOperations.ZeroMemory(p.Q);
            CryptographicOperations.ZeroMemory(p.DP);
            CryptographicOperations.ZeroMemory(p.DQ);
            CryptographicOperations.ZeroMemory(p.InverseQ);
        }
    });

    /// <summary>Disposes the underlying key.</summary>
    public void Dispose() => _rsa.Dispose();

    /// <summary>SubjectPublicKeyInfo with id-RSASSA-PSS and absent parameters (RFC 4055 §3.1).</summary>
    internal static byte[] EncodePssSubjectPublicKeyInfo(RSA rsa)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            using (w.PushSequence())
            {
                w.WriteObjectIdentifier(RsaPssOid);
            }

            w.WriteBitString(rsa.ExportRSAPublicKey());
        }

        return w.Encode();
    }

    string IExportablePrivateKey.ExportPkcs8Pem()
    {
        if (KeyType == SignatureKeyType.Rsa)
        {
            return _rsa.ExportPkcs8PrivateKeyPem();
        }

        var inner = _rsa.ExportRSAPrivateKey();
        try
        {
            var w = new AsnWriter(AsnEncodingRules.DER);
            using (w.PushSequence())
            {
                w.WriteInteger(0);
                using (w.PushSequence())
                {
                    w.WriteObjectIdentifier(RsaPssOid);
                }

                w.WriteOctetString(inner);
            }

            return PemEncoding.WriteString("PRIVATE KEY", w.Encode());
        }
        finally
        {
            CryptographicOperations.ZeroMemory(inner);
        }
    }
}

/// <summary>An ECDSA key on P-256, P-384 or P-521: signs the one scheme that matches its curve, DER-encoded.</summary>
public sealed class EcdsaPrivateKey : ITlsPrivateKey, IExportablePrivateKey, IDisposable
{
    private readonly ECDsa _ecdsa;
    private readonly SignatureScheme _scheme;

    /// <summary>Wraps an ECDSA key; throws <see cref="ArgumentException"/> for a curve TLS cannot use.</summary>
    public EcdsaPrivateKey(ECDsa ecdsa)
    {
        ArgumentNullException.ThrowIfNull(ecdsa);
        _ecdsa = ecdsa;
        (Curve, _scheme) = ecdsa.ExportParameters(false).Curve.Oid?.Value switch
        {
            "1.2.840.10045.3.1.7" => (NamedGroup.Secp256r1, SignatureScheme.ecdsa_secp256r1_sha256),
            "1.3.132.0.34" => (NamedGroup.Secp384r1, SignatureScheme.ecdsa_secp384r1_sha384),
            "1.3.132.0.35" => ((NamedGroup?)NamedGroup.Secp521r1, SignatureScheme.ecdsa_secp521r1_sha512),
            var other => throw new ArgumentException($"EC curve {other ?? "(unnamed)"} is not one TLS signs with (P-256, P-384, P-521).", nameof(ecdsa)),
        };
        SubjectPublicKeyInfo = ecdsa.ExportSubjectPublicKeyInfo();
    }

    /// <inheritdoc />
    public SignatureKeyType KeyType => SignatureKeyType.Ecdsa;

    /// <inheritdoc />
    public NamedGroup? Curve { get; }

    /// <inheritdoc />
    public ReadOnlyMemory<byte> SubjectPublicKeyInfo { get; }

    /// <inheritdoc />
    public bool CanSign(SignatureScheme scheme) => scheme == _scheme || scheme == SignatureScheme.ecdsa_sha1;

    /// <inheritdoc />
    public ValueTask<byte[]> SignAsync(SignatureScheme scheme, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        if (!CanSign(scheme))
        {
            throw new ArgumentException($"This ECDSA key signs only with {_scheme} (or ecdsa_sha1 in TLS 1.0/1.1).", nameof(scheme));
        }

        var hash = HashAlgorithms.ToBcl(SignatureSchemes.Find(scheme)!.Hash);
        return ValueTask.FromResult(_ecdsa.SignData(data.Span, hash, DSASignatureFormat.Rfc3279DerSequence));
    }

    /// <summary>Disposes the underlying key.</summary>
    public void Dispose() => _ecdsa.Dispose();

    string IExportablePrivateKey.ExportPkcs8Pem() => _ecdsa.ExportPkcs8PrivateKeyPem();
}

/// <summary>An Ed25519 key (RFC 8032) through libsodium.</summary>
public sealed class Ed25519PrivateKey : ITlsPrivateKey, IExportablePrivateKey, IDisposable
{
    private const string Ed25519Oid = "1.3.101.112";
    private readonly Key _key;

    private Ed25519PrivateKey(Key key)
    {
        _key = key;
        SubjectPublicKeyInfo = EncodeSubjectPublicKeyInfo(key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
    }

    /// <summary>Generates a new key.</summary>
    public static Ed25519PrivateKey Generate() =>
        new(Key.Create(SignatureAlgorithm.Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));

    /// <summary>Imports a key from its 32-byte seed (RFC 8032 private key).</summary>
    public static Ed25519PrivateKey FromSeed(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != 32)
        {
            throw new ArgumentException("An Ed25519 private key is 32 bytes.", nameof(seed));
        }

        return new(Key.Import(SignatureAlgorithm.Ed25519, seed, KeyBlobFormat.RawPrivateKey,
            new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));
    }

    /// <inheritdoc />
    public SignatureKeyType KeyType => SignatureKeyType.Ed25519;

    /// <inheritdoc />
    public NamedGroup? Curve => null;

    /// <inheritdoc />
    public ReadOnlyMemory<byte> SubjectPublicKeyInfo { get; }

    /// <summary>The 32-byte public key.</summary>
    public byte[] RawPublicKey => _key.PublicKey.Export(KeyBlobFormat.RawPublicKey);

    /// <inheritdoc />
    public bool CanSign(SignatureScheme scheme) => scheme == SignatureScheme.ed25519;

    /// <inheritdoc />
    public ValueTask<byte[]> SignAsync(SignatureScheme scheme, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        if (!CanSign(scheme))
        {
            throw new ArgumentException("An Ed25519 key signs only with ed25519.", nameof(scheme));
        }

        return ValueTask.FromResult(SignatureAlgorithm.Ed25519.Sign(_key, data.Span));
    }

    /// <summary>Disposes the key (libsodium wipes it).</summary>
    public void Dispose() => _key.Dispose();

    internal static byte[] EncodeSubjectPublicKeyInfo(ReadOnlySpan<byte> rawPublicKey)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            using (w.PushSequence())
            {
                w.WriteObjectIdentifier(Ed25519Oid);
            }

            w.WriteBitString(rawPublicKey);
        }

        return w.Encode();
    }

    string IExportablePrivateKey.ExportPkcs8Pem()
    {
        var seed = _key.Export(KeyBlobFormat.RawPrivateKey);
        try
        {
            var inner = new AsnWriter(AsnEncodingRules.DER);
            inner.WriteOctetString(seed);
            var w = new AsnWriter(AsnEncodingRules.DER);
            using (w.PushSequence())
            {
                w.WriteInteger(0);
                using (w.PushSequence())
                {
                    w.WriteObjectIdentifier(Ed25519Oid);
                }

                w.WriteOctetString(inner.Encode());
            }

            return PemEncoding.WriteString("PRIVATE KEY", w.Encode());
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }
}
