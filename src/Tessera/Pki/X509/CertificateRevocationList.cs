using System.Formats.Asn1;

namespace Tessera.Pki.X509;

/// <summary>CRL reason codes (RFC 5280 §5.3.1).</summary>
public enum RevocationReason
{
    /// <summary>unspecified (0), also when the entry has no reasonCode.</summary>
    Unspecified = 0,
    /// <summary>keyCompromise (1).</summary>
    KeyCompromise = 1,
    /// <summary>cACompromise (2).</summary>
    CaCompromise = 2,
    /// <summary>affiliationChanged (3).</summary>
    AffiliationChanged = 3,
    /// <summary>superseded (4).</summary>
    Superseded = 4,
    /// <summary>cessationOfOperation (5).</summary>
    CessationOfOperation = 5,
    /// <summary>certificateHold (6).</summary>
    CertificateHold = 6,
    /// <summary>removeFromCRL (8): only in delta CRLs, which are not used.</summary>
    RemoveFromCrl = 8,
    /// <summary>privilegeWithdrawn (9).</summary>
    PrivilegeWithdrawn = 9,
    /// <summary>aACompromise (10).</summary>
    AaCompromise = 10,
}

/// <summary>One revokedCertificates entry.</summary>
/// <param name="SerialNumber">userCertificate, as encoded.</param>
/// <param name="RevocationDate">revocationDate.</param>
/// <param name="Reason">reasonCode, or unspecified.</param>
public sealed record RevokedCertificate(byte[] SerialNumber, DateTimeOffset RevocationDate, RevocationReason Reason);

/// <summary>
/// An X.509 v2 CRL (RFC 5280 §5), parsed strictly: issuer, thisUpdate/nextUpdate, the revoked serials
/// with reasons, the CRL number, authorityKeyIdentifier and the basics of issuingDistributionPoint.
/// </summary>
public sealed class CertificateRevocationList
{
    private const string CrlNumberOid = "2.5.29.20";
    private const string ReasonCodeOid = "2.5.29.21";
    private const string IssuingDistributionPointOid = "2.5.29.28";
    private const string DeltaCrlIndicatorOid = "2.5.29.27";

    private CertificateRevocationList(ReadOnlyMemory<byte> der) => Der = der;

    /// <summary>The whole CRL, DER.</summary>
    public ReadOnlyMemory<byte> Der { get; }

    /// <summary>tbsCertList, DER (what the issuer signed).</summary>
    public ReadOnlyMemory<byte> TbsDer { get; private set; }

    /// <summary>The signature algorithm (DER AlgorithmIdentifier).</summary>
    public ReadOnlyMemory<byte> SignatureAlgorithm { get; private set; }

    /// <summary>signatureValue.</summary>
    public byte[] Signature { get; private set; } = [];

    /// <summary>issuer.</summary>
    public DistinguishedName Issuer { get; private set; } = null!;

    /// <summary>thisUpdate.</summary>
    public DateTimeOffset ThisUpdate { get; private set; }

    /// <summary>nextUpdate (required by RFC 5280 §5.1.2.5 for conforming issuers).</summary>
    public DateTimeOffset? NextUpdate { get; private set; }

    /// <summary>The revoked certificates.</summary>
    public IReadOnlyList<RevokedCertificate> Revoked { get; private set; } = [];

    /// <summary>cRLNumber, if present.</summary>
    public byte[]? CrlNumber { get; private set; }

    /// <summary>authorityKeyIdentifier keyIdentifier, if present.</summary>
    public byte[]? AuthorityKeyIdentifier { get; private set; }

    /// <summary>issuingDistributionPoint says the CRL covers only end-entity certificates.</summary>
    public bool OnlyUserCertificates { get; private set; }

    /// <summary>issuingDistributionPoint says the CRL covers only CA certificates.</summary>
    public bool OnlyCaCertificates { get; private set; }

    /// <summary>The CRL is partial (onlySomeReasons, indirectCRL) or a delta CRL: it cannot prove a certificate is not revoked.</summary>
    public bool IsPartial { get; private set; }

    /// <summary>Critical extensions not understood; such a CRL cannot be used (RFC 5280 §5.2).</summary>
    public IReadOnlyList<string> UnhandledCriticalExtensions { get; private set; } = [];

    /// <summary>Parses a DER CRL.</summary>
    public static CertificateRevocationList Parse(ReadOnlyMemory<byte> der)
    {
        var crl = new CertificateRevocationList(der);
        try
        {
            crl.Read();
        }
        catch (Exception ex) when (ex is AsnContentException or ArgumentException or FormatException or OverflowException or InvalidOperationException)
        {
            throw new CertificateFormatException($"malformed CRL: {ex.Message}", ex);
        }

        return crl;
    }

    /// <summary>The entry for <paramref name="serialNumber"/>, or null.</summary>
    public RevokedCertificate? Find(ReadOnlySpan<byte> serialNumber)
    {
        foreach (var entry in Revoked)
        {
            if (entry.SerialNumber.AsSpan().SequenceEqual(serialNumber))
            {
                return entry;
            }
        }

        return null;
    }

    private void Read()
    {
        var outer = new AsnReader(Der, AsnEncodingRules.DER);
        var list = outer.ReadSequence();
        outer.ThrowIfNotEmpty();
        TbsDer = list.ReadEncodedValue();
        SignatureAlgorithm = list.ReadEncodedValue();
        Signature = list.ReadBitString(out int unused);
        list.ThrowIfNotEmpty();
        if (unused != 0)
        {
            throw new CertificateFormatException("CRL signature has unused bits");
        }

        var tbs = new AsnReader(TbsDer, AsnEncodingRules.DER).ReadSequence();
        if (!tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Integer) || tbs.ReadInteger() != 1)
        {
            throw new CertificateFormatException("only v2 CRLs are accepted");
        }

        if (!tbs.ReadEncodedValue().Span.SequenceEqual(SignatureAlgorithm.Span))
        {
            throw new CertificateFormatException("CRL signature algorithms differ (RFC 5280 §5.1.1.2)");
        }

        Issuer = DistinguishedName.Read(tbs);
        ThisUpdate = ReadTime(tbs);
        if (tbs.HasData && (tbs.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) || tbs.PeekTag().HasSameClassAndValue(Asn1Tag.GeneralizedTime)))
        {
            NextUpdate = ReadTime(tbs);
        }

        var revoked = new List<RevokedCertificate>();
        if (tbs.HasData && tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
        {
            var entries = tbs.ReadSequence();
            while (entries.HasData)
            {
                var entry = entries.ReadSequence();
                var serial = entry.ReadIntegerBytes().ToArray();
                var date = ReadTime(entry);
                var reason = RevocationReason.Unspecified;
                if (entry.HasData)
                {
                    var extensions = entry.ReadSequence();
                    while (extensions.HasData)
                    {
                        var extension = extensions.ReadSequence();
                        string oid = extension.ReadObjectIdentifier();
                        bool critical = extension.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean) && extension.ReadBoolean();
                        var value = new AsnReader(extension.ReadOctetString(), AsnEncodingRules.DER);
                        if (oid == ReasonCodeOid)
                        {
                            var code = value.ReadEnumeratedBytes().Span;
                            reason = code.Length == 1 && code[0] <= 10 && code[0] != 7
                                ? (RevocationReason)code[0]
                                : throw new CertificateFormatException("CRL reasonCode out of range");
                        }
                        else if (critical)
                        {
                            throw new CertificateFormatException($"unknown critical CRL entry extension {oid}");
                        }
                    }
                }

                entry.ThrowIfNotEmpty();
                revoked.Add(new RevokedCertificate(serial, date, reason));
            }
        }

        Revoked = revoked;
        var unhandled = new List<string>();
        var extensionsTag = new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true);
        if (tbs.HasData)
        {
            var wrapper = tbs.ReadSequence(extensionsTag);
            var extensions = wrapper.ReadSequence();
            wrapper.ThrowIfNotEmpty();
            while (extensions.HasData)
            {
                var extension = extensions.ReadSequence();
                string oid = extension.ReadObjectIdentifier();
                bool critical = extension.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean) && extension.ReadBoolean();
                var value = new AsnReader(extension.ReadOctetString(), AsnEncodingRules.DER);
                extension.ThrowIfNotEmpty();
                switch (oid)
                {
                    case CrlNumberOid:
                        CrlNumber = value.ReadIntegerBytes().ToArray();
                        break;
                    case X509Oids.AuthorityKeyIdentifier:
                        var aki = value.ReadSequence();
                        var keyIdTag = new Asn1Tag(TagClass.ContextSpecific, 0);
                        if (aki.HasData && aki.PeekTag().HasSameClassAndValue(keyIdTag))
                        {
                            AuthorityKeyIdentifier = aki.ReadOctetString(keyIdTag);
                        }

                        break;
                    case IssuingDistributionPointOid:
                        ReadIssuingDistributionPoint(value.ReadSequence());
                        break;
                    case DeltaCrlIndicatorOid:
                        IsPartial = true;
                        break;
                    default:
                        if (critical)
                        {
                            unhandled.Add(oid);
                        }

                        break;
                }
            }
        }

        tbs.ThrowIfNotEmpty();
        UnhandledCriticalExtensions = unhandled;
    }

    /// <summary>RFC 5280 §5.2.5: onlyContainsUserCerts [1], onlyContainsCACerts [2], onlySomeReasons [3], indirectCRL [4].</summary>
    private void ReadIssuingDistributionPoint(AsnReader point)
    {
        while (point.HasData)
        {
            var tag = point.PeekTag();
            switch (tag.TagValue)
            {
                case 1 when tag.TagClass == TagClass.ContextSpecific:
                    OnlyUserCertificates = point.ReadBoolean(new Asn1Tag(TagClass.ContextSpecific, 1));
                    break;
                case 2 when tag.TagClass == TagClass.ContextSpecific:
                    OnlyCaCertificates = point.ReadBoolean(new Asn1Tag(TagClass.ContextSpecific, 2));
                    break;
                case 3 or 4 or 5 when tag.TagClass == TagClass.ContextSpecific:
                    IsPartial = true;
                    point.ReadEncodedValue();
                    break;
                default:
                    point.ReadEncodedValue();   // distributionPoint [0]: the name is not matched against the certificate's
                    break;
            }
        }
    }

    private static DateTimeOffset ReadTime(AsnReader reader) =>
        reader.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) ? reader.ReadUtcTime(2049) : reader.ReadGeneralizedTime();
}
