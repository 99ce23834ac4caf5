using System.Formats.Asn1;
using System.Net;
using System.Text;

namespace Tessera.Pki.X509;

/// <summary>The kinds of GeneralName (RFC 5280 §4.2.1.6) the validator distinguishes.</summary>
public enum GeneralNameKind
{
    /// <summary>otherName, x400Address, ediPartyName, registeredID: kept, never matched.</summary>
    Other,
    /// <summary>rfc822Name (an email address or domain).</summary>
    Email,
    /// <summary>dNSName.</summary>
    Dns,
    /// <summary>directoryName.</summary>
    DirectoryName,
    /// <summary>uniformResourceIdentifier.</summary>
    Uri,
    /// <summary>iPAddress: 4 or 16 bytes in a SAN; address and mask (8 or 32 bytes) in a name constraint.</summary>
    IpAddress,
}

/// <summary>One GeneralName.</summary>
/// <param name="Kind">Which choice.</param>
/// <param name="Text">For Email, Dns and Uri: the IA5String.</param>
/// <param name="Bytes">For IpAddress: the octets.</param>
/// <param name="DirectoryName">For DirectoryName: the name.</param>
public sealed record GeneralName(GeneralNameKind Kind, string? Text = null, byte[]? Bytes = null, DistinguishedName? DirectoryName = null)
{
    /// <summary>Reads a SEQUENCE OF GeneralName (GeneralNames).</summary>
    internal static List<GeneralName> ReadAll(AsnReader sequence)
    {
        var names = new List<GeneralName>();
        while (sequence.HasData)
        {
            names.Add(Read(sequence));
        }

        return names;
    }

    /// <summary>Reads one GeneralName (implicitly tagged choices, except the explicit directoryName).</summary>
    internal static GeneralName Read(AsnReader reader)
    {
        var tag = reader.PeekTag();
        if (tag.TagClass != TagClass.ContextSpecific)
        {
            throw new CertificateFormatException("GeneralName is not context-tagged");
        }

        return tag.TagValue switch
        {
            1 => new GeneralName(GeneralNameKind.Email, Ia5(reader, tag)),
            2 => new GeneralName(GeneralNameKind.Dns, Ia5(reader, tag)),
            4 => new GeneralName(GeneralNameKind.DirectoryName, DirectoryName: DistinguishedName.Read(reader.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 4, true)))),
            6 => new GeneralName(GeneralNameKind.Uri, Ia5(reader, tag)),
            7 => new GeneralName(GeneralNameKind.IpAddress, Bytes: reader.ReadOctetString(new Asn1Tag(TagClass.ContextSpecific, 7))),
            <= 8 => Skip(reader),
            _ => throw new CertificateFormatException($"unknown GeneralName choice [{tag.TagValue}]"),
        };
    }

    private static GeneralName Skip(AsnReader reader)
    {
        reader.ReadEncodedValue();
        return new GeneralName(GeneralNameKind.Other);
    }

    private static string Ia5(AsnReader reader, Asn1Tag tag)
    {
        var text = reader.ReadCharacterString(UniversalTagNumber.IA5String, new Asn1Tag(TagClass.ContextSpecific, tag.TagValue));
        return text.Any(c => c is < ' ' or > '~')
            ? throw new CertificateFormatException("a name holds control or non-ASCII characters")
            : text;
    }

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        GeneralNameKind.Dns => $"DNS:{Text}",
        GeneralNameKind.Email => $"email:{Text}",
        GeneralNameKind.Uri => $"URI:{Text}",
        GeneralNameKind.IpAddress when Bytes is { Length: 4 or 16 } => $"IP:{new IPAddress(Bytes)}",
        GeneralNameKind.IpAddress => $"IP:{Convert.ToHexString(Bytes ?? [])}",
        GeneralNameKind.DirectoryName => $"DirName:{DirectoryName}",
        _ => "other",
    };

    /// <summary>Builds the name a constraint or a host check compares (for tests and the CLI).</summary>
    public static GeneralName ForDns(string name) => new(GeneralNameKind.Dns, name);

    /// <summary>An iPAddress name.</summary>
    public static GeneralName ForIp(IPAddress address) => new(GeneralNameKind.IpAddress, Bytes: address.GetAddressBytes());

    internal static string Describe(IEnumerable<GeneralName> names) => new StringBuilder().AppendJoin(", ", names).ToString();
}
