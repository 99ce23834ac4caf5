using System.Net;

namespace Tessera.Pki.X509;

/// <summary>
/// RFC 5280 §4.2.1.10 name constraints for DNS names, IP addresses, email addresses and directory names.
/// A name of a type a constraint does not mention is unaffected by it; any excluded match refuses; with
/// permitted subtrees of the name's type, one must match.
/// </summary>
internal static class NameConstraintChecker
{
    /// <summary>Null when every name of <paramref name="certificate"/> satisfies <paramref name="constraints"/>, else the offending name.</summary>
    public static string? FirstViolation(NameConstraints constraints, Certificate certificate)
    {
        foreach (var name in NamesOf(certificate))
        {
            if (constraints.Excluded.Any(c => Matches(c, name, anyIsEnough: true)))
            {
                return $"{name} is excluded";
            }

            var permitted = constraints.Permitted.Where(c => c.Kind == name.Kind).ToList();
            if (permitted.Count > 0 && !permitted.Any(c => Matches(c, name)))
            {
                return $"{name} is not permitted";
            }
        }

        return null;
    }

    /// <summary>The subject (when not empty) and every subjectAltName entry; for the web PKI's sake, a CN that looks like a DNS name counts as one.</summary>
    private static IEnumerable<GeneralName> NamesOf(Certificate certificate)
    {
        if (!certificate.Subject.IsEmpty)
        {
            yield return new GeneralName(GeneralNameKind.DirectoryName, DirectoryName: certificate.Subject);
        }

        foreach (var name in certificate.SubjectAltNames)
        {
            yield return name;
        }

        if (certificate.SubjectAltNames.Count == 0)
        {
            foreach (var cn in certificate.Subject.RelativeNames.SelectMany(r => r).Where(a => a.Oid == "2.5.4.3").Select(a => a.Value))
            {
                if (LooksLikeDnsName(cn))
                {
                    yield return GeneralName.ForDns(cn);
                }
            }
        }
    }

    private static bool LooksLikeDnsName(string value) => value.Contains('.', StringComparison.Ordinal) &&
        value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '*');

    private static bool Matches(GeneralName constraint, GeneralName name, bool anyIsEnough = false)
    {
        if (constraint.Kind != name.Kind)
        {
            return false;
        }

        return name.Kind switch
        {
            GeneralNameKind.Dns => DnsWithin(name.Text!, constraint.Text!, anyIsEnough),
            GeneralNameKind.Email => EmailWithin(name.Text!, constraint.Text!),
            GeneralNameKind.IpAddress => IpWithin(name.Bytes!, constraint.Bytes!),
            GeneralNameKind.DirectoryName => name.DirectoryName!.IsWithin(constraint.DirectoryName!),
            GeneralNameKind.Uri => UriWithin(name.Text!, constraint.Text!),
            _ => false,
        };
    }

    /// <summary>
    /// "example.com" covers itself and every name below it; ".example.com" only the names below. A wildcard
    /// "*.X" stands for every "L.X": it is within a subtree when all of them are, and (for exclusions)
    /// touches one when any of them is.
    /// </summary>
    internal static bool DnsWithin(string name, string constraint, bool anyIsEnough = false)
    {
        name = name.TrimEnd('.');
        constraint = constraint.TrimEnd('.');
        if (constraint.Length == 0)
        {
            return true;
        }

        if (!name.StartsWith("*.", StringComparison.Ordinal))
        {
            return constraint.StartsWith('.')
                ? name.EndsWith(constraint, StringComparison.OrdinalIgnoreCase)
                : string.Equals(name, constraint, StringComparison.OrdinalIgnoreCase) || name.EndsWith("." + constraint, StringComparison.OrdinalIgnoreCase);
        }

        string baseName = name[2..];
        bool all = constraint.StartsWith('.')
            ? ("." + baseName).EndsWith(constraint, StringComparison.OrdinalIgnoreCase)
            : DnsWithin(baseName, constraint);
        if (all || !anyIsEnough)
        {
            return all;
        }

        // Some "L.X" equals the constraint: it is X with exactly one more label in front.
        return !constraint.StartsWith('.') && constraint.EndsWith("." + baseName, StringComparison.OrdinalIgnoreCase) &&
            constraint.IndexOf('.', StringComparison.Ordinal) == constraint.Length - baseName.Length - 1;
    }

    /// <summary>An address, "@host" style host, or ".domain" (any host below), per RFC 5280 §4.2.1.10.</summary>
    private static bool EmailWithin(string address, string constraint)
    {
        int at = address.LastIndexOf('@');
        string host = at >= 0 ? address[(at + 1)..] : address;
        if (constraint.Contains('@', StringComparison.Ordinal))
        {
            return string.Equals(address, constraint, StringComparison.OrdinalIgnoreCase);
        }

        return constraint.StartsWith('.')
            ? host.EndsWith(constraint, StringComparison.OrdinalIgnoreCase)
            : string.Equals(host, constraint, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Address and mask: 8 bytes for IPv4, 32 for IPv6; an address of the other family never matches.</summary>
    private static bool IpWithin(byte[] address, byte[] constraint)
    {
        if (constraint.Length != 2 * address.Length)
        {
            return false;
        }

        int n = address.Length;
        for (int i = 0; i < n; i++)
        {
            if ((address[i] & constraint[n + i]) != (constraint[i] & constraint[n + i]))
            {
                return false;
            }
        }

        return true;
    }

    private static bool UriWithin(string uri, string constraint) =>
        Uri.TryCreate(uri, UriKind.Absolute, out var parsed) && parsed.Host.Length > 0 && !IPAddress.TryParse(parsed.Host, out _) &&
        (constraint.StartsWith('.')
            ? parsed.Host.EndsWith(constraint, StringComparison.OrdinalIgnoreCase)
            : string.Equals(parsed.Host, constraint, StringComparison.OrdinalIgnoreCase));
}
