using System.Formats.Asn1;
using System.Security.Cryptography;

namespace Tessera.Pki.X509;

/// <summary>
/// CertID (RFC 6960 §4.1.1): which certificate an OCSP request or response is about — hashes of the
/// issuer's name and public key, and the serial number.
/// </summary>
/// <param name="HashAlgorithmOid">SHA-1 (the usual) or SHA-256.</param>
/// <param name="IssuerNameHash">Hash of the issuer's DER Name.</param>
/// <param name="IssuerKeyHash">Hash of the issuer's subjectPublicKey BIT STRING contents.</param>
/// <param name="SerialNumber">The certificate's serial, as encoded.</param>
public sealed record OcspCertificateId(string HashAlgorithmOid, byte[] IssuerNameHash, byte[] IssuerKeyHash, byte[] SerialNumber)
{
    /// <summary>id-sha1.</summary>
    public const string Sha1Oid = "1.3.14.3.2.26";

    /// <summary>id-sha256.</summary>
    public const string Sha256Oid = "2.16.840.1.101.3.4.2.1";

    /// <summary>The CertID of <paramref name="certificate"/> issued by <paramref name="issuer"/>.</summary>
    public static OcspCertificateId For(Certificate certificate, Certificate issuer, string hashAlgorithmOid = Sha1Oid)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(issuer);
        var key = SubjectPublicKeyBits(issuer);
        return new OcspCertificateId(hashAlgorithmOid, Hash(hashAlgorithmOid, issuer.Subject.Der.Span), Hash(hashAlgorithmOid, key), certificate.SerialNumber);
    }

    /// <summary>True when this CertID names <paramref name="certificate"/> issued by <paramref name="issuer"/> (with whatever hash it uses).</summary>
    public bool Matches(Certificate certificate, Certificate issuer) =>
        HashAlgorithmOid is Sha1Oid or Sha256Oid &&
        SerialNumber.AsSpan().SequenceEqual(certificate.SerialNumber) &&
        IssuerNameHash.AsSpan().SequenceEqual(Hash(HashAlgorithmOid, issuer.Subject.Der.Span)) &&
        IssuerKeyHash.AsSpan().SequenceEqual(Hash(HashAlgorithmOid, SubjectPublicKeyBits(issuer)));

    internal static OcspCertificateId Read(AsnReader reader)
    {
        var sequence = reader.ReadSequence();
        var algorithm = sequence.ReadSequence();
        string oid = algorithm.ReadObjectIdentifier();
        if (algorithm.HasData)
        {
            algorithm.ReadNull();
        }

        var id = new OcspCertificateId(oid, sequence.ReadOctetString(), sequence.ReadOctetString(), sequence.ReadIntegerBytes().ToArray());
        sequence.ThrowIfNotEmpty();
        return id;
    }

    internal void Write(AsnWriter writer)
    {
        using (writer.PushSequence())
        {
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(HashAlgorithmOid);
                writer.WriteNull();
            }

            writer.WriteOctetString(IssuerNameHash);
            writer.WriteOctetString(IssuerKeyHash);
            writer.WriteInteger(SerialNumber);   // as the certificate encodes it (minimal two's complement)
        }
    }

    /// <summary>A DER OCSPRequest (RFC 6960 §4.1.1) for this certificate, unsigned, without extensions.</summary>
    public byte[] ToRequest()
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        using (writer.PushSequence())
        using (writer.PushSequence())
        using (writer.PushSequence())
        {
            Write(writer);
        }

        return writer.Encode();
    }

    /// <summary>Reads the first CertID of a DER OCSPRequest (what a responder answers).</summary>
    public static OcspCertificateId FromRequest(ReadOnlySpan<byte> request)
    {
        try
        {
            var ocspRequest = new AsnReader(request.ToArray(), AsnEncodingRules.DER).ReadSequence();
            var tbs = ocspRequest.ReadSequence();
            var versionTag = new Asn1Tag(TagClass.ContextSpecific, 0, true);
            var nameTag = new Asn1Tag(TagClass.ContextSpecific, 1, true);
            if (tbs.PeekTag().HasSameClassAndValue(versionTag))
            {
                tbs.ReadEncodedValue();
            }

            if (tbs.PeekTag().HasSameClassAndValue(nameTag))
            {
                tbs.ReadEncodedValue();
            }

            var list = tbs.ReadSequence();
            return Read(list.ReadSequence());
        }
        catch (Exception ex) when (ex is AsnContentException or ArgumentException)
        {
            throw new CertificateFormatException($"malformed OCSP request: {ex.Message}", ex);
        }
    }

    private static byte[] SubjectPublicKeyBits(Certificate issuer)
    {
        var spki = new AsnReader(issuer.SubjectPublicKeyInfo, AsnEncodingRules.DER).ReadSequence();
        spki.ReadSequence();
        return spki.ReadBitString(out _);
    }

    private static byte[] Hash(string oid, ReadOnlySpan<byte> data) => oid switch
    {
        Sha1Oid => SHA1.HashData(data),
        Sha256Oid => SHA256.HashData(data),
        _ => [],
    };
}
