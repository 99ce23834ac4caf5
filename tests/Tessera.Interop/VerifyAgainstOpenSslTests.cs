using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Tessera.Tests.Pki;

namespace Tessera.Interop;

/// <summary>
/// The same generated chains through <c>openssl verify</c> and <c>tessera verify</c>: OpenSSL's verdict is the
/// expected one, except where Tessera is deliberately stricter (each such case says why).
/// </summary>
public sealed class VerifyAgainstOpenSslTests : IDisposable
{
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("tessera-verify-");

    public void Dispose() => _directory.Delete(recursive: true);

    /// <summary>Cases where Tessera refuses what openssl verify (no security level set) accepts, and why.</summary>
    private static readonly Dictionary<string, string> DeliberatelyStricter = new()
    {
        ["SHA-1 signature"] = "SHA-1 certificate signatures are collision-prone; refused unless -allow_sha1",
        ["RSA-1024 leaf"] = "keys under 2048 bits are refused (openssl only with -auth_level 2 or more)",
    };

    public static TheoryData<string> Cases() =>
    [
        "valid", "leaf expired", "untrusted root", "intermediate not a CA", "intermediate without keyCertSign", "pathLen 0 exceeded",
        "leaf for clients only", "intermediate for clients only", "name outside permitted", "name excluded", "unknown critical extension",
        "name mismatch", "SHA-1 signature", "RSA-1024 leaf", "CA as end entity", "IP match", "wildcard",
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void TesseraAndOpenSslAgree(string name)
    {
        var ca = new CertSpec { Ca = true };
        var leafSpec = new CertSpec { Dns = ["www.example.com"], Eku = [ServerAuth] };
        using var root = ChainFactory.Root("Verify Root", name == "SHA-1 signature" ? new CertSpec { RsaBits = 2048 } : null);
        using var otherRoot = ChainFactory.Root("Other Root");
        var caSpec = name switch
        {
            "intermediate not a CA" => new CertSpec { KeyUsage = X509KeyUsageFlags.KeyCertSign },
            "intermediate without keyCertSign" => ca with { KeyUsage = X509KeyUsageFlags.DigitalSignature },
            "pathLen 0 exceeded" => ca with { PathLength = 0 },
            "intermediate for clients only" => ca with { Eku = ["1.3.6.1.5.5.7.3.2"] },
            "name outside permitted" => ca with { NameConstraints = ChainFactory.NameConstraints(permittedDns: ["example.org"]) },
            "name excluded" => ca with { NameConstraints = ChainFactory.NameConstraints(excludedDns: ["www.example.com"]) },
            _ => ca,
        };
        using var intermediate = ChainFactory.Issue(name == "untrusted root" ? otherRoot : root, "Verify CA", caSpec);
        using var second = ChainFactory.Issue(intermediate, "Second CA", ca);
        leafSpec = name switch
        {
            "leaf expired" => leafSpec with { NotAfterOffset = TimeSpan.FromDays(-1), NotBeforeOffset = TimeSpan.FromDays(-5) },
            "leaf for clients only" => leafSpec with { Eku = ["1.3.6.1.5.5.7.3.2"] },
            "unknown critical extension" => leafSpec with { UnknownCriticalExtension = true },
            "name mismatch" => leafSpec with { Dns = ["other.example.com"] },
            "RSA-1024 leaf" => leafSpec with { RsaBits = 1024 },
            "CA as end entity" => leafSpec with { Ca = true },
            "SHA-1 signature" => leafSpec with { Hash = HashAlgorithmName.SHA1 },
            "IP match" => leafSpec with { Ips = [IPAddress.Parse("192.0.2.10")] },
            "wildcard" => leafSpec with { Dns = ["*.example.com"] },
            _ => leafSpec,
        };
        var signer = name switch { "pathLen 0 exceeded" => second, "SHA-1 signature" => root, _ => intermediate };
        using var leaf = ChainFactory.Issue(signer, "leaf", leafSpec);

        string rootFile = Write("root.pem", root), untrustedFile = Write("untrusted.pem", intermediate, second), leafFile = Write("leaf.pem", leaf);
        string[] nameCheck = name == "IP match" ? ["-verify_ip", "192.0.2.10"] : ["-verify_hostname", "www.example.com"];
        string[] args = ["-CAfile", rootFile, "-untrusted", untrustedFile, "-purpose", "sslserver", .. nameCheck, leafFile];

        using var openssl = PeerProcess.StartOpenSsl(["verify", .. args]);
        bool openSslAccepts = openssl.WaitForExit(TimeSpan.FromSeconds(30)) == 0;
        using var tessera = PeerProcess.StartTessera(["verify", .. args]);
        int exit = tessera.WaitForExit(TimeSpan.FromSeconds(60));
        bool tesseraAccepts = exit == 0;
        Assert.True(exit is 0 or 2, $"tessera verify exit {exit}: {tessera.Stdout}{tessera.Stderr}");

        if (DeliberatelyStricter.TryGetValue(name, out var why))
        {
            Assert.True(openSslAccepts, $"openssl now refuses '{name}' too: {openssl.Stdout}{openssl.Stderr}");
            Assert.False(tesseraAccepts, $"expected Tessera to refuse: {why}");
        }
        else
        {
            Assert.True(openSslAccepts == tesseraAccepts,
                $"'{name}': openssl {(openSslAccepts ? "accepts" : "refuses")} ({openssl.Stdout.Trim()} {openssl.Stderr.Trim()}), tessera {(tesseraAccepts ? "accepts" : "refuses")} ({tessera.Stdout.Trim()})");
        }

        Assert.Contains(tesseraAccepts ? ": OK" : ": error at depth", tessera.Stdout, StringComparison.Ordinal);
    }

    /// <summary>Rows of the validation table where openssl verify (3.x defaults) and Tessera part ways on purpose, and why.</summary>
    private static readonly Dictionary<string, string> TableDifferences = new()
    {
        // Tessera is stricter.
        ["SHA-1 signature on the leaf"] = "SHA-1 certificate signatures are collision-prone; refused unless ValidationPolicy.AllowSha1Signatures (-allow_sha1)",
        ["RSA-1024 leaf key"] = "RSA keys under 2048 bits are refused (openssl only from -auth_level 2)",
        ["RSA-1024 intermediate key"] = "RSA keys under 2048 bits are refused (openssl only from -auth_level 2)",
        ["partial-label wildcard"] = "RFC 9525 §6.3: a wildcard is the whole leftmost label; openssl accepts w*.example.com unless told not to",
        ["common name without subjectAltName"] = "RFC 9525 §6.3 / CA/B Forum: no Common Name fallback; openssl falls back when there is no DNS subjectAltName",
        ["wildcard leaf touching an excluded name"] = "*.example.com would cover secret.example.com, which the CA may not certify; openssl compares the wildcard as a plain string",
        ["longer than the maximum depth (seven intermediates)"] = "ValidationPolicy.MaxDepth defaults to 8 certificates (six intermediates, like webpki); openssl allows 100",
        ["serial number of 21 octets"] = "RFC 5280 §4.1.2.2: serialNumber is at most 20 octets; refused as malformed",

        // Tessera finds paths openssl does not: it tries every candidate issuer, openssl keeps the first it picks.
        ["several same-name issuers, one real"] = "without key identifiers openssl tries only the first CA with the right name and reports a signature failure",
        ["forty same-name issuers, the real one last"] = "as above: openssl tries only the first CA with the right name",
        ["valid despite a misleading authorityKeyIdentifier"] = "the authorityKeyIdentifier is a hint for path building (RFC 5280 §4.2.1.1), not a rule; openssl insists on it",
        ["cross-signed, with the untrusted self-signed old root first in the pool"] = "openssl stops at the first certificate named Old Root, the untrusted self-signed one",

        // Tessera is looser, following RFC 5280.
        ["leaf with anyExtendedKeyUsage"] = "RFC 5280 §4.2.1.12: anyExtendedKeyUsage does not restrict the key (as in Go and Windows); openssl's sslserver purpose wants serverAuth itself",
    };

    [Theory]
    [MemberData(nameof(ValidationTable.Names), MemberType = typeof(ValidationTable))]
    public void TheValidationTableAgreesWithOpenSsl(string name)
    {
        using var chain = ValidationTable.Build(name);
        bool tesseraAccepts = ValidationTable.Rows[name].Expected == Tessera.Pki.X509.ValidationError.None;
        Assert.Equal(tesseraAccepts, chain.Validate().IsValid);   // the unit tests check the exact error

        string[] pool = chain.Pool.Count == 0 ? [] : ["-untrusted", Write("untrusted.pem", [.. chain.Pool])];
        string[] names = chain.Ip is { } ip ? ["-verify_ip", ip.ToString()] : chain.Host is { } host ? ["-verify_hostname", host] : [];
        string purpose = chain.Usage == Tessera.Pki.X509.CertificateUsage.Server ? "sslserver" : "sslclient";
        using var openssl = PeerProcess.StartOpenSsl(["verify", "-CAfile", Write("roots.pem", [.. chain.Anchors]), .. pool, "-purpose", purpose, .. names, Write("leaf.pem", chain.Leaf)]);
        bool openSslAccepts = openssl.WaitForExit(TimeSpan.FromSeconds(30)) == 0;
        string verdict = $"'{name}': openssl {(openSslAccepts ? "accepts" : "refuses")} ({openssl.Stdout.Trim()} {openssl.Stderr.Trim()}), Tessera {(tesseraAccepts ? "accepts" : "refuses")}";
        if (TableDifferences.TryGetValue(name, out var why))
        {
            Assert.True(openSslAccepts != tesseraAccepts, $"{verdict}; they now agree, though the table says: {why}");
        }
        else
        {
            Assert.True(openSslAccepts == tesseraAccepts, verdict);
        }
    }

    public static TheoryData<string, string> RevocationCases() => new()
    {
        { "-crl_check", "leaf revoked" },
        { "-crl_check", "nothing revoked" },
        { "-crl_check", "no CRL for the leaf" },
        { "-crl_check_all", "nothing revoked" },
        { "-crl_check_all", "intermediate revoked" },
        { "-crl_check_all", "no CRL from the root" },
    };

    [Theory]
    [MemberData(nameof(RevocationCases))]
    public void CrlCheckingAgreesWithOpenSsl(string check, string name)
    {
        using var root = ChainFactory.Root("Verify Root");
        using var intermediate = ChainFactory.Issue(root, "Verify CA", new CertSpec { Ca = true });
        using var leaf = ChainFactory.Issue(intermediate, "leaf", new CertSpec { Dns = ["www.example.com"], Eku = [ServerAuth] });
        var crls = new List<string>();
        if (name != "no CRL for the leaf")
        {
            crls.Add(Crl(intermediate, name == "leaf revoked" ? [leaf] : []));
        }

        if (name != "no CRL from the root")
        {
            crls.Add(Crl(root, name == "intermediate revoked" ? [intermediate] : []));
        }

        var crlFile = Path.Combine(_directory.FullName, "crls.pem");
        File.WriteAllText(crlFile, string.Concat(crls));
        string[] args = ["-CAfile", Write("root.pem", root), "-untrusted", Write("untrusted.pem", intermediate), check, "-CRLfile", crlFile, Write("leaf.pem", leaf)];
        using var openssl = PeerProcess.StartOpenSsl(["verify", .. args]);
        bool openSslAccepts = openssl.WaitForExit(TimeSpan.FromSeconds(30)) == 0;
        using var tessera = PeerProcess.StartTessera(["verify", .. args]);
        bool tesseraAccepts = tessera.WaitForExit(TimeSpan.FromSeconds(60)) == 0;
        Assert.True(openSslAccepts == tesseraAccepts,
            $"{check} '{name}': openssl {(openSslAccepts ? "accepts" : "refuses")} ({openssl.Stdout.Trim()} {openssl.Stderr.Trim()}), tessera {(tesseraAccepts ? "accepts" : "refuses")} ({tessera.Stdout.Trim()} {tessera.Stderr.Trim()})");
        Assert.Equal(name is "nothing revoked", tesseraAccepts);
    }

    private static string Crl(Issued issuer, Issued[] revoked)
    {
        var builder = new CertificateRevocationListBuilder();
        foreach (var certificate in revoked)
        {
            builder.AddEntry(certificate.X509, ChainFactory.Now.AddHours(-1), X509RevocationReason.KeyCompromise);
        }

        using var signer = issuer.X509.CopyWithPrivateKey((ECDsa)issuer.Key!);
        var der = builder.Build(signer, System.Numerics.BigInteger.One, ChainFactory.Now.AddDays(7), HashAlgorithmName.SHA256, thisUpdate: ChainFactory.Now.AddHours(-2));
        return PemEncoding.WriteString("X509 CRL", der) + "\n";
    }

    private string Write(string file, params Issued[] certificates)
    {
        var path = Path.Combine(_directory.FullName, file);
        File.WriteAllText(path, string.Concat(certificates.Select(c => c.X509.ExportCertificatePem() + "\n")));
        return path;
    }
}
