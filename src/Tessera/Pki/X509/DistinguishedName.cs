using System.Formats.Asn1;

namespace Tessera.Pki.X509;

/// <summary>
/// An X.501 Name (RFC 5280 §4.1.2.4). Issuer and subject are matched by their DER bytes, as the web PKI
/// does; the attributes are decoded for display and for directoryName constraints.
/// </summary>
public sealed class DistinguishedName : IEquatable<DistinguishedName>
{
    private DistinguishedName(byte[] der, IReadOnlyList<IReadOnlyList<(string Oid, string Value)>> relativeNames)
    {
        Der = der;
        RelativeNames = relativeNames;
    }

    /// <summary>The DER encoding (a SEQUENCE OF RelativeDistinguishedName).</summary>
    public ReadOnlyMemory<byte> Der { get; }

    /// <summary>Each RDN's attributes as (type OID, value text).</summary>
    public IReadOnlyList<IReadOnlyList<(string Oid, string Value)>> RelativeNames { get; }

    /// <summary>Reads a Name from <paramref name="reader"/>.</summary>
    internal static DistinguishedName Read(AsnReader reader)
    {
        var der = reader.ReadEncodedValue().ToArray();
        var sequence = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
        var names = new List<IReadOnlyList<(string, string)>>();
        while (sequence.HasData)
        {
            var set = sequence.ReadSetOf();
            var attributes = new List<(string, string)>();
            while (set.HasData)
            {
                var attribute = set.ReadSequence();
                string oid = attribute.ReadObjectIdentifier();
                var tag = attribute.PeekTag();
                string value = tag.TagClass == TagClass.Universal && tag.TagValue is 12 or 19 or 22 or 30
                    ? attribute.ReadCharacterString((UniversalTagNumber)tag.TagValue)
                    : Convert.ToHexString(attribute.ReadEncodedValue().Span);
                attribute.ThrowIfNotEmpty();
                attributes.Add((oid, value));
            }

            if (attributes.Count == 0)
            {
                throw new CertificateFormatException("empty RelativeDistinguishedName");
            }

            names.Add(attributes);
        }

        return new DistinguishedName(der, names);
    }

    /// <summary>True when this name is empty (as a subject may be when the identity is in subjectAltName).</summary>
    public bool IsEmpty => RelativeNames.Count == 0;

    /// <summary>
    /// RFC 5280 §4.2.1.10 directoryName constraint: this name lies under <paramref name="subtree"/> when the
    /// subtree's RDNs are a prefix of ours.
    /// </summary>
    public bool IsWithin(DistinguishedName subtree)
    {
        if (subtree.RelativeNames.Count > RelativeNames.Count)
        {
            return false;
        }

        for (int i = 0; i < subtree.RelativeNames.Count; i++)
        {
            var ours = RelativeNames[i];
            var theirs = subtree.RelativeNames[i];
            if (ours.Count != theirs.Count || !ours.All(a => theirs.Any(b => b.Oid == a.Oid && string.Equals(Normalize(a.Value), Normalize(b.Value), StringComparison.OrdinalIgnoreCase))))
            {
                return false;
            }
        }

        return true;
    }

    private static string Normalize(string value) => string.Join(' ', value.Split(' ', StringSplitOptions.RemoveEmptyEntries));

    /// <inheritdoc />
    public bool Equals(DistinguishedName? other) => other is not null && Der.Span.SequenceEqual(other.Der.Span);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as DistinguishedName);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(Der.Span);
        return hash.ToHashCode();
    }

    /// <summary>"CN=example, O=Org" style text, most specific first.</summary>
    public override string ToString() => string.Join(", ", RelativeNames.Reverse().Select(rdn => string.Join("+", rdn.Select(a => $"{ShortName(a.Oid)}={a.Value}"))));

    private static string ShortName(string oid) => oid switch
    {
        "2.5.4.3" => "CN",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "1.2.840.113549.1.9.1" => "emailAddress",
        _ => oid,
    };
}
