using Tessera.Crypto;
using Tessera.Pki.X509;

namespace Tessera.Fuzz.Targets;

/// <summary>
/// The X.509 certificate parser, then what a chain check does with a parsed certificate: names printed, the
/// certificate's own name constraints applied to itself, and its signature checked with its own public key (which
/// must answer false for any key or signature it cannot use, never throw).
/// </summary>
public sealed class X509Target : IFuzzTarget
{
    /// <inheritdoc />
    public string Name => "x509";

    /// <inheritdoc />
    public string Description => "X.509 certificate parser, names, name constraints, SubjectPublicKeyInfo and signature verification";

    /// <inheritdoc />
    public void Run(ReadOnlySpan<byte> input)
    {
        Certificate? certificate = null;
        var der = input.ToArray();
        Expect.OnlyFormatErrors(() => certificate = Certificate.Parse(der));
        if (certificate is null)
        {
            return;
        }

        _ = certificate.Subject.ToString();
        _ = certificate.Issuer.ToString();
        _ = certificate.IsSelfIssued;
        if (certificate.NameConstraints is { } constraints)
        {
            Expect.OnlyFormatErrors(() => NameConstraintChecker.FirstViolation(constraints, certificate));
        }

        foreach (var scheme in new[] { SignatureScheme.ecdsa_secp256r1_sha256, SignatureScheme.rsa_pkcs1_sha256, SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.rsa_pss_pss_sha256, SignatureScheme.ed25519 })
        {
            _ = SignatureVerifier.VerifyCertificateSignature(scheme, certificate.SubjectPublicKeyInfo.Span, certificate.TbsDer.Span, certificate.Signature);
        }
    }
}
