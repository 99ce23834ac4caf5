using Tessera.Pki.X509;

namespace Tessera.Handshake;

/// <summary>
/// Picks the client certificate to answer a CertificateRequest with: the first configured one whose key can make
/// a signature the server accepts and, when the server lists certificate authorities, whose chain leads to one of
/// them (some certificate in it issued by, or being, a listed CA). None fits: an empty Certificate goes back.
/// </summary>
internal static class ClientCertificateSelector
{
    /// <param name="options">The client's certificates.</param>
    /// <param name="preference">This side's schemes, best first.</param>
    /// <param name="serverAccepts">The server's schemes; null when the version has no list (TLS 1.0/1.1).</param>
    /// <param name="authorities">DER distinguished names the server listed (empty: any).</param>
    public static (TlsCertificate Certificate, SignatureScheme Scheme)? Choose(TlsClientOptions options, IEnumerable<SignatureScheme> preference,
        ICollection<SignatureScheme>? serverAccepts, IReadOnlyList<byte[]> authorities)
    {
        var candidates = options.ClientCertificate is { } first ? [first, .. options.ClientCertificates] : options.ClientCertificates;
        var schemes = preference.ToList();
        foreach (var candidate in candidates)
        {
            var scheme = schemes.Cast<SignatureScheme?>().FirstOrDefault(s => (serverAccepts is null || serverAccepts.Contains(s!.Value)) && candidate.PrivateKey.CanSign(s!.Value));
            if (scheme is null || (authorities.Count > 0 && !LeadsTo(candidate, authorities)))
            {
                continue;
            }

            return (candidate, scheme.Value);
        }

        return null;
    }

    private static bool LeadsTo(TlsCertificate certificate, IReadOnlyList<byte[]> authorities)
    {
        foreach (var der in certificate.Chain)
        {
            try
            {
                var parsed = Certificate.Parse(der);
                if (authorities.Any(a => a.AsSpan().SequenceEqual(parsed.Issuer.Der.Span) || a.AsSpan().SequenceEqual(parsed.Subject.Der.Span)))
                {
                    return true;
                }
            }
            catch (CertificateFormatException)
            {
                // An unreadable certificate of our own cannot show where it leads.
            }
        }

        return false;
    }
}
