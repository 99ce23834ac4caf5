using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Tessera.Pki;
using Tessera.Pki.X509;

namespace Tessera.Cli.Scan;

/// <summary>Judges a server's chain the way a browser would, but reports every problem instead of stopping at the first.</summary>
internal static class CertificateReview
{
    /// <param name="referenceName">
    /// What the certificate must name (RFC 6125 §6, RFC 9525): the SNI name, or, when none goes out, the host scanned; an
    /// IP address is compared with the iPAddress subjectAltNames (RFC 5280 §4.2.1.6), as <c>verify -verify_ip</c> does.
    /// </param>
    public static async Task<CertificateReport> ReviewAsync(IReadOnlyList<byte[]> chain, byte[]? staple, string referenceName, ScanSettings settings, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        var report = new CertificateReport();
        var parsed = new List<Certificate>();
        foreach (var der in chain)
        {
            try
            {
                parsed.Add(Certificate.Parse(der));
            }
            catch (CertificateFormatException ex)
            {
                report.TrustResult = $"certificate {parsed.Count} is malformed: {ex.Message}";
                return report;
            }
        }

        foreach (var (certificate, der) in parsed.Zip(chain))
        {
            report.Chain.Add(Describe(certificate, der));
        }

        var leaf = parsed[0];
        report.Expired = leaf.NotAfter < now;
        report.NotYetValid = leaf.NotBefore > now;
        report.DaysLeft = (int)Math.Floor((leaf.NotAfter - now).TotalDays);
        report.SelfSigned = leaf.IsSelfIssued;
        report.MustStaple = leaf.MustStaple;
        report.ChainInOrder = Enumerable.Range(0, parsed.Count - 1).All(i => parsed[i].Issuer.Equals(parsed[i + 1].Subject));
        report.SendsRoot = parsed.Count > 1 && parsed[^1].IsSelfIssued;

        var trust = settings.CaFile is null ? TrustStore.System : TrustStore.FromPemFile(settings.CaFile);
        var last = parsed[^1];
        report.ChainComplete = last.IsSelfIssued || trust.Anchors.Any(a => a.Subject.Equals(last.Issuer));

        report.NameChecked = referenceName;
        using (var x509 = X509CertificateLoader.LoadCertificate(chain[0]))
        {
            report.NameMatches = HostNameMatcher.Matches(x509, referenceName);
        }

        var context = new CertificateVerificationContext([.. chain.Select(c => (ReadOnlyMemory<byte>)c)], referenceName, IsServerCertificate: true, now, staple);
        var withoutName = new X509CertificateVerifier(trust, checkHostName: false) { EnforceMustStaple = false }.Validate(context with { OcspResponse = null });
        report.Trusted = withoutName.IsValid;
        report.TrustResult = withoutName.IsValid ? "trusted" : withoutName.FailingDepth > 0 ? $"{withoutName.Reason} (at depth {withoutName.FailingDepth})" : withoutName.Reason;

        if (staple is { Length: > 0 })
        {
            report.OcspStapled = true;
            report.StapleStatus = StapleStatus(staple, withoutName.Path.Count >= 2 ? withoutName.Path : parsed, now);
        }

        if (settings.CheckRevocation && withoutName.IsValid)
        {
            using var fetcher = new RevocationFetcher(TimeSpan.FromSeconds(5));
            var verifier = new X509CertificateVerifier(trust, checkHostName: false) { Revocation = RevocationMode.HardFail, RevocationLeafOnly = true, Fetcher = fetcher, EnforceMustStaple = false };
            var result = await verifier.VerifyAsync(context with { OcspResponse = null }, cancellationToken);
            report.Revocation = result.IsValid ? "good" : result.Reason.Contains("revoked", StringComparison.OrdinalIgnoreCase) ? $"revoked: {result.Reason}" : $"unknown: {result.Reason}";
        }
        else if (report.StapleStatus is { } stapled)
        {
            report.Revocation = stapled.StartsWith("good", StringComparison.Ordinal) ? "good (stapled)" : stapled.StartsWith("revoked", StringComparison.Ordinal) ? "revoked (stapled)" : "not checked";
        }

        return report;
    }

    private static string StapleStatus(byte[] staple, IReadOnlyList<Certificate> path, DateTimeOffset now)
    {
        try
        {
            var response = OcspResponse.Parse(staple);
            if (path.Count < 2)
            {
                return "present, issuer unknown";
            }

            var single = response.StatusOf(path[0], path[1], now, TimeSpan.FromMinutes(5), out var why);
            return single is null ? $"invalid: {why}" : single.Status.ToString().ToLowerInvariant();
        }
        catch (CertificateFormatException ex)
        {
            return $"malformed: {ex.Message}";
        }
    }

    private static CertificateEntryReport Describe(Certificate certificate, byte[] der)
    {
        using var x509 = X509CertificateLoader.LoadCertificate(der);
        var (keyType, bits) = KeyOf(x509);
        return new CertificateEntryReport
        {
            Subject = certificate.Subject.ToString(),
            Issuer = certificate.Issuer.ToString(),
            SubjectAltNames = [.. certificate.SubjectAltNames.Select(n => n.ToString())],
            NotBefore = certificate.NotBefore,
            NotAfter = certificate.NotAfter,
            KeyType = keyType,
            KeyBits = bits,
            SignatureAlgorithm = SignatureName(certificate),
            Sha256Fingerprint = Convert.ToHexString(SHA256.HashData(der)),
        };
    }

    public static (string Type, int Bits) KeyOf(X509Certificate2 certificate)
    {
        try
        {
            using var rsa = certificate.GetRSAPublicKey();
            if (rsa is not null)
            {
                return (certificate.PublicKey.Oid.Value == "1.2.840.113549.1.1.10" ? "RSA-PSS" : "RSA", rsa.KeySize);
            }

            using var ec = certificate.GetECDsaPublicKey();
            if (ec is not null)
            {
                return ("ECDSA", ec.KeySize);
            }

            using var dsa = certificate.GetDSAPublicKey();
            if (dsa is not null)
            {
                return ("DSA", dsa.KeySize);
            }
        }
        catch (CryptographicException)
        {
        }

        return certificate.PublicKey.Oid.Value switch
        {
            "1.3.101.112" => ("Ed25519", 256),
            "1.3.101.113" => ("Ed448", 456),
            var oid => (certificate.PublicKey.Oid.FriendlyName ?? oid ?? "unknown", 0),
        };
    }

    private static string SignatureName(Certificate certificate) => certificate.SignatureAlgorithmOid switch
    {
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        "1.2.840.10040.4.3" => "dsa-with-SHA1",
        var oid => oid,
    };
}
