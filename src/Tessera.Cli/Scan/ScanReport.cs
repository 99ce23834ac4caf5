namespace Tessera.Cli.Scan;

/// <summary>Everything a scan found; serialised as is for <c>--json</c>.</summary>
internal sealed class ScanReport
{
    public string Target { get; set; } = "";

    public string? ServerName { get; set; }

    public string? StartTls { get; set; }

    public DateTimeOffset Started { get; set; }

    public double Seconds { get; set; }

    public int Connections { get; set; }

    public List<ProtocolReport> Protocols { get; set; } = [];

    public List<SuiteListReport> CipherSuites { get; set; } = [];

    public GroupsReport Groups { get; set; } = new();

    public List<string> SignatureAlgorithms { get; set; } = [];

    public List<string> SignatureAlgorithmsTls13 { get; set; } = [];

    /// <summary>The certificate a default client gets.</summary>
    public CertificateReport? Certificate { get; set; }

    /// <summary>Further certificates the server picks for other signature algorithms (e.g. RSA beside ECDSA).</summary>
    public List<CertificateReport> OtherCertificates { get; set; } = [];

    public IEnumerable<CertificateReport> AllCertificates => Certificate is null ? [] : [Certificate, .. OtherCertificates];

    public FeaturesReport Features { get; set; } = new();

    public List<Finding> Findings { get; set; } = [];

    public string Grade { get; set; } = "";

    public List<string> GradeReasons { get; set; } = [];

    public ScoreReport Score { get; set; } = new();

    /// <summary>Probes that could not be completed (the scan went on without them).</summary>
    public List<string> Errors { get; set; } = [];

    /// <summary>Active probe verdicts: true vulnerable, false not, null inconclusive; absent when not applicable.</summary>
    public Dictionary<string, bool?> Vulnerabilities { get; set; } = [];

    /// <summary>What an active probe saw, for the findings and the curious (e.g. ROBOT's answer to each encoding).</summary>
    public Dictionary<string, string> Evidence { get; set; } = [];

    public bool Supports(string protocol) => Protocols.Any(p => p.Name == protocol && p.Supported);

    public IEnumerable<SuiteReport> AllSuites => CipherSuites.SelectMany(l => l.Suites);
}

internal sealed class ProtocolReport
{
    public string Name { get; set; } = "";

    public bool Supported { get; set; }

    public string? Note { get; set; }
}

internal sealed class SuiteListReport
{
    public string Protocol { get; set; } = "";

    /// <summary>True: the server chooses by its own order (the list is in that order); false: it follows the client's; null: one suite only.</summary>
    public bool? ServerOrder { get; set; }

    public List<SuiteReport> Suites { get; set; } = [];
}

internal sealed class SuiteReport
{
    public string Name { get; set; } = "";

    public string Code { get; set; } = "";

    public string KeyExchange { get; set; } = "";

    public string Cipher { get; set; } = "";

    public int Bits { get; set; }

    public bool ForwardSecrecy { get; set; }

    /// <summary>"strong", "weak" or "insecure".</summary>
    public string Strength { get; set; } = "";

    /// <summary>For DHE suites: the size of the server's prime.</summary>
    public int? DhBits { get; set; }

    /// <summary>For ECDHE suites in TLS 1.2: the curve the server chose.</summary>
    public string? Group { get; set; }
}

internal sealed class GroupsReport
{
    /// <summary>TLS 1.3 groups in the server's order (if it has one).</summary>
    public List<string> Tls13 { get; set; } = [];

    public bool? Tls13ServerOrder { get; set; }

    /// <summary>TLS 1.2 (and earlier) ECDHE curves.</summary>
    public List<string> Tls12 { get; set; } = [];

    public bool? Tls12ServerOrder { get; set; }

    /// <summary>The smallest DHE prime the server used (bits), null when it has no DHE suite.</summary>
    public int? DhBits { get; set; }

    /// <summary>The DHE group by name when it is a known one (ffdhe2048, RFC 3526 ...), or "custom".</summary>
    public string? DhGroup { get; set; }
}

internal sealed class CertificateReport
{
    public List<CertificateEntryReport> Chain { get; set; } = [];

    public bool Trusted { get; set; }

    public string TrustResult { get; set; } = "";

    /// <summary>The name or address the certificate was checked against: the SNI name, else the host scanned.</summary>
    public string? NameChecked { get; set; }

    public bool NameMatches { get; set; }

    public bool ChainInOrder { get; set; }

    /// <summary>False when the server leaves out an intermediate the path needs.</summary>
    public bool ChainComplete { get; set; }

    /// <summary>True when the server also sends the root.</summary>
    public bool SendsRoot { get; set; }

    public bool Expired { get; set; }

    public bool NotYetValid { get; set; }

    public int DaysLeft { get; set; }

    public bool SelfSigned { get; set; }

    public bool OcspStapled { get; set; }

    public string? StapleStatus { get; set; }

    public bool MustStaple { get; set; }

    /// <summary>good / revoked / unknown / not checked.</summary>
    public string Revocation { get; set; } = "not checked";
}

internal sealed class CertificateEntryReport
{
    public string Subject { get; set; } = "";

    public string Issuer { get; set; } = "";

    public List<string> SubjectAltNames { get; set; } = [];

    public DateTimeOffset NotBefore { get; set; }

    public DateTimeOffset NotAfter { get; set; }

    public string KeyType { get; set; } = "";

    public int KeyBits { get; set; }

    public string SignatureAlgorithm { get; set; } = "";

    public string Sha256Fingerprint { get; set; } = "";
}

internal sealed class FeaturesReport
{
    public bool? SecureRenegotiation { get; set; }

    public bool? ClientRenegotiation { get; set; }

    public bool? InsecureRenegotiation { get; set; }

    public bool? ExtendedMasterSecret { get; set; }

    public bool? ResumptionById { get; set; }

    public bool? ResumptionByTicket { get; set; }

    public bool? Tls13Resumption { get; set; }

    public int? ZeroRttMaxSize { get; set; }

    public List<string> Alpn { get; set; } = [];

    /// <summary>Encrypted Client Hello: the server's retry configurations, one line each; empty: no ECH; null: not known.</summary>
    public List<string>? Ech { get; set; }

    public bool? FallbackScsv { get; set; }

    public bool? Compression { get; set; }

    public bool? Heartbeat { get; set; }

    public bool? EncryptThenMac { get; set; }

    public bool? OcspStapling { get; set; }

    public bool IsHttp { get; set; }

    public string? Hsts { get; set; }

    public long? HstsMaxAge { get; set; }
}

/// <summary>A weakness or a notable fact: severity "critical" (caps at F), "high", "medium", "low" or "info".</summary>
internal sealed class Finding
{
    public string Id { get; set; } = "";

    public string Title { get; set; } = "";

    public string Severity { get; set; } = "";

    public string Reason { get; set; } = "";

    public string Reference { get; set; } = "";

    /// <summary>The best grade a server with this finding can get ("F", "C", "B", "A-"), or null when it does not limit the grade.</summary>
    public string? Cap { get; set; }
}

internal sealed class ScoreReport
{
    public int Protocol { get; set; }

    public int KeyExchange { get; set; }

    public int Cipher { get; set; }

    public int Total { get; set; }
}
