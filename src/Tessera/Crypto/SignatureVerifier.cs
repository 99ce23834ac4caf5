using System.Formats.Asn1;
using System.Security.Cryptography;
using NSec.Cryptography;

namespace Tessera.Crypto;

/// <summary>
/// Verifies handshake and certificate signatures from a DER SubjectPublicKeyInfo. Any malformed key,
/// a key that does not fit the scheme, or an RSA key under 2048 bits gives false, never an exception.
/// </summary>
internal static class SignatureVerifier
{
    /// <summary>RSA keys below this size are refused.</summary>
    public const int MinimumRsaKeyBits = 2048;

    private const string RsaEncryptionOid = "1.2.840.113549.1.1.1";
    private const string RsaPssOid = "1.2.840.113549.1.1.10";
    private const string EcPublicKeyOid = "1.2.840.10045.2.1";
    private const string Ed25519Oid = "1.3.101.112";

    /// <summary>
    /// A signature on a certificate, CRL or OCSP response: the curve of an ECDSA key need not match the hash, and an
    /// RSASSA-PSS AlgorithmIdentifier (read as rsa_pss_rsae_*) may be verified with an rsaEncryption or an id-RSASSA-PSS key.
    /// </summary>
    public static bool VerifyCertificateSignature(SignatureScheme scheme, ReadOnlySpan<byte> spki, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (scheme is SignatureScheme.rsa_pss_rsae_sha256 or SignatureScheme.rsa_pss_rsae_sha384 or SignatureScheme.rsa_pss_rsae_sha512)
        {
            try
            {
                if (ParseSpki(spki).Oid == RsaPssOid)
                {
                    scheme = scheme switch
                    {
                        SignatureScheme.rsa_pss_rsae_sha256 => SignatureScheme.rsa_pss_pss_sha256,
                        SignatureScheme.rsa_pss_rsae_sha384 => SignatureScheme.rsa_pss_pss_sha384,
                        _ => SignatureScheme.rsa_pss_pss_sha512,
                    };
                }
            }
            catch (Exception ex) when (ex is CryptographicException or AsnContentException)
            {
                return false;   // a malformed key (e.g. unused bits in its BIT STRING) is a failed check, not an exception (found by fuzzing)
            }
        }

        return Verify(scheme, spki, data, signature, ecdsaCurveMustMatch: false);
    }

    public static bool Verify(SignatureScheme scheme, ReadOnlySpan<byte> spki, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature, bool ecdsaCurveMustMatch)
    {
        var info = SignatureSchemes.Find(scheme);
        if (info is null || !info.Implemented)
        {
            return false;
        }

        try
        {
            var (oid, parameters, key) = ParseSpki(spki);
            return info.KeyType switch
            {
                SignatureKeyType.Ecdsa => oid == EcPublicKeyOid && VerifyEcdsa(info, spki, data, signature, ecdsaCurveMustMatch),
                SignatureKeyType.Rsa => oid == RsaEncryptionOid && VerifyRsa(info, spki, isPssKey: false, data, signature),
                SignatureKeyType.RsaPss => oid == RsaPssOid && VerifyRsa(info, key, isPssKey: true, data, signature),
                SignatureKeyType.Ed25519 => oid == Ed25519Oid && parameters.IsEmpty && VerifyEd25519(key, data, signature),
                _ => false,
            };
        }
        catch (Exception ex) when (ex is CryptographicException or AsnContentException or ArgumentException or FormatException or PlatformNotSupportedException)
        {
            return false;
        }
    }

    internal static (string Oid, ReadOnlyMemory<byte> Parameters, byte[] Key) ParseSpki(ReadOnlySpan<byte> spki)
    {
        var reader = new AsnReader(spki.ToArray(), AsnEncodingRules.DER);
        var sequence = reader.ReadSequence();
        reader.ThrowIfNotEmpty();
        var algorithm = sequence.ReadSequence();
        string oid = algorithm.ReadObjectIdentifier();
        var parameters = algorithm.HasData ? algorithm.ReadEncodedValue() : ReadOnlyMemory<byte>.Empty;
        algorithm.ThrowIfNotEmpty();
        var key = sequence.ReadBitString(out int unused);
        sequence.ThrowIfNotEmpty();
        if (unused != 0)
        {
            throw new CryptographicException("SubjectPublicKeyInfo key has unused bits.");
        }

        return (oid, parameters, key);
    }

    private static bool VerifyEcdsa(SignatureSchemeInfo info, ReadOnlySpan<byte> spki, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature, bool curveMustMatch)
    {
        var entry = PublicKeyCache.Ecdsa(spki);
        string? curveOid = entry.CurveOid;
        string? expected = info.CurveGroup switch
        {
            NamedGroup.Secp256r1 => "1.2.840.10045.3.1.7",
            NamedGroup.Secp384r1 => "1.3.132.0.34",
            NamedGroup.Secp521r1 => "1.3.132.0.35",
            _ => null,
        };
        if (curveMustMatch && (curveOid is null || curveOid != expected))
        {
            return false;
        }

        lock (entry.Gate)
        {
            return ((ECDsa)entry.Key).VerifyData(data, signature, HashAlgorithms.ToBcl(info.Hash), DSASignatureFormat.Rfc3279DerSequence);
        }
    }

    private static bool VerifyRsa(SignatureSchemeInfo info, ReadOnlySpan<byte> keyBytes, bool isPssKey, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        var entry = PublicKeyCache.Rsa(keyBytes, bareRsaPublicKey: isPssKey);
        var rsa = (RSA)entry.Key;
        if (rsa.KeySize < MinimumRsaKeyBits)
        {
            return false;
        }

        lock (entry.Gate)
        {
            if (info.Hash == TlsHashAlgorithm.Md5Sha1)
            {
                return !isPssKey && VerifyRsaMd5Sha1(rsa.ExportParameters(false), data, signature);
            }

            var padding = info.Padding == SignaturePadding.Pss ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1;
            return rsa.VerifyData(data, signature, HashAlgorithms.ToBcl(info.Hash), padding);
        }
    }

    /// <summary>
    /// TLS 1.0/1.1 RSA: PKCS#1 v1.5 over the 36-byte MD5 ‖ SHA-1 digest with no DigestInfo, which the BCL
    /// cannot express; BouncyCastle's raw PKCS#1 signer can.
    /// </summary>
    private static bool VerifyRsaMd5Sha1(RSAParameters key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        Span<byte> digest = stackalloc byte[36];
        MD5.HashData(data, digest);
        SHA1.HashData(data, digest[16..]);
        var signer = new Org.BouncyCastle.Crypto.Signers.GenericSigner(
            new Org.BouncyCastle.Crypto.Encodings.Pkcs1Encoding(new Org.BouncyCastle.Crypto.Engines.RsaBlindedEngine()), new Org.BouncyCastle.Crypto.Digests.NullDigest());
        signer.Init(false, new Org.BouncyCastle.Crypto.Parameters.RsaKeyParameters(false,
            new Org.BouncyCastle.Math.BigInteger(1, key.Modulus), new Org.BouncyCastle.Math.BigInteger(1, key.Exponent)));
        signer.BlockUpdate(digest);
        try
        {
            return signer.VerifySignature(signature.ToArray());
        }
        catch (Org.BouncyCastle.Crypto.CryptoException)
        {
            return false;
        }
    }

    private static bool VerifyEd25519(byte[] key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (key.Length != 32 || signature.Length != 64)
        {
            return false;
        }

        var publicKey = PublicKey.Import(SignatureAlgorithm.Ed25519, key, KeyBlobFormat.RawPublicKey);
        return SignatureAlgorithm.Ed25519.Verify(publicKey, data, signature);
    }
}
