using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Tessera.Crypto;

namespace Tessera.Pki;

/// <summary>
/// Lets the BCL's <see cref="CertificateRequest"/> and <see cref="CertificateRevocationListBuilder"/> sign with an
/// <see cref="ITlsPrivateKey"/>: ECDSA (the curve's hash), RSA PKCS#1 v1.5 or PSS with SHA-256, and Ed25519, which the BCL
/// alone cannot sign certificates with.
/// </summary>
internal sealed class TlsKeySignatureGenerator : X509SignatureGenerator
{
    private readonly ITlsPrivateKey _key;
    private readonly SignatureScheme _scheme;
    private readonly byte[] _algorithmIdentifier;

    /// <summary>id-RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt (RFC 4055 §3.1, the parameters written out in DER).</summary>
    private static readonly byte[] RsaPssSha256 = Convert.FromHexString(
        "304106092A864886F70D01010A3034A00F300D06096086480165030402010500A11C301A06092A864886F70D010108300D06096086480165030402010500A203020120");

    public TlsKeySignatureGenerator(ITlsPrivateKey key, bool rsaPss = false)
    {
        _key = key;
        (_scheme, _algorithmIdentifier) = key.KeyType switch
        {
            SignatureKeyType.RsaPss => (SignatureScheme.rsa_pss_pss_sha256, RsaPssSha256),
            SignatureKeyType.Rsa when rsaPss => (SignatureScheme.rsa_pss_rsae_sha256, RsaPssSha256),
            SignatureKeyType.Ecdsa when key.Curve == NamedGroup.Secp384r1 => (SignatureScheme.ecdsa_secp384r1_sha384, EcdsaWith("03")),
            SignatureKeyType.Ecdsa when key.Curve == NamedGroup.Secp256r1 => (SignatureScheme.ecdsa_secp256r1_sha256, EcdsaWith("02")),
            SignatureKeyType.Rsa => (SignatureScheme.rsa_pkcs1_sha256, Convert.FromHexString("300D06092A864886F70D01010B0500")),
            SignatureKeyType.Ed25519 => (SignatureScheme.ed25519, Convert.FromHexString("300506032B6570")),
            _ => throw new NotSupportedException($"A CA cannot sign with a {key.KeyType} key here; use ECDSA P-256/P-384, RSA or Ed25519."),
        };
    }

    /// <summary>The hash the BCL should name to the request; ignored by the signature itself for Ed25519.</summary>
    public HashAlgorithmName HashAlgorithm => _scheme == SignatureScheme.ecdsa_secp384r1_sha384 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256;

    private static byte[] EcdsaWith(string last) => Convert.FromHexString("300A06082A8648CE3D0403" + last);

    public override byte[] GetSignatureAlgorithmIdentifier(HashAlgorithmName hashAlgorithm) => (byte[])_algorithmIdentifier.Clone();

    public override byte[] SignData(byte[] data, HashAlgorithmName hashAlgorithm) =>
        _key.SignAsync(_scheme, data).AsTask().GetAwaiter().GetResult();

    protected override PublicKey BuildPublicKey() => PublicKey.CreateFromSubjectPublicKeyInfo(_key.SubjectPublicKeyInfo.Span, out _);
}
