using System.Formats.Asn1;

namespace Tessera.Pki;

/// <summary>Maps the signatureAlgorithm of a DER certificate onto the TLS signature scheme that names it.</summary>
internal static class CertificateSignatureAlgorithm
{
    /// <summary>
    /// The scheme that signed <paramref name="certificateDer"/>, or null when it has no TLS name.
    /// ECDSA is named by its hash (the curve is the issuer's); RSASSA-PSS maps to rsa_pss_rsae_*.
    /// </summary>
    public static SignatureScheme? Of(ReadOnlySpan<byte> certificateDer)
    {
        try
        {
            var reader = new AsnReader(certificateDer.ToArray(), AsnEncodingRules.DER);
            var certificate = reader.ReadSequence();
            certificate.ReadEncodedValue();   // tbsCertificate
            return FromAlgorithmIdentifier(certificate.ReadEncodedValue().Span);
        }
        catch (AsnContentException)
        {
            return null;
        }
    }

    /// <summary>The scheme an AlgorithmIdentifier (DER) names, for certificates, CRLs and OCSP responses alike; null when it has no TLS name.</summary>
    public static SignatureScheme? FromAlgorithmIdentifier(ReadOnlySpan<byte> algorithmIdentifier)
    {
        try
        {
            var algorithm = new AsnReader(algorithmIdentifier.ToArray(), AsnEncodingRules.DER).ReadSequence();
            return algorithm.ReadObjectIdentifier() switch
            {
                "1.2.840.10045.4.3.2" => SignatureScheme.ecdsa_secp256r1_sha256,
                "1.2.840.10045.4.3.3" => SignatureScheme.ecdsa_secp384r1_sha384,
                "1.2.840.10045.4.3.4" => SignatureScheme.ecdsa_secp521r1_sha512,
                "1.2.840.113549.1.1.5" => SignatureScheme.rsa_pkcs1_sha1,
                "1.2.840.10045.4.1" => SignatureScheme.ecdsa_sha1,
                "1.2.840.113549.1.1.11" => SignatureScheme.rsa_pkcs1_sha256,
                "1.2.840.113549.1.1.12" => SignatureScheme.rsa_pkcs1_sha384,
                "1.2.840.113549.1.1.13" => SignatureScheme.rsa_pkcs1_sha512,
                "1.2.840.113549.1.1.10" => PssScheme(algorithm),
                "1.3.101.112" => SignatureScheme.ed25519,
                _ => null,
            };
        }
        catch (AsnContentException)
        {
            return null;
        }
    }

    /// <summary>True when every certificate a peer must check was signed with one of <paramref name="accepted"/> (a self-signed last certificate, the trust anchor, is not checked).</summary>
    public static bool ChainUses(IReadOnlyList<byte[]> chain, IReadOnlyCollection<SignatureScheme> accepted)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(accepted);
        foreach (var scheme in SchemesToCheck(chain))
        {
            if (scheme is not { } known || !accepted.Contains(known))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The signature schemes a peer checks along a chain, worked out once per chain object (a server's own chain is offered in every handshake).</summary>
    private static SignatureScheme?[] SchemesToCheck(IReadOnlyList<byte[]> chain) => ChainSchemes.GetValue(chain, static c =>
    {
        var schemes = new List<SignatureScheme?>();
        for (int i = 0; i < c.Count; i++)
        {
            if (i == c.Count - 1 && i > 0 && IsSelfIssued(c[i]))
            {
                break;
            }

            schemes.Add(Of(c[i]));
        }

        return [.. schemes];
    });

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IReadOnlyList<byte[]>, SignatureScheme?[]> ChainSchemes = new();

    private static SignatureScheme? PssScheme(AsnReader algorithm)
    {
        // RSASSA-PSS-params: [0] hashAlgorithm (default SHA-1), ...
        if (!algorithm.HasData)
        {
            return null;
        }

        var parameters = algorithm.ReadSequence();
        var hashTag = new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true);
        if (!parameters.HasData || !parameters.PeekTag().HasSameClassAndValue(hashTag))
        {
            return null;
        }

        var hash = parameters.ReadSequence(hashTag).ReadSequence().ReadObjectIdentifier();
        return hash switch
        {
            "2.16.840.1.101.3.4.2.1" => SignatureScheme.rsa_pss_rsae_sha256,
            "2.16.840.1.101.3.4.2.2" => SignatureScheme.rsa_pss_rsae_sha384,
            "2.16.840.1.101.3.4.2.3" => SignatureScheme.rsa_pss_rsae_sha512,
            _ => null,
        };
    }

    private static bool IsSelfIssued(byte[] certificateDer)
    {
        try
        {
            var tbs = new AsnReader(certificateDer, AsnEncodingRules.DER).ReadSequence().ReadSequence();
            var versionTag = new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true);
            if (tbs.PeekTag().HasSameClassAndValue(versionTag))
            {
                tbs.ReadEncodedValue();
            }

            tbs.ReadIntegerBytes();
            tbs.ReadSequence();
            var issuer = tbs.ReadEncodedValue();
            tbs.ReadSequence();
            var subject = tbs.ReadEncodedValue();
            return issuer.Span.SequenceEqual(subject.Span);
        }
        catch (AsnContentException)
        {
            return false;
        }
    }
}
