using System.Formats.Asn1;

namespace Tessera.Pki.X509;

/// <summary>An OCSP certificate status (RFC 6960 §4.2.1).</summary>
public enum OcspCertificateStatus
{
    /// <summary>good.</summary>
    Good,
    /// <summary>revoked.</summary>
    Revoked,
    /// <summary>unknown.</summary>
    Unknown,
}

/// <summary>One SingleResponse.</summary>
/// <param name="CertificateId">Which certificate.</param>
/// <param name="Status">good, revoked or unknown.</param>
/// <param name="RevocationTime">When revoked, if revoked.</param>
/// <param name="Reason">The CRL reason, if revoked and given.</param>
/// <param name="ThisUpdate">thisUpdate.</param>
/// <param name="NextUpdate">nextUpdate, if any.</param>
public sealed record OcspSingleResponse(OcspCertificateId CertificateId, OcspCertificateStatus Status, DateTimeOffset? RevocationTime, RevocationReason? Reason,
    DateTimeOffset ThisUpdate, DateTimeOffset? NextUpdate);

/// <summary>
/// An OCSP response (RFC 6960 §4.2) with a BasicOCSPResponse, parsed strictly, and verified against the
/// issuer: signed by the issuer itself or by a responder certificate the issuer delegated (id-kp-OCSPSigning).
/// </summary>
public sealed class OcspResponse
{
    private const string BasicResponseOid = "1.3.6.1.5.5.7.48.1.1";
    private const int MaxResponses = 64;

    private OcspResponse(ReadOnlyMemory<byte> der) => Der = der;

    /// <summary>The whole response, DER (what a server staples).</summary>
    public ReadOnlyMemory<byte> Der { get; }

    /// <summary>responseStatus: 0 successful, 1 malformedRequest, 2 internalError, 3 tryLater, 5 sigRequired, 6 unauthorized.</summary>
    public int ResponseStatus { get; private set; }

    /// <summary>True for a successful response with a BasicOCSPResponse.</summary>
    public bool IsSuccessful => ResponseStatus == 0;

    /// <summary>tbsResponseData, DER.</summary>
    public ReadOnlyMemory<byte> TbsDer { get; private set; }

    /// <summary>The signature algorithm.</summary>
    public ReadOnlyMemory<byte> SignatureAlgorithm { get; private set; }

    /// <summary>The signature.</summary>
    public byte[] Signature { get; private set; } = [];

    /// <summary>responderID byName, if so identified.</summary>
    public DistinguishedName? ResponderName { get; private set; }

    /// <summary>responderID byKey (SHA-1 of the responder's public key), if so identified.</summary>
    public byte[]? ResponderKeyHash { get; private set; }

    /// <summary>producedAt.</summary>
    public DateTimeOffset ProducedAt { get; private set; }

    /// <summary>The SingleResponses.</summary>
    public IReadOnlyList<OcspSingleResponse> Responses { get; private set; } = [];

    /// <summary>Certificates the responder included (a delegated responder's).</summary>
    public IReadOnlyList<Certificate> Certificates { get; private set; } = [];

    /// <summary>Parses a DER OCSPResponse.</summary>
    public static OcspResponse Parse(ReadOnlyMemory<byte> der)
    {
        var response = new OcspResponse(der);
        try
        {
            response.Read();
        }
        catch (Exception ex) when (ex is AsnContentException or ArgumentException or FormatException or OverflowException or InvalidOperationException)
        {
            throw new CertificateFormatException($"malformed OCSP response: {ex.Message}", ex);
        }

        return response;
    }

    private void Read()
    {
        var outer = new AsnReader(Der, AsnEncodingRules.DER);
        var response = outer.ReadSequence();
        outer.ThrowIfNotEmpty();
        var status = response.ReadEnumeratedBytes().Span;
        ResponseStatus = status.Length == 1 ? status[0] : throw new CertificateFormatException("bad responseStatus");
        if (!response.HasData)
        {
            if (IsSuccessful)
            {
                throw new CertificateFormatException("a successful OCSP response without responseBytes");
            }

            return;
        }

        var bytes = response.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0, true)).ReadSequence();
        response.ThrowIfNotEmpty();
        if (bytes.ReadObjectIdentifier() != BasicResponseOid)
        {
            throw new CertificateFormatException("not a basic OCSP response");
        }

        var basicDer = bytes.ReadOctetString();
        bytes.ThrowIfNotEmpty();
        var basic = new AsnReader(basicDer, AsnEncodingRules.DER).ReadSequence();
        TbsDer = basic.ReadEncodedValue();
        SignatureAlgorithm = basic.ReadEncodedValue();
        Signature = basic.ReadBitString(out int unused);
        if (unused != 0)
        {
            throw new CertificateFormatException("OCSP signature has unused bits");
        }

        var certificatesTag = new Asn1Tag(TagClass.ContextSpecific, 0, true);
        if (basic.HasData && basic.PeekTag().HasSameClassAndValue(certificatesTag))
        {
            var list = basic.ReadSequence(certificatesTag).ReadSequence();
            var certificates = new List<Certificate>();
            while (list.HasData && certificates.Count < 8)
            {
                certificates.Add(Certificate.Parse(list.ReadEncodedValue()));
            }

            Certificates = certificates;
        }

        basic.ThrowIfNotEmpty();
        ReadResponseData(new AsnReader(TbsDer, AsnEncodingRules.DER).ReadSequence());
    }

    private void ReadResponseData(AsnReader data)
    {
        var versionTag = new Asn1Tag(TagClass.ContextSpecific, 0, true);
        if (data.PeekTag().HasSameClassAndValue(versionTag))
        {
            if (data.ReadSequence(versionTag).ReadInteger() != 0)
            {
                throw new CertificateFormatException("unknown OCSP response version");
            }
        }

        var responder = data.PeekTag();
        if (responder.HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 1, true)))
        {
            ResponderName = DistinguishedName.Read(data.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 1, true)));
        }
        else
        {
            ResponderKeyHash = data.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 2, true)).ReadOctetString();
        }

        ProducedAt = data.ReadGeneralizedTime();
        var responses = new List<OcspSingleResponse>();
        var list = data.ReadSequence();
        while (list.HasData)
        {
            if (responses.Count == MaxResponses)
            {
                throw new CertificateFormatException("too many OCSP SingleResponses");
            }

            var single = list.ReadSequence();
            var id = OcspCertificateId.Read(single);
            var statusTag = single.PeekTag();
            OcspCertificateStatus status;
            DateTimeOffset? revokedAt = null;
            RevocationReason? reason = null;
            switch (statusTag.TagValue)
            {
                case 0 when statusTag.TagClass == TagClass.ContextSpecific:
                    single.ReadNull(new Asn1Tag(TagClass.ContextSpecific, 0));
                    status = OcspCertificateStatus.Good;
                    break;
                case 1 when statusTag.TagClass == TagClass.ContextSpecific:
                    var revoked = single.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 1, true));
                    revokedAt = revoked.ReadGeneralizedTime();
                    if (revoked.HasData)
                    {
                        var code = revoked.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0, true)).ReadEnumeratedBytes().Span;
                        reason = code.Length == 1 ? (RevocationReason)code[0] : throw new CertificateFormatException("bad revocationReason");
                    }

                    status = OcspCertificateStatus.Revoked;
                    break;
                case 2 when statusTag.TagClass == TagClass.ContextSpecific:
                    single.ReadNull(new Asn1Tag(TagClass.ContextSpecific, 2));
                    status = OcspCertificateStatus.Unknown;
                    break;
                default:
                    throw new CertificateFormatException("bad certStatus");
            }

            var thisUpdate = single.ReadGeneralizedTime();
            DateTimeOffset? nextUpdate = null;
            var nextTag = new Asn1Tag(TagClass.ContextSpecific, 0, true);
            if (single.HasData && single.PeekTag().HasSameClassAndValue(nextTag))
            {
                nextUpdate = single.ReadSequence(nextTag).ReadGeneralizedTime();
            }

            if (single.HasData)
            {
                single.ReadEncodedValue();   // singleExtensions
            }

            single.ThrowIfNotEmpty();
            responses.Add(new OcspSingleResponse(id, status, revokedAt, reason, thisUpdate, nextUpdate));
        }

        while (data.HasData)
        {
            data.ReadEncodedValue();   // responseExtensions (a nonce, at most)
        }

        Responses = responses;
    }

    /// <summary>
    /// The status of <paramref name="certificate"/> if this response is authentic and current: signed by
    /// <paramref name="issuer"/> or by a responder certificate it issued for OCSP signing, and with a
    /// SingleResponse for the certificate that is current at <paramref name="time"/> (± <paramref name="skew"/>).
    /// Null when the response says nothing trustworthy about it.
    /// </summary>
    public OcspSingleResponse? StatusOf(Certificate certificate, Certificate issuer, DateTimeOffset time, TimeSpan skew, out string why)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(issuer);
        if (!IsSuccessful)
        {
            why = $"the OCSP response status is {ResponseStatus}, not successful";
            return null;
        }

        var signer = FindSigner(issuer, time, out why);
        if (signer is null)
        {
            return null;
        }

        var single = Responses.FirstOrDefault(r => r.CertificateId.Matches(certificate, issuer));
        if (single is null)
        {
            why = "the OCSP response is about another certificate";
            return null;
        }

        if (single.ThisUpdate > time + skew || (single.NextUpdate is { } next && next + skew < time) ||
            (single.NextUpdate is null && single.ThisUpdate + TimeSpan.FromDays(7) < time))
        {
            why = $"the OCSP response is not current (thisUpdate {single.ThisUpdate:u}, nextUpdate {single.NextUpdate?.ToString("u", System.Globalization.CultureInfo.InvariantCulture) ?? "none"})";
            return null;
        }

        why = "";
        return single;
    }

    /// <summary>The issuer itself, or a delegated responder (issued by it, id-kp-OCSPSigning, valid now), whose key verifies the response.</summary>
    private Certificate? FindSigner(Certificate issuer, DateTimeOffset time, out string why)
    {
        if (Verifies(issuer))
        {
            why = "";
            return issuer;
        }

        foreach (var responder in Certificates)
        {
            if (responder.Issuer.Equals(issuer.Subject) &&
                responder.ExtendedKeyUsage?.Contains(X509Oids.OcspSigning) == true &&
                responder.NotBefore <= time && time <= responder.NotAfter &&
                VerifiesCertificate(responder, issuer) && Verifies(responder))
            {
                why = "";
                return responder;
            }
        }

        why = "the OCSP response is not signed by the issuer or a responder it delegated";
        return null;
    }

    private bool Verifies(Certificate signer)
    {
        var scheme = CertificateSignatureAlgorithm.FromAlgorithmIdentifier(SignatureAlgorithm.Span);
        return scheme is not null && Crypto.SignatureVerifier.VerifyCertificateSignature(scheme.Value, signer.SubjectPublicKeyInfo.Span, TbsDer.Span, Signature);
    }

    private static bool VerifiesCertificate(Certificate certificate, Certificate issuer)
    {
        var scheme = CertificateSignatureAlgorithm.FromAlgorithmIdentifier(certificate.SignatureAlgorithm.Span);
        return scheme is not null && Crypto.SignatureVerifier.VerifyCertificateSignature(scheme.Value, issuer.SubjectPublicKeyInfo.Span, certificate.TbsDer.Span, certificate.Signature);
    }
}
