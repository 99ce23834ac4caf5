using System.Formats.Asn1;

namespace Tessera.Pki.X509;

/// <summary>keyUsage bits (RFC 5280 §4.2.1.3).</summary>
[Flags]
public enum KeyUsageFlags
{
    /// <summary>No extension, or no bit set.</summary>
    None = 0,
    /// <summary>digitalSignature (0).</summary>
    DigitalSignature = 1 << 0,
    /// <summary>nonRepudiation / contentCommitment (1).</summary>
    NonRepudiation = 1 << 1,
    /// <summary>keyEncipherment (2).</summary>
    KeyEncipherment = 1 << 2,
    /// <summary>dataEncipherment (3).</summary>
    DataEncipherment = 1 << 3,
    /// <summary>keyAgreement (4).</summary>
    KeyAgreement = 1 << 4,
    /// <summary>keyCertSign (5).</summary>
    KeyCertSign = 1 << 5,
    /// <summary>cRLSign (6).</summary>
    CrlSign = 1 << 6,
    /// <summary>encipherOnly (7).</summary>
    EncipherOnly = 1 << 7,
    /// <summary>decipherOnly (8).</summary>
    DecipherOnly = 1 << 8,
}

/// <summary>One extension as it appears in the certificate.</summary>
/// <param name="Oid">extnID.</param>
/// <param name="Critical">The critical flag.</param>
/// <param name="Value">The DER inside extnValue.</param>
public sealed record CertificateExtension(string Oid, bool Critical, ReadOnlyMemory<byte> Value);

/// <summary>nameConstraints (RFC 5280 §4.2.1.10): the subtrees' base names (minimum 0, no maximum, as the profile requires).</summary>
/// <param name="Permitted">permittedSubtrees.</param>
/// <param name="Excluded">excludedSubtrees.</param>
public sealed record NameConstraints(IReadOnlyList<GeneralName> Permitted, IReadOnlyList<GeneralName> Excluded);

/// <summary>
/// An X.509 v1/v3 certificate (RFC 5280 §4), parsed strictly from DER: every field the path validator
/// uses, every extension it understands decoded, the others kept with their critical flag.
/// </summary>
public sealed class Certificate
{
    private const int MaxExtensions = 64;

    private Certificate(ReadOnlyMemory<byte> der)
    {
        Der = der;
    }

    /// <summary>The whole certificate, DER.</summary>
    public ReadOnlyMemory<byte> Der { get; }

    /// <summary>tbsCertificate, DER: what the issuer signed.</summary>
    public ReadOnlyMemory<byte> TbsDer { get; private set; }

    /// <summary>1 or 3 (v2 certificates are refused: their unique identifiers have no use).</summary>
    public int Version { get; private set; }

    /// <summary>serialNumber, big-endian, as encoded.</summary>
    public byte[] SerialNumber { get; private set; } = [];

    /// <summary>The signature algorithm's OID.</summary>
    public string SignatureAlgorithmOid { get; private set; } = "";

    /// <summary>The TLS signature scheme that names signatureAlgorithm, or null when none does (worked out once, at parsing).</summary>
    internal SignatureScheme? TlsSignatureScheme { get; private set; }

    /// <summary>The full AlgorithmIdentifier, DER (PSS needs its parameters).</summary>
    public ReadOnlyMemory<byte> SignatureAlgorithm { get; private set; }

    /// <summary>issuer.</summary>
    public DistinguishedName Issuer { get; private set; } = null!;

    /// <summary>subject.</summary>
    public DistinguishedName Subject { get; private set; } = null!;

    /// <summary>notBefore.</summary>
    public DateTimeOffset NotBefore { get; private set; }

    /// <summary>notAfter.</summary>
    public DateTimeOffset NotAfter { get; private set; }

    /// <summary>subjectPublicKeyInfo, DER.</summary>
    public ReadOnlyMemory<byte> SubjectPublicKeyInfo { get; private set; }

    /// <summary>The public key algorithm's OID.</summary>
    public string PublicKeyAlgorithmOid { get; private set; } = "";

    /// <summary>signatureValue.</summary>
    public byte[] Signature { get; private set; } = [];

    /// <summary>Every extension, in order.</summary>
    public IReadOnlyList<CertificateExtension> Extensions { get; private set; } = [];

    /// <summary>basicConstraints cA (false when absent).</summary>
    public bool IsCa { get; private set; }

    /// <summary>basicConstraints pathLenConstraint, if any.</summary>
    public int? PathLengthConstraint { get; private set; }

    /// <summary>True when basicConstraints is present.</summary>
    public bool HasBasicConstraints { get; private set; }

    /// <summary>keyUsage, or null when absent (any use).</summary>
    public KeyUsageFlags? KeyUsage { get; private set; }

    /// <summary>extKeyUsage OIDs, or null when absent (any use).</summary>
    public IReadOnlyList<string>? ExtendedKeyUsage { get; private set; }

    /// <summary>subjectAltName entries (empty when absent).</summary>
    public IReadOnlyList<GeneralName> SubjectAltNames { get; private set; } = [];

    /// <summary>nameConstraints, if any.</summary>
    public NameConstraints? NameConstraints { get; private set; }

    /// <summary>subjectKeyIdentifier, if any.</summary>
    public byte[]? SubjectKeyIdentifier { get; private set; }

    /// <summary>authorityKeyIdentifier keyIdentifier, if any.</summary>
    public byte[]? AuthorityKeyIdentifier { get; private set; }

    /// <summary>OCSP responder URIs from authorityInfoAccess.</summary>
    public IReadOnlyList<string> OcspResponders { get; private set; } = [];

    /// <summary>caIssuers URIs from authorityInfoAccess.</summary>
    public IReadOnlyList<string> CaIssuers { get; private set; } = [];

    /// <summary>CRL distribution point URIs.</summary>
    public IReadOnlyList<string> CrlDistributionPoints { get; private set; } = [];

    /// <summary>The TLS Feature extension lists status_request (RFC 7633 "Must-Staple").</summary>
    public bool MustStaple { get; private set; }

    /// <summary>True when issuer and subject are the same name.</summary>
    public bool IsSelfIssued => Issuer.Equals(Subject);

    /// <summary>Critical extensions this parser does not understand (a validator refuses them).</summary>
    public IReadOnlyList<string> UnhandledCriticalExtensions { get; private set; } = [];

    /// <summary>Parses a DER certificate; any deviation from RFC 5280's structure is a <see cref="CertificateFormatException"/>.</summary>
    public static Certificate Parse(ReadOnlyMemory<byte> der)
    {
        var certificate = new Certificate(der);
        try
        {
            certificate.Read();
        }
        catch (Exception ex) when (ex is AsnContentException or ArgumentException or FormatException or OverflowException or InvalidOperationException)
        {
            throw new CertificateFormatException($"malformed certificate: {ex.Message}", ex);
        }

        return certificate;
    }

    private void Read()
    {
        var outer = new AsnReader(Der, AsnEncodingRules.DER);
        var certificate = outer.ReadSequence();
        outer.ThrowIfNotEmpty();
        TbsDer = certificate.ReadEncodedValue();
        var outerAlgorithm = certificate.ReadEncodedValue();
        Signature = certificate.ReadBitString(out int unused);
        certificate.ThrowIfNotEmpty();
        if (unused != 0)
        {
            throw new CertificateFormatException("signatureValue has unused bits");
        }

        var tbs = new AsnReader(TbsDer, AsnEncodingRules.DER).ReadSequence();
        var versionTag = new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true);
        Version = 1;
        if (tbs.PeekTag().HasSameClassAndValue(versionTag))
        {
            var explicitVersion = tbs.ReadSequence(versionTag);
            Version = (int)explicitVersion.ReadInteger() + 1;
            explicitVersion.ThrowIfNotEmpty();
            if (Version != 3)
            {
                // DER omits a DEFAULT v1; v2 is not accepted.
                throw new CertificateFormatException($"certificate version {Version} is not accepted");
            }
        }

        var serial = tbs.ReadIntegerBytes();
        if (serial.Length > 20 || (serial.Span[0] & 0x80) != 0)
        {
            // RFC 5280 §4.1.2.2: a positive integer of at most 20 octets (zero is tolerated: several roots in use have it).
            throw new CertificateFormatException("serialNumber must be non-negative and at most 20 octets");
        }

        SerialNumber = serial.ToArray();
        SignatureAlgorithm = tbs.ReadEncodedValue();
        if (!SignatureAlgorithm.Span.SequenceEqual(outerAlgorithm.Span))
        {
            throw new CertificateFormatException("signatureAlgorithm differs from tbsCertificate.signature (RFC 5280 §4.1.1.2)");
        }

        SignatureAlgorithmOid = new AsnReader(SignatureAlgorithm, AsnEncodingRules.DER).ReadSequence().ReadObjectIdentifier();
        TlsSignatureScheme = CertificateSignatureAlgorithm.FromAlgorithmIdentifier(SignatureAlgorithm.Span);
        Issuer = DistinguishedName.Read(tbs);
        var validity = tbs.ReadSequence();
        NotBefore = ReadTime(validity);
        NotAfter = ReadTime(validity);
        validity.ThrowIfNotEmpty();
        Subject = DistinguishedName.Read(tbs);
        SubjectPublicKeyInfo = tbs.ReadEncodedValue();
        PublicKeyAlgorithmOid = new AsnReader(SubjectPublicKeyInfo, AsnEncodingRules.DER).ReadSequence().ReadSequence().ReadObjectIdentifier();

        foreach (int unique in new[] { 1, 2 })
        {
            if (tbs.HasData && tbs.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, unique)))
            {
                throw new CertificateFormatException("issuerUniqueID/subjectUniqueID are not accepted");
            }
        }

        var extensionsTag = new Asn1Tag(TagClass.ContextSpecific, 3, isConstructed: true);
        if (tbs.HasData)
        {
            if (Version != 3)
            {
                throw new CertificateFormatException("extensions in a v1 certificate");
            }

            var wrapper = tbs.ReadSequence(extensionsTag);
            var list = wrapper.ReadSequence();
            wrapper.ThrowIfNotEmpty();
            ReadExtensions(list);
        }

        tbs.ThrowIfNotEmpty();
    }

    private static DateTimeOffset ReadTime(AsnReader reader)
    {
        var tag = reader.PeekTag();
        if (tag.HasSameClassAndValue(Asn1Tag.UtcTime))
        {
            return reader.ReadUtcTime(2049);
        }

        // RFC 5280 §4.1.2.5 wants UTCTime through 2049, but roots in use carry GeneralizedTime earlier; the date is unambiguous either way.
        return reader.ReadGeneralizedTime();
    }

    private void ReadExtensions(AsnReader list)
    {
        var extensions = new List<CertificateExtension>();
        var unhandled = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (list.HasData)
        {
            var extension = list.ReadSequence();
            string oid = extension.ReadObjectIdentifier();
            bool critical = false;
            if (extension.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean))
            {
                critical = extension.ReadBoolean();
                if (!critical)
                {
                    throw new CertificateFormatException("critical FALSE must be omitted in DER");
                }
            }

            var value = extension.ReadOctetString();
            extension.ThrowIfNotEmpty();
            if (!seen.Add(oid))
            {
                throw new CertificateFormatException($"extension {oid} appears twice (RFC 5280 §4.2)");
            }

            if (extensions.Count == MaxExtensions)
            {
                throw new CertificateFormatException("too many extensions");
            }

            extensions.Add(new CertificateExtension(oid, critical, value));
            if (!Decode(oid, value) && critical)
            {
                unhandled.Add(oid);
            }
        }

        if (extensions.Count == 0)
        {
            throw new CertificateFormatException("an empty extensions list must be omitted");
        }

        Extensions = extensions;
        UnhandledCriticalExtensions = unhandled;
    }

    /// <summary>Decodes an extension this validator understands; false for the others.</summary>
    private bool Decode(string oid, byte[] value)
    {
        var reader = new AsnReader(value, AsnEncodingRules.DER);
        switch (oid)
        {
            case X509Oids.BasicConstraints:
                var constraints = reader.ReadSequence();
                HasBasicConstraints = true;
                if (constraints.HasData && constraints.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean))
                {
                    IsCa = constraints.ReadBoolean();
                    if (!IsCa)
                    {
                        throw new CertificateFormatException("cA FALSE must be omitted in DER");
                    }
                }

                if (constraints.HasData)
                {
                    var length = constraints.ReadInteger();
                    if (length < 0 || length > 255)
                    {
                        throw new CertificateFormatException("pathLenConstraint out of range");
                    }

                    PathLengthConstraint = (int)length;
                }

                constraints.ThrowIfNotEmpty();
                break;
            case X509Oids.KeyUsage:
                var bits = reader.ReadBitString(out int unusedBits);
                int usage = 0;
                for (int i = 0; i < bits.Length * 8 - unusedBits; i++)
                {
                    if ((bits[i / 8] & (0x80 >> (i % 8))) != 0)
                    {
                        usage |= 1 << i;
                    }
                }

                KeyUsage = (KeyUsageFlags)usage;
                break;
            case X509Oids.ExtendedKeyUsage:
                var purposes = new List<string>();
                var sequence = reader.ReadSequence();
                while (sequence.HasData)
                {
                    purposes.Add(sequence.ReadObjectIdentifier());
                }

                ExtendedKeyUsage = purposes.Count > 0 ? purposes : throw new CertificateFormatException("empty extKeyUsage");
                break;
            case X509Oids.SubjectAltName:
                SubjectAltNames = GeneralName.ReadAll(reader.ReadSequence());
                if (SubjectAltNames.Count == 0)
                {
                    throw new CertificateFormatException("empty subjectAltName");
                }

                break;
            case X509Oids.NameConstraints:
                NameConstraints = ReadNameConstraints(reader.ReadSequence());
                break;
            case X509Oids.SubjectKeyIdentifier:
                SubjectKeyIdentifier = reader.ReadOctetString();
                break;
            case X509Oids.AuthorityKeyIdentifier:
                var aki = reader.ReadSequence();
                var keyIdTag = new Asn1Tag(TagClass.ContextSpecific, 0);
                if (aki.HasData && aki.PeekTag().HasSameClassAndValue(keyIdTag))
                {
                    AuthorityKeyIdentifier = aki.ReadOctetString(keyIdTag);
                }

                while (aki.HasData)
                {
                    aki.ReadEncodedValue();   // authorityCertIssuer, authorityCertSerialNumber: not used for path building
                }

                break;
            case X509Oids.AuthorityInfoAccess:
                var ocsp = new List<string>();
                var issuers = new List<string>();
                var descriptions = reader.ReadSequence();
                while (descriptions.HasData)
                {
                    var description = descriptions.ReadSequence();
                    string method = description.ReadObjectIdentifier();
                    var location = GeneralName.Read(description);
                    description.ThrowIfNotEmpty();
                    if (location is { Kind: GeneralNameKind.Uri, Text: { } uri })
                    {
                        (method == X509Oids.AccessOcsp ? ocsp : method == X509Oids.AccessCaIssuers ? issuers : []).Add(uri);
                    }
                }

                OcspResponders = ocsp;
                CaIssuers = issuers;
                break;
            case X509Oids.CrlDistributionPoints:
                CrlDistributionPoints = ReadCrlDistributionPoints(reader.ReadSequence());
                break;
            case X509Oids.TlsFeature:
                var features = reader.ReadSequence();
                while (features.HasData)
                {
                    if (features.ReadInteger() == 5)
                    {
                        MustStaple = true;
                    }
                }

                break;
            case X509Oids.CertificatePolicies:
                reader.ReadSequence();
                break;
            case X509Oids.OcspNoCheck:
                reader.ReadNull();
                break;
            default:
                return false;
        }

        reader.ThrowIfNotEmpty();
        return true;
    }

    private static NameConstraints ReadNameConstraints(AsnReader sequence)
    {
        var permitted = new List<GeneralName>();
        var excluded = new List<GeneralName>();
        foreach (var (tagValue, list) in new[] { (0, permitted), (1, excluded) })
        {
            var tag = new Asn1Tag(TagClass.ContextSpecific, tagValue, isConstructed: true);
            if (!sequence.HasData || !sequence.PeekTag().HasSameClassAndValue(tag))
            {
                continue;
            }

            var subtrees = sequence.ReadSequence(tag);
            while (subtrees.HasData)
            {
                var subtree = subtrees.ReadSequence();
                list.Add(GeneralName.Read(subtree));
                if (subtree.HasData)
                {
                    // RFC 5280 §4.2.1.10: minimum is 0 (so omitted) and maximum absent in this profile.
                    throw new CertificateFormatException("name constraint with minimum or maximum");
                }
            }

            if (list.Count == 0)
            {
                throw new CertificateFormatException("empty GeneralSubtrees");
            }
        }

        sequence.ThrowIfNotEmpty();
        return permitted.Count + excluded.Count == 0
            ? throw new CertificateFormatException("nameConstraints with neither permitted nor excluded subtrees")
            : new NameConstraints(permitted, excluded);
    }

    private static List<string> ReadCrlDistributionPoints(AsnReader points)
    {
        var uris = new List<string>();
        while (points.HasData)
        {
            var point = points.ReadSequence();
            var nameTag = new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true);
            if (point.HasData && point.PeekTag().HasSameClassAndValue(nameTag))
            {
                var name = point.ReadSequence(nameTag);
                var fullNameTag = new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true);
                if (name.HasData && name.PeekTag().HasSameClassAndValue(fullNameTag))
                {
                    uris.AddRange(GeneralName.ReadAll(name.ReadSequence(fullNameTag)).Where(n => n.Kind == GeneralNameKind.Uri).Select(n => n.Text!));
                }
                else
                {
                    name.ReadEncodedValue();
                }

                name.ThrowIfNotEmpty();
            }

            while (point.HasData)
            {
                point.ReadEncodedValue();   // reasons, cRLIssuer
            }
        }

        return uris;
    }

    /// <summary>"subject (issuer)" for messages.</summary>
    public override string ToString() => $"{Subject}";
}
