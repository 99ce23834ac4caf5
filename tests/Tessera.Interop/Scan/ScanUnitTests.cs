using Tessera.Cli;
using Tessera.Cli.Scan;
using Tessera.Messages;

namespace Tessera.Interop.Scan;

/// <summary>The scanner's pieces without a network: the suite catalog, the probe hello, target parsing, and each grading rule of docs/scan-grading.md.</summary>
public sealed class ScanUnitTests
{
    [Theory]
    [InlineData("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE", "RSA", "AES-128-GCM", 128, "AEAD", true, false)]
    [InlineData("TLS_RSA_WITH_3DES_EDE_CBC_SHA", "RSA", "RSA", "3DES-CBC", 112, "SHA", false, false)]
    [InlineData("TLS_RSA_EXPORT_WITH_RC4_40_MD5", "RSA", "RSA", "RC4", 40, "MD5", false, true)]
    [InlineData("TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA", "DHE", "DSS", "DES-CBC", 40, "SHA", true, true)]
    [InlineData("TLS_DH_anon_WITH_AES_256_CBC_SHA256", "DH", "anon", "AES-256-CBC", 256, "SHA256", false, false)]
    [InlineData("TLS_AES_128_CCM_8_SHA256", "any", "any", "AES-128-CCM-8", 128, "AEAD", true, false)]
    [InlineData("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE", "ECDSA", "ChaCha20-Poly1305", 256, "AEAD", true, false)]
    [InlineData("TLS_DHE_PSK_WITH_AES_128_CCM", "DHE_PSK", "PSK", "AES-128-CCM", 128, "AEAD", true, false)]
    [InlineData("TLS_SRP_SHA_RSA_WITH_AES_128_CBC_SHA", "SRP", "RSA", "AES-128-CBC", 128, "SHA", false, false)]
    public void CatalogReadsAttributesFromTheIanaName(string name, string kx, string auth, string cipher, int bits, string mac, bool fs, bool export)
    {
        var suite = CipherSuiteCatalog.Parse(0x1234, name);
        Assert.Equal((kx, auth, cipher, bits, mac, fs, export), (suite.KeyExchange, suite.Authentication, suite.Cipher, suite.KeyBits, suite.Mac, suite.ForwardSecret, suite.Export));
    }

    [Fact]
    public void CatalogHoldsEveryEngineSuiteAndTheLegacyOnesAScanLooksFor()
    {
        Assert.True(CipherSuiteCatalog.All.Count > 200);
        Assert.Equal(CipherSuiteCatalog.All.Count, CipherSuiteCatalog.All.Select(s => s.Code).Distinct().Count());
        foreach (var suite in Enum.GetValues<CipherSuite>())
        {
            Assert.Equal(suite.ToString(), CipherSuiteCatalog.Find((ushort)suite)?.Name);
        }

        Assert.True(CipherSuiteCatalog.Find(0x000A)!.SmallBlock);      // 3DES: SWEET32
        Assert.True(CipherSuiteCatalog.Find(0x0005)!.Rc4);
        Assert.True(CipherSuiteCatalog.Find(0x0003)!.Export);
        Assert.True(CipherSuiteCatalog.Find(0x1301)!.RequiresTls12);
        Assert.False(CipherSuiteCatalog.Find(0x002F)!.RequiresTls12);
        Assert.True(CipherSuiteCatalog.Find(0xC02F)!.RequiresTls12);
    }

    [Fact]
    public void ProbeHelloIsAWellFormedClientHelloThatCarriesExactlyWhatWasAskedFor()
    {
        var hello = new ProbeHello
        {
            ServerName = "example.com",
            CipherSuites = [0x0005, 0x000A, 0x5600],
            CompressionMethods = [1, 0],
            SupportedGroups = [29, 23],
            SignatureAlgorithms = [0x0403],
            Heartbeat = true,
        };
        var record = hello.ToRecord();
        Assert.Equal(22, record[0]);
        Assert.Equal(record.Length - 5, (record[3] << 8) | record[4]);
        var parsed = ClientHello.Parse(record.AsSpan(9));
        Assert.Equal([0x0005, 0x000A, 0x5600], parsed.CipherSuites);
        Assert.Equal([1, 0], parsed.LegacyCompressionMethods);
        Assert.Contains(parsed.Extensions, e => e.Type == (ushort)ExtensionType.Heartbeat);
        Assert.Contains(parsed.Extensions, e => e.Type == (ushort)ExtensionType.RenegotiationInfo);
        Assert.True(record.Length - 5 is < 256 or >= 512, "a hello of 256..511 bytes is padded past 511 (RFC 7685)");

        var ssl3 = new ProbeHello { ClientVersion = 0x0300, RecordVersion = 0x0300, CipherSuites = [0x002F], NoExtensions = true };
        var bare = ClientHello.Parse(ssl3.ToRecord().AsSpan(9));
        Assert.Empty(bare.Extensions);

        var ssl2 = ProbeHello.Ssl2ClientHello([0x0700C0, 0x010080]);
        Assert.Equal(0x80, ssl2[0] & 0x80);
        Assert.Equal(ssl2.Length - 2, ((ssl2[0] & 0x7F) << 8) | ssl2[1]);
        Assert.Equal(1, ssl2[2]);
        Assert.Equal(6, ssl2[6]);
    }

    [Theory]
    [InlineData("example.com", "example.com", 443)]
    [InlineData("example.com:8443", "example.com", 8443)]
    [InlineData("https://example.com/", "example.com", 443)]
    [InlineData("[::1]:4433", "::1", 4433)]
    [InlineData("::1", "::1", 443)]
    [InlineData("127.0.0.1:1", "127.0.0.1", 1)]
    public void TargetsParse(string text, string host, int port) =>
        Assert.Equal((host, port), ScanCommand.ParseTarget(text, 443));

    [Theory]
    [InlineData("example.com:0")]
    [InlineData("example.com:70000")]
    [InlineData("example.com:https")]
    [InlineData("[::1")]
    [InlineData(":443")]
    public void BadTargetsAreUsageErrors(string text) =>
        Assert.Throws<CliException>(() => ScanCommand.ParseTarget(text, 443));

    private static ScanReport GoodServer()
    {
        var report = new ScanReport { ServerName = "example.com" };
        report.Protocols.AddRange(new[] { "SSL 2.0", "SSL 3.0", "TLS 1.0", "TLS 1.1", "TLS 1.2", "TLS 1.3" }.Select(p => new ProtocolReport { Name = p, Supported = p is "TLS 1.2" or "TLS 1.3" }));
        report.CipherSuites.Add(List("TLS 1.2", 0xC02B, 0xC02C));
        report.CipherSuites.Add(List("TLS 1.3", 0x1301, 0x1302));
        report.Groups.Tls13 = ["x25519", "secp256r1"];
        report.Certificate = new CertificateReport
        {
            Chain = [new CertificateEntryReport { Subject = "CN=example.com", Issuer = "CN=CA", KeyType = "ECDSA", KeyBits = 256, SignatureAlgorithm = "ecdsa-with-SHA256", SubjectAltNames = ["DNS:example.com"] }],
            Trusted = true, TrustResult = "trusted", NameMatches = true, ChainComplete = true, ChainInOrder = true, DaysLeft = 90,
        };
        report.Features.SecureRenegotiation = true;
        report.Features.ClientRenegotiation = false;
        report.Features.FallbackScsv = true;
        report.Features.Compression = false;
        return report;
    }

    private static SuiteListReport List(string protocol, params ushort[] codes) => new()
    {
        Protocol = protocol,
        ServerOrder = true,
        Suites = [.. codes.Select(c => CipherSuiteCatalog.Find(c)!).Select(s => new SuiteReport { Name = s.Name, Code = $"0x{s.Code:X4}", Bits = s.KeyBits, ForwardSecrecy = s.ForwardSecret, KeyExchange = s.KeyExchange, Cipher = s.Cipher })],
    };

    private static string Grade(ScanReport report)
    {
        ScanFindings.Add(report);
        ScanGrader.Grade(report);
        return report.Grade;
    }

    [Fact]
    public void AModernServerGetsAAndHstsMakesItAPlus()
    {
        var good = GoodServer();
        Assert.Equal("A", Grade(good));
        Assert.Equal(93, good.Score.Total);      // 0.3 × protocol 100 + 0.3 × key exchange 90 (P-256 ≈ RSA 3072) + 0.4 × cipher (100 + 80) / 2

        var hsts = GoodServer();
        hsts.Features.IsHttp = true;
        hsts.Features.Hsts = "max-age=31536000";
        hsts.Features.HstsMaxAge = 31_536_000;
        Assert.Equal("A+", Grade(hsts));

        var shortHsts = GoodServer();
        shortHsts.Features.IsHttp = true;
        shortHsts.Features.Hsts = "max-age=60";
        shortHsts.Features.HstsMaxAge = 60;
        Assert.Equal("A", Grade(shortHsts));
        Assert.Contains(shortHsts.Findings, f => f.Id == "short-hsts");
    }

    public static TheoryData<string, string, string> Rules => new()
    {
        { "ssl2", "F", "drown" },
        { "ssl3", "C", "poodle" },
        { "tls10", "B", "tls10-tls11" },
        { "no-tls13", "A-", "no-tls13" },
        { "rc4", "C", "rc4" },
        { "3des", "C", "sweet32" },
        { "export", "F", "freak" },
        { "anon", "F", "anonymous" },
        { "dh1024", "B", "weak-dh" },
        { "dh768", "F", "logjam" },
        { "compression", "C", "crime" },
        { "insecure-reneg", "F", "insecure-renegotiation" },
        { "client-reneg", "A-", "client-renegotiation" },
        { "no-secure-reneg", "C", "no-secure-renegotiation" },
        { "no-scsv", "A-", "no-fallback-scsv" },
        { "heartbleed", "F", "heartbleed" },
        { "ccs", "F", "ccs-injection" },
        { "robot", "F", "robot" },
        { "expired", "F", "cert-expired" },
        { "untrusted", "F", "cert-untrusted" },
        { "mismatch", "F", "cert-name-mismatch" },
        { "rsa1024", "B", "cert-key-weak" },
        { "sha1", "F", "cert-sha1" },
        { "incomplete", "B", "chain-incomplete" },
        { "rsa-only", "B", "no-forward-secrecy" },
        { "cbc-only", "B", "no-aead" },
    };

    [Theory]
    [MemberData(nameof(Rules))]
    public void EachRuleCapsTheGradeAsDocumented(string change, string expected, string findingId)
    {
        var r = GoodServer();
        var cert = r.Certificate!;
        switch (change)
        {
            case "ssl2": r.Protocols[0].Supported = true; break;
            case "ssl3": r.Protocols[1].Supported = true; break;
            case "tls10": r.Protocols[2].Supported = true; break;
            case "no-tls13": r.Protocols[5].Supported = false; r.CipherSuites.RemoveAt(1); break;
            case "rc4": r.CipherSuites.Insert(0, List("TLS 1.2", 0xC011)); break;
            case "3des": r.CipherSuites.Insert(0, List("TLS 1.2", 0xC012)); break;
            case "export": r.CipherSuites.Insert(0, List("TLS 1.2", 0x0003)); break;
            case "anon": r.CipherSuites.Insert(0, List("TLS 1.2", 0xC018)); break;
            case "dh1024": r.Groups.DhBits = 1024; break;
            case "dh768": r.Groups.DhBits = 768; break;
            case "compression": r.Features.Compression = true; break;
            case "insecure-reneg": r.Features.InsecureRenegotiation = true; break;
            case "client-reneg": r.Features.ClientRenegotiation = true; break;
            case "no-secure-reneg": r.Features.SecureRenegotiation = false; break;
            case "no-scsv": r.Features.FallbackScsv = false; break;
            case "heartbleed": r.Vulnerabilities["heartbleed"] = true; break;
            case "ccs": r.Vulnerabilities["ccs-injection"] = true; break;
            case "robot": r.Vulnerabilities["robot"] = true; break;
            case "expired": cert.Expired = true; break;
            case "untrusted": cert.Trusted = false; cert.TrustResult = "no path to a trusted root"; break;
            case "mismatch": cert.NameMatches = false; break;
            case "rsa1024": cert.Chain[0].KeyType = "RSA"; cert.Chain[0].KeyBits = 1024; break;
            case "sha1": cert.Chain[0].SignatureAlgorithm = "sha1WithRSAEncryption"; break;
            case "incomplete": cert.ChainComplete = false; break;
            case "rsa-only": r.CipherSuites = [List("TLS 1.2", 0x009C)]; r.Protocols[5].Supported = false; break;
            case "cbc-only": r.CipherSuites = [List("TLS 1.2", 0xC013)]; r.Protocols[5].Supported = false; break;
        }

        Assert.Equal(expected, Grade(r));
        Assert.Contains(r.Findings, f => f.Id == findingId);
        Assert.Contains(r.GradeReasons, g => g.EndsWith($"capped at {expected}", StringComparison.Ordinal));
    }

    [Fact]
    public void FailUnderRanksGrades()
    {
        Assert.True(ScanGrader.Rank("A+") < ScanGrader.Rank("A"));
        Assert.True(ScanGrader.Rank("A-") < ScanGrader.Rank("B"));
        Assert.True(ScanGrader.Rank("E") < ScanGrader.Rank("F"));
        Assert.Throws<ArgumentException>(() => ScanGrader.Rank("G"));
    }
}
