using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace Tessera.Pki;

/// <summary>
/// Matches a host name against a certificate's subjectAltName (RFC 6125): dNSName entries, with a
/// wildcard only as the whole left-most label; IP literals against iPAddress entries only; never
/// the subject CN.
/// </summary>
public static class HostNameMatcher
{
    /// <summary>True when <paramref name="host"/> matches one of the certificate's subjectAltName entries.</summary>
    public static bool Matches(X509Certificate2 certificate, string host)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(host);
        var san = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        if (san is null)
        {
            return false;
        }

        var trimmed = host.Trim('[', ']');
        if (IPAddress.TryParse(trimmed, out var ip))
        {
            return san.EnumerateIPAddresses().Any(a => a.Equals(ip));
        }

        return san.EnumerateDnsNames().Any(pattern => MatchesDnsName(pattern, host));
    }

    /// <summary>The dNSName entries of a certificate's subjectAltName.</summary>
    public static IEnumerable<string> DnsNames(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var san = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        return san is null ? [] : [.. san.EnumerateDnsNames()];
    }

    /// <summary>Matches one dNSName pattern (possibly "*.example.com") against a host name, ASCII case-insensitively.</summary>
    public static bool MatchesDnsName(string pattern, string host)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(host);
        host = host.TrimEnd('.');
        pattern = pattern.TrimEnd('.');
        if (host.Length == 0 || pattern.Length == 0)
        {
            return false;
        }

        if (!pattern.StartsWith("*.", StringComparison.Ordinal))
        {
            return !pattern.Contains('*', StringComparison.Ordinal) && string.Equals(pattern, host, StringComparison.OrdinalIgnoreCase);
        }

        // "*.example.com": exactly one label in place of the star, and at least two labels after it.
        var suffix = pattern[1..];
        if (suffix.Contains('*', StringComparison.Ordinal) || suffix.Count(c => c == '.') < 2)
        {
            return false;
        }

        int firstDot = host.IndexOf('.', StringComparison.Ordinal);
        return firstDot > 0 && string.Equals(host[firstDot..], suffix, StringComparison.OrdinalIgnoreCase);
    }
}
