namespace Tessera.Cli.Scan;

/// <summary>The scan report as text: grade first, then each part, findings last.</summary>
internal static class ScanReportWriter
{
    public static void Write(ScanReport r, TextWriter o)
    {
        o.WriteLine($"Tessera scan of {r.Target}{(r.ServerName is null ? " (no SNI)" : $" (SNI {r.ServerName})")}{(r.StartTls is null ? "" : $" after {r.StartTls.ToUpperInvariant()} STARTTLS")}: {r.Connections} connections, {r.Seconds:0.0} s");
        o.WriteLine();
        o.WriteLine($"Grade: {r.Grade}");
        foreach (var reason in r.GradeReasons)
        {
            o.WriteLine($"  {reason}");
        }

        o.WriteLine();
        o.WriteLine("Protocols");
        foreach (var p in r.Protocols)
        {
            o.WriteLine($"  {p.Name,-8} {(p.Supported ? "yes" : "no")}{(p.Note is null ? "" : $"  ({p.Note})")}");
        }

        o.WriteLine();
        o.WriteLine("Cipher suites");
        foreach (var list in Enumerable.Reverse(r.CipherSuites))
        {
            string order = list.ServerOrder switch { true => "server's order", false => "client's order", null => "order unknown" };
            o.WriteLine($"  {list.Protocol} ({order})");
            foreach (var s in list.Suites)
            {
                string extra = s.DhBits is { } dh ? $", DH {dh} bits" : "";
                o.WriteLine($"    {s.Name,-48} {s.Code}  {s.Cipher,-22} {s.Bits,3} bits  {(s.ForwardSecrecy ? "FS" : "  ")}  {s.Strength}{extra}");
            }
        }

        o.WriteLine();
        o.WriteLine("Key exchange");
        if (r.Groups.Tls13.Count > 0)
        {
            o.WriteLine($"  TLS 1.3 groups ({Order(r.Groups.Tls13ServerOrder)}): {string.Join(", ", r.Groups.Tls13)}");
        }

        if (r.Groups.Tls12.Count > 0)
        {
            o.WriteLine($"  TLS 1.2 ECDHE curves ({Order(r.Groups.Tls12ServerOrder)}): {string.Join(", ", r.Groups.Tls12)}");
        }

        if (r.Groups.DhBits is { } bits)
        {
            o.WriteLine($"  DHE parameters: {bits} bits ({r.Groups.DhGroup})");
        }

        o.WriteLine();
        o.WriteLine("Signature algorithms");
        if (r.SignatureAlgorithmsTls13.Count > 0)
        {
            o.WriteLine($"  TLS 1.3: {string.Join(", ", r.SignatureAlgorithmsTls13)}");
        }

        if (r.SignatureAlgorithms.Count > 0)
        {
            o.WriteLine($"  TLS 1.2: {string.Join(", ", r.SignatureAlgorithms)}");
        }

        o.WriteLine();
        WriteCertificate(r.Certificate, o);
        foreach (var other in r.OtherCertificates)
        {
            o.WriteLine();
            o.Write("Also ");
            WriteCertificate(other, o);
        }
        o.WriteLine();
        WriteFeatures(r, o);
        o.WriteLine();
        o.WriteLine("Vulnerability probes");
        o.WriteLine($"  Heartbleed:    {Verdict(r, "heartbleed", "no heartbeat extension")}");
        o.WriteLine($"  CCS injection: {Verdict(r, "ccs-injection", "no TLS 1.2 or earlier")}");
        o.WriteLine($"  ROBOT:         {Verdict(r, "robot", "no RSA key exchange")}");

        o.WriteLine();
        o.WriteLine("Findings");
        if (r.Findings.Count == 0)
        {
            o.WriteLine("  none");
        }

        foreach (var f in r.Findings.OrderBy(f => Severity(f.Severity)))
        {
            o.WriteLine($"  [{f.Severity}] {f.Title}: {f.Reason} ({f.Reference}){(f.Cap is null ? "" : $"; grade at most {f.Cap}")}");
        }

        if (r.Errors.Count > 0)
        {
            o.WriteLine();
            o.WriteLine("Probes that did not complete");
            foreach (var e in r.Errors)
            {
                o.WriteLine($"  {e}");
            }
        }
    }

    private static int Severity(string s) => s switch { "critical" => 0, "high" => 1, "medium" => 2, "low" => 3, _ => 4 };

    private static string Order(bool? server) => server switch { true => "server's order", false => "client's order", null => "one or order unknown" };

    private static string YesNo(bool? value, string yes = "yes", string no = "no", string unknown = "not tested") => value switch { true => yes, false => no, null => unknown };

    private static string Verdict(ScanReport r, string name, string notApplicable) =>
        r.Vulnerabilities.TryGetValue(name, out var v) ? v switch { true => "VULNERABLE", false => "not vulnerable", null => "inconclusive" } : $"not applicable ({notApplicable})";

    private static void WriteCertificate(CertificateReport? c, TextWriter o)
    {
        o.WriteLine("Certificate");
        if (c is null)
        {
            o.WriteLine("  (no certificate received)");
            return;
        }

        for (int i = 0; i < c.Chain.Count; i++)
        {
            var e = c.Chain[i];
            o.WriteLine($"  #{i} {e.Subject}");
            if (e.SubjectAltNames.Count > 0)
            {
                o.WriteLine($"     names:     {string.Join(", ", e.SubjectAltNames)}");
            }

            o.WriteLine($"     issuer:    {e.Issuer}");
            o.WriteLine($"     valid:     {e.NotBefore:yyyy-MM-dd HH:mm} to {e.NotAfter:yyyy-MM-dd HH:mm} UTC");
            o.WriteLine($"     key:       {e.KeyType} {e.KeyBits} bits, signed with {e.SignatureAlgorithm}");
            o.WriteLine($"     SHA-256:   {e.Sha256Fingerprint}");
        }

        o.WriteLine($"  Trust:          {(c.Trusted ? "trusted" : $"NOT TRUSTED: {c.TrustResult}")}");
        o.WriteLine($"  Name:           {(c.NameMatches ? "matches" : "DOES NOT MATCH")}{(c.NameChecked is null ? "" : $" ({c.NameChecked})")}");
        o.WriteLine($"  Chain:          {(c.ChainComplete ? "complete" : "INCOMPLETE")}, {(c.ChainInOrder ? "in order" : "OUT OF ORDER")}{(c.SendsRoot ? ", root included" : "")}");
        o.WriteLine($"  Validity:       {(c.Expired ? "EXPIRED" : c.NotYetValid ? "NOT YET VALID" : $"{c.DaysLeft} days left")}");
        o.WriteLine($"  OCSP stapling:  {(c.OcspStapled ? $"yes ({c.StapleStatus})" : "no")}; Must-Staple: {(c.MustStaple ? "yes" : "no")}");
        o.WriteLine($"  Revocation:     {c.Revocation}");
    }

    private static void WriteFeatures(ScanReport r, TextWriter o)
    {
        var f = r.Features;
        o.WriteLine("Features");
        o.WriteLine($"  Secure renegotiation (RFC 5746):  {YesNo(f.SecureRenegotiation, unknown: "not applicable")}");
        o.WriteLine($"  Client-initiated renegotiation:   {YesNo(f.ClientRenegotiation, "ALLOWED", "refused")}");
        o.WriteLine($"  Insecure renegotiation:           {YesNo(f.InsecureRenegotiation, "ALLOWED", "refused")}");
        o.WriteLine($"  Extended master secret:           {YesNo(f.ExtendedMasterSecret, unknown: "not applicable")}");
        o.WriteLine($"  Resumption by session ID:         {YesNo(f.ResumptionById)}");
        o.WriteLine($"  Resumption by ticket (TLS 1.2):   {YesNo(f.ResumptionByTicket)}");
        o.WriteLine($"  Resumption (TLS 1.3):             {YesNo(f.Tls13Resumption)}");
        o.WriteLine($"  0-RTT (early data):               {(f.ZeroRttMaxSize is { } z ? $"offered, up to {z} bytes" : "no")}");
        o.WriteLine($"  ALPN:                             {(f.Alpn.Count > 0 ? string.Join(", ", f.Alpn) : "none")}");
        o.WriteLine($"  Encrypted Client Hello:           {f.Ech switch { null => "unknown", [] => "no", var configs => "yes: " + string.Join("; ", configs) }}");
        o.WriteLine($"  TLS_FALLBACK_SCSV:                {YesNo(f.FallbackScsv, unknown: "not applicable (one version)")}");
        o.WriteLine($"  Compression:                      {YesNo(f.Compression, "ON", "no")}");
        o.WriteLine($"  Heartbeat extension:              {YesNo(f.Heartbeat)}");
        o.WriteLine($"  HTTP:                             {(f.IsHttp ? $"yes; HSTS: {f.Hsts ?? "none"}" : "no answer to GET /")}");
    }
}
