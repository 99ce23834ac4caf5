namespace Tessera.Cli.Scan;

/// <summary>
/// Turns what a scan measured into findings, each with its reason, reference and the grade it caps. The table of
/// rules is docs/scan-grading.md; keep the two in step.
/// </summary>
internal static class ScanFindings
{
    public static void Add(ScanReport r)
    {
        var f = r.Findings;
        void Add(string id, string title, string severity, string? cap, string reason, string reference) =>
            f.Add(new Finding { Id = id, Title = title, Severity = severity, Cap = cap, Reason = reason, Reference = reference });

        var suites = r.AllSuites.ToList();
        var catalog = suites.Select(s => CipherSuiteCatalog.Find(Convert.ToUInt16(s.Code, 16))!).ToList();
        bool Has(Func<CatalogSuite, bool> test) => catalog.Any(test);

        // Protocols
        if (r.Supports("SSL 2.0"))
        {
            Add("drown", "SSL 2.0 enabled (DROWN)", "critical", "F", "SSL 2.0 is broken; with it on, DROWN decrypts TLS sessions that use the same RSA key", "CVE-2016-0800, RFC 6176");
        }

        if (r.Supports("SSL 3.0"))
        {
            Add("poodle", "SSL 3.0 enabled (POODLE)", "high", "C", "SSL 3.0's CBC padding is not covered by the MAC: POODLE recovers plaintext", "CVE-2014-3566, RFC 7568");
        }

        if (r.Supports("TLS 1.0") || r.Supports("TLS 1.1"))
        {
            Add("tls10-tls11", "TLS 1.0 or 1.1 enabled", "medium", "B", "TLS 1.0 and 1.1 are deprecated: SHA-1/MD5 in the handshake, no AEAD suites", "RFC 8996");
        }

        if (!r.Supports("TLS 1.2") && !r.Supports("TLS 1.3"))
        {
            Add("no-tls12", "neither TLS 1.2 nor TLS 1.3", "high", "C", "every modern client needs TLS 1.2 or 1.3", "RFC 8996, RFC 9325 §3.1.1");
        }

        if (!r.Supports("TLS 1.3"))
        {
            Add("no-tls13", "no TLS 1.3", "low", "A-", "TLS 1.3 encrypts more of the handshake and removes every legacy mode", "RFC 8446, RFC 9325 §3.1.1");
        }

        // Cipher suites
        if (Has(s => s.Export))
        {
            bool rsaExport = Has(s => s.Export && s.KeyExchange == "RSA");
            Add(rsaExport ? "freak" : "export", rsaExport ? "export RSA suites (FREAK)" : "export suites", "critical", "F",
                "export-grade suites (40/56-bit keys, 512-bit RSA or DH) are broken in hours", rsaExport ? "CVE-2015-0204" : "RFC 5246 Appendix A.5");
        }

        if (Has(s => s.Export && s.IsDhe))
        {
            Add("logjam-export", "export DHE suites (Logjam)", "critical", "F", "DHE_EXPORT lets an attacker downgrade to 512-bit DH", "CVE-2015-4000");
        }

        if (r.Groups.DhBits is { } dh && dh < 1024)
        {
            Add("logjam", $"DH parameters of {dh} bits (Logjam)", "critical", "F", "DH primes under 1024 bits are within reach of precomputation", "CVE-2015-4000, weakdh.org");
        }
        else if (r.Groups.DhBits is { } dh2 && dh2 < 2048)
        {
            Add("weak-dh", $"DH parameters of {dh2} bits", "high", "B", "1024-bit DH primes, above all common ones, are within a nation state's reach (Logjam)", "weakdh.org, RFC 7919");
        }

        if (Has(s => s.Anonymous))
        {
            Add("anonymous", "anonymous suites", "critical", "F", "anonymous key exchange has no authentication: anyone in the middle reads everything", "RFC 5246 Appendix F.1.1.1");
        }

        if (Has(s => s.NullCipher))
        {
            Add("null-cipher", "NULL encryption suites", "critical", "F", "NULL suites send everything in clear", "RFC 5246 Appendix A.5");
        }

        if (Has(s => s.Rc4))
        {
            Add("rc4", "RC4 suites", "high", "C", "RC4's keystream biases reveal plaintext", "RFC 7465");
        }

        if (Has(s => s.SmallBlock))
        {
            Add("sweet32", "64-bit block ciphers (SWEET32)", "high", "C", "3DES, DES, IDEA and RC2 have 64-bit blocks: birthday collisions reveal plaintext after a few GB", "CVE-2016-2183");
        }

        if (r.Supports("TLS 1.0") && r.CipherSuites.FirstOrDefault(l => l.Protocol == "TLS 1.0") is { } tls10 && tls10.Suites.Any(s => CipherSuiteCatalog.Find(Convert.ToUInt16(s.Code, 16))?.Mode == BulkMode.Cbc))
        {
            Add("beast", "CBC suites in TLS 1.0 (BEAST)", "low", null, "TLS 1.0 chains CBC IVs across records; clients mitigate it with 1/n-1 record splitting", "CVE-2011-3389");
        }

        if (!Has(s => s.ForwardSecret))
        {
            Add("no-forward-secrecy", "no forward secrecy", "high", "B", "with RSA key transport only, a stolen private key decrypts every recorded session", "RFC 9325 §4.1");
        }
        else if (r.CipherSuites.LastOrDefault() is { ServerOrder: true } top && top.Suites.FirstOrDefault() is { ForwardSecrecy: false })
        {
            Add("fs-not-preferred", "forward secrecy not preferred", "medium", "A-", $"the server's first choice in {top.Protocol} is {top.Suites[0].Name}", "RFC 9325 §4.1");
        }

        if (!Has(s => s.Mode == BulkMode.Aead))
        {
            Add("no-aead", "no AEAD suites", "medium", "B", "only CBC (MAC-then-encrypt) or stream suites: padding oracles and Lucky 13", "RFC 9325 §4.2");
        }

        // Key exchange and features
        if (r.Features.SecureRenegotiation == false)
        {
            Add("no-secure-renegotiation", "no secure renegotiation (RFC 5746)", "high", "C", "a server without renegotiation_info is open to renegotiation prefix injection if it renegotiates at all", "CVE-2009-3555, RFC 5746");
        }

        if (r.Features.InsecureRenegotiation == true)
        {
            Add("insecure-renegotiation", "insecure renegotiation", "critical", "F", "the server renegotiates with clients that do not prove the previous handshake: prefix injection", "CVE-2009-3555, RFC 5746");
        }

        if (r.Features.ClientRenegotiation == true)
        {
            Add("client-renegotiation", "client-initiated renegotiation allowed", "medium", "A-", "each renegotiation costs the server a full handshake at the client's will (denial of service)", "CVE-2011-1473");
        }

        if (r.Features.FallbackScsv == false)
        {
            Add("no-fallback-scsv", "no downgrade protection (TLS_FALLBACK_SCSV)", "medium", "A-", "a client retrying with a lower version after a failure can be downgraded by an attacker", "RFC 7507");
        }

        if (r.Features.Compression == true)
        {
            Add("crime", "TLS compression (CRIME)", "high", "C", "compressing secrets with attacker-chosen data reveals them by length", "CVE-2012-4929");
        }

        Verdict(r, "heartbleed", () => Add("heartbleed", "Heartbleed", "critical", "F", "the server answers a heartbeat with memory beyond its payload: keys and data leak", "CVE-2014-0160"));
        Verdict(r, "ccs-injection", () => Add("ccs-injection", "CCS injection", "critical", "F", "the server takes a ChangeCipherSpec before the key exchange and switches to keys an attacker knows", "CVE-2014-0224"));
        Verdict(r, "robot", () => Add("robot", "ROBOT (Bleichenbacher oracle)", "critical", "F",
            $"the server's answers differ with the RSA padding of the premaster secret ({r.Evidence.GetValueOrDefault("robot")}): an attacker can decrypt or sign with its key", "CVE-2017-13099, robotattack.org"));

        // Certificates: each the server can send is judged; a second one's findings say which key it has.
        foreach (var c in r.AllCertificates)
        {
            string which = c == r.Certificate ? "" : $" ({c.Chain.FirstOrDefault()?.KeyType} certificate)";
            int before = f.Count;
            var leaf = c.Chain.FirstOrDefault();
            if (c.Expired)
            {
                Add("cert-expired", "certificate expired", "critical", "F", $"the certificate expired on {leaf?.NotAfter:yyyy-MM-dd}", "RFC 5280 §4.1.2.5");
            }
            else if (c.NotYetValid)
            {
                Add("cert-not-yet-valid", "certificate not yet valid", "critical", "F", $"the certificate is valid from {leaf?.NotBefore:yyyy-MM-dd}", "RFC 5280 §4.1.2.5");
            }
            else if (c.DaysLeft < 30)
            {
                Add("cert-expiring", "certificate expires soon", "low", null, $"{c.DaysLeft} days left", "RFC 5280 §4.1.2.5");
            }

            if (!c.Trusted && !c.Expired && !c.NotYetValid)
            {
                Add("cert-untrusted", c.SelfSigned ? "self-signed certificate" : "certificate not trusted", "critical", "F", c.TrustResult, "RFC 5280 §6");
            }

            if (!c.NameMatches)
            {
                Add("cert-name-mismatch", "certificate name mismatch", "critical", "F",
                    leaf is { SubjectAltNames.Count: > 0 } ? $"{c.NameChecked} is not among {string.Join(", ", leaf.SubjectAltNames)}" : $"the certificate has no subjectAltName to match {c.NameChecked}",
                    "RFC 6125, RFC 9525, RFC 5280 §4.2.1.6");
            }

            if (leaf is { KeyType: "RSA" or "RSA-PSS" or "DSA", KeyBits: < 1024 })
            {
                Add("cert-key-insecure", $"{leaf.KeyType} key of {leaf.KeyBits} bits", "critical", "F", "keys under 1024 bits are factored", "NIST SP 800-131A");
            }
            else if (leaf is { KeyType: "RSA" or "RSA-PSS" or "DSA", KeyBits: < 2048 })
            {
                Add("cert-key-weak", $"{leaf.KeyType} key of {leaf.KeyBits} bits", "high", "B", "RSA keys under 2048 bits are deprecated", "NIST SP 800-131A, CA/B Forum BR §6.1.5");
            }

            var signedBelowRoot = c.Chain.Where(e => e.Subject != e.Issuer).ToList();
            if (signedBelowRoot.Any(e => e.SignatureAlgorithm.StartsWith("md5", StringComparison.OrdinalIgnoreCase)))
            {
                Add("cert-md5", "certificate signed with MD5", "critical", "F", "MD5 collisions forge certificates", "RFC 6151");
            }
            else if (signedBelowRoot.Any(e => e.SignatureAlgorithm.Contains("SHA1", StringComparison.OrdinalIgnoreCase)))
            {
                Add("cert-sha1", "certificate signed with SHA-1", "critical", "F", "SHA-1 collisions (SHAttered) forge certificates; browsers refuse them", "RFC 9155");
            }

            if (!c.ChainComplete)
            {
                Add("chain-incomplete", "incomplete chain", "medium", "B", "the server leaves out an intermediate certificate: clients that do not fetch it fail", "RFC 8446 §4.4.2");
            }
            else if (!c.ChainInOrder)
            {
                Add("chain-order", "chain out of order", "low", null, "each certificate should be followed by its issuer", "RFC 5246 §7.4.2");
            }

            if (c.MustStaple && !c.OcspStapled)
            {
                Add("must-staple-missing", "Must-Staple certificate without a staple", "high", "F", "clients that honour Must-Staple refuse the connection", "RFC 7633");
            }

            if (c.Revocation.StartsWith("revoked", StringComparison.Ordinal))
            {
                Add("cert-revoked", "certificate revoked", "critical", "F", c.Revocation, "RFC 5280, RFC 6960");
            }

            foreach (var finding in f.Skip(before))
            {
                finding.Title += which;
            }
        }

        if (r.Features.IsHttp && r.Features.Hsts is null)
        {
            Add("no-hsts", "no HSTS", "info", null, "without Strict-Transport-Security a first visit can be stripped to http", "RFC 6797");
        }
        else if (r.Features.HstsMaxAge is < 15_552_000)
        {
            Add("short-hsts", "short HSTS max-age", "info", null, $"max-age {r.Features.HstsMaxAge} s is under 180 days", "RFC 6797 §6.1.1");
        }
    }

    private static void Verdict(ScanReport r, string name, Action vulnerable)
    {
        if (r.Vulnerabilities.TryGetValue(name, out var verdict) && verdict == true)
        {
            vulnerable();
        }
    }
}
