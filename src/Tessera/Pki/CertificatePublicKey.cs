using System.Formats.Asn1;
using System.Security.Cryptography;

namespace Tessera.Pki;

/// <summary>Reads the SubjectPublicKeyInfo out of a DER certificate without interpreting the key.</summary>
internal static class CertificatePublicKey
{
    /// <summary>The DER SubjectPublicKeyInfo of a certificate (RFC 5280 §4.1). Throws <see cref="CryptographicException"/> on malformed DER.</summary>
    public static byte[] GetSubjectPublicKeyInfo(ReadOnlySpan<byte> certificateDer)
    {
        try
        {
            var reader = new AsnReader(certificateDer.ToArray(), AsnEncodingRules.DER);
            var certificate = reader.ReadSequence();
            var tbs = certificate.ReadSequence();
            var versionTag = new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true);
            if (tbs.HasData && tbs.PeekTag().HasSameClassAndValue(versionTag))
            {
                tbs.ReadEncodedValue();
            }

            tbs.ReadIntegerBytes();   // serialNumber
            tbs.ReadSequence();       // signature AlgorithmIdentifier
            tbs.ReadSequence();       // issuer
            tbs.ReadSequence();       // validity
            tbs.ReadSequence();       // subject
            return tbs.ReadEncodedValue().ToArray();
        }
        catch (AsnContentException ex)
        {
            throw new CryptographicException("Malformed certificate.", ex);
        }
    }
}
