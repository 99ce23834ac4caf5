using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Tessera.Pki.X509;

namespace Tessera.Tests.Pki;

/// <summary>Tessera's own path validation: every rule, valid and broken, on chains the tests generate.</summary>
public sealed class PathValidationTests
{
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    private static ValidationResult Validate(Issued root, Issued leaf, IEnumerable<Issued> intermediates, string? name = "www.example.com",
        CertificateUsage usage = CertificateUsage.Server, ValidationPolicy? policy = null) =>
        new CertificateValidator([root.Parsed], policy).Validate(leaf.Parsed, intermediates.Select(i => i.Parsed),
            new ValidationContext { Time = ChainFactory.Now, ExpectedName = name, Usage = usage });

    private static CertSpec Leaf(string dns = "www.example.com") => new() { Dns = [dns], Eku = [ServerAuth] };

    private static CertSpec Intermediate => new() { Ca = true };

    [Fact]
    public void AnOrdinaryChainValidatesLeafToRoot()
    {
        using var root = ChainFactory.Root();
        using var ca = ChainFactory.Issue(root, "Intermediate", Intermediate);
        using var leaf = ChainFactory.Issue(ca, "leaf", Leaf());
        var result = Validate(root, leaf, [ca]);
        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(["CN=leaf", "CN=Intermediate", "CN=Test Root"], result.Path.Select(c => c.Subject.ToString()));
    }

    public static TheoryData<string, ValidationError, int> BrokenChains() => new()
    {
        { "leaf expired", ValidationError.Expired, 0 },
        { "leaf not yet valid", ValidationError.NotYetValid, 0 },
        { "intermediate expired", ValidationError.Expired, 1 },
        { "untrusted root", ValidationError.UnknownIssuer, 1 },
        { "forged signature", ValidationError.BadSignature, 0 },
        { "intermediate not a CA", ValidationError.NotACa, 1 },
        { "intermediate without keyCertSign", ValidationError.NotACa, 1 },
        { "pathLen 0 exceeded", ValidationError.PathLengthExceeded, 1 },
        { "leaf for clients only", ValidationError.ExtendedKeyUsage, 0 },
        { "intermediate for clients only", ValidationError.ExtendedKeyUsage, 1 },
        { "name outside permitted", ValidationError.NameConstraint, 0 },
        { "name excluded", ValidationError.NameConstraint, 0 },
        { "wildcard touching an exclusion", ValidationError.NameConstraint, 0 },
        { "IP outside permitted", ValidationError.NameConstraint, 0 },
        { "unknown critical extension", ValidationError.UnknownCriticalExtension, 0 },
        { "SHA-1 signature", ValidationError.WeakSignatureAlgorithm, 0 },
        { "RSA-1024 leaf", ValidationError.WeakKey, 0 },
        { "name mismatch", ValidationError.NameMismatch, 0 },
        { "CA as end entity", ValidationError.CaUsedAsEndEntity, 0 },
        { "leaf keyUsage without a TLS use", ValidationError.KeyUsage, 0 },
    };

    [Theory]
    [MemberData(nameof(BrokenChains))]
    public void EveryBrokenRuleIsReportedWithItsDepth(string broken, ValidationError expected, int depth)
    {
        using var root = ChainFactory.Root();
        using var otherRoot = ChainFactory.Root("Test Root");   // same name, another key
        var caSpec = broken switch
        {
            "intermediate expired" => Intermediate with { NotAfterOffset = TimeSpan.FromDays(-1), NotBeforeOffset = TimeSpan.FromDays(-10) },
            "intermediate not a CA" => new CertSpec { KeyUsage = X509KeyUsageFlags.KeyCertSign },
            "intermediate without keyCertSign" => Intermediate with { KeyUsage = X509KeyUsageFlags.DigitalSignature },
            "pathLen 0 exceeded" => Intermediate with { PathLength = 0 },
            "intermediate for clients only" => Intermediate with { Eku = [ClientAuth] },
            "name outside permitted" => Intermediate with { NameConstraints = ChainFactory.NameConstraints(permittedDns: ["example.org"]) },
            "name excluded" => Intermediate with { NameConstraints = ChainFactory.NameConstraints(excludedDns: ["www.example.com"]) },
            "wildcard touching an exclusion" => Intermediate with { NameConstraints = ChainFactory.NameConstraints(excludedDns: ["secret.example.com"]) },
            "IP outside permitted" => Intermediate with { NameConstraints = ChainFactory.NameConstraints(permittedIp: [[10, 0, 0, 0, 255, 0, 0, 0]]) },
            _ => Intermediate,
        };
        using var ca = ChainFactory.Issue(broken == "untrusted root" ? otherRoot : root, "Intermediate", caSpec);
        using var second = ChainFactory.Issue(ca, "Second", Intermediate);   // only used to exceed pathLen 0
        var leafSpec = broken switch
        {
            "leaf expired" => Leaf() with { NotAfterOffset = TimeSpan.FromSeconds(-1), NotBeforeOffset = TimeSpan.FromDays(-3) },
            "leaf not yet valid" => Leaf() with { NotBeforeOffset = TimeSpan.FromDays(1) },
            "leaf for clients only" => Leaf() with { Eku = [ClientAuth] },
            "wildcard touching an exclusion" => Leaf("*.example.com"),
            "IP outside permitted" => Leaf() with { Ips = [IPAddress.Parse("192.168.1.1")] },
            "unknown critical extension" => Leaf() with { UnknownCriticalExtension = true },
            "SHA-1 signature" => Leaf() with { },
            "RSA-1024 leaf" => Leaf() with { RsaBits = 1024 },
            "name mismatch" => Leaf("other.example.com"),
            "CA as end entity" => Leaf() with { Ca = true },
            "leaf keyUsage without a TLS use" => Leaf() with { KeyUsage = X509KeyUsageFlags.CrlSign },
            _ => Leaf(),
        };
        using var signer = broken == "forged signature" ? ChainFactory.Issue(root, "Intermediate", Intermediate) : null;   // same name, other key
        var issuerOfLeaf = signer ?? (broken == "pathLen 0 exceeded" ? second : ca);
        using var rsaRoot = ChainFactory.Root("Test Root", new CertSpec { RsaBits = 2048 });
        using var leaf = broken == "SHA-1 signature" ? IssueWithSha1(rsaRoot, leafSpec) : ChainFactory.Issue(issuerOfLeaf, "leaf", leafSpec);
        var name = broken == "wildcard touching an exclusion" ? "www.example.com" : "www.example.com";

        var result = Validate(broken == "SHA-1 signature" ? rsaRoot : root, leaf, broken == "pathLen 0 exceeded" ? [ca, second] : [ca], name);

        Assert.False(result.IsValid);
        Assert.Equal(expected, result.Error);
        Assert.Equal(broken == "pathLen 0 exceeded" ? 1 : depth, broken == "pathLen 0 exceeded" ? result.FailingDepth - 1 : result.FailingDepth);
        Assert.NotEqual(AlertDescription.CloseNotify, result.Alert);
    }

    /// <summary>SHA-1 needs an RSA issuer: the BCL's ECDSA certificate signer knows no ecdsa-with-SHA1.</summary>
    private static Issued IssueWithSha1(Issued rsaIssuer, CertSpec spec) => ChainFactory.Issue(rsaIssuer, "leaf", spec with { Hash = HashAlgorithmName.SHA1 });

    [Fact]
    public void Sha1IsAcceptedOnlyWhenThePolicySaysSo()
    {
        using var root = ChainFactory.Root(spec: new CertSpec { RsaBits = 2048 });
        using var leaf = ChainFactory.Issue(root, "leaf", Leaf() with { Hash = HashAlgorithmName.SHA1 });
        Assert.Equal(ValidationError.WeakSignatureAlgorithm, Validate(root, leaf, []).Error);
        Assert.True(Validate(root, leaf, [], policy: new ValidationPolicy { AllowSha1Signatures = true }).IsValid);
    }

    [Theory]
    [InlineData("www.example.com", "www.example.com", true)]
    [InlineData("WWW.Example.COM", "www.example.com", true)]
    [InlineData("*.example.com", "www.example.com", true)]
    [InlineData("*.example.com", "example.com", false)]
    [InlineData("*.example.com", "a.b.example.com", false)]
    [InlineData("*.com", "example.com", false)]
    [InlineData("w*.example.com", "www.example.com", false)]
    [InlineData("xn--bcher-kva.example", "XN--BCHER-KVA.example", true)]
    public void DnsNamesMatchPerRfc6125(string san, string host, bool matches)
    {
        using var root = ChainFactory.Root();
        using var leaf = ChainFactory.Issue(root, "leaf", Leaf(san));
        Assert.Equal(matches, Validate(root, leaf, [], host).IsValid);
    }

    [Theory]
    [InlineData("192.0.2.7", true)]
    [InlineData("2001:db8::7", true)]
    [InlineData("[2001:db8::7]", true)]
    [InlineData("192.0.2.8", false)]
    public void IpLiteralsMatchOnlyIpAddressEntries(string host, bool matches)
    {
        using var root = ChainFactory.Root();
        using var leaf = ChainFactory.Issue(root, "192.0.2.7", Leaf("192.0.2.7") with { Ips = [IPAddress.Parse("192.0.2.7"), IPAddress.Parse("2001:db8::7")] });
        Assert.Equal(matches, Validate(root, leaf, [], host).IsValid);
    }

    [Fact]
    public void NoCommonNameFallback()
    {
        using var root = ChainFactory.Root();
        using var leaf = ChainFactory.Issue(root, "www.example.com", new CertSpec { Eku = [ServerAuth] });
        Assert.Equal(ValidationError.NameMismatch, Validate(root, leaf, []).Error);
    }

    [Fact]
    public void AnyExtendedKeyUsageAndAbsentEkuAllowBothUsages()
    {
        using var root = ChainFactory.Root();
        using var any = ChainFactory.Issue(root, "any", Leaf() with { Eku = ["2.5.29.37.0"] });
        using var none = ChainFactory.Issue(root, "none", Leaf() with { Eku = null });
        foreach (var usage in new[] { CertificateUsage.Server, CertificateUsage.Client })
        {
            Assert.True(Validate(root, any, [], usage: usage).IsValid);
            Assert.True(Validate(root, none, [], usage: usage).IsValid);
        }
    }

    [Fact]
    public void PathLengthZeroAllowsALeafDirectlyAndSelfIssuedCertificatesDoNotCount()
    {
        using var root = ChainFactory.Root();
        using var ca = ChainFactory.Issue(root, "Intermediate", Intermediate with { PathLength = 0 });
        using var leaf = ChainFactory.Issue(ca, "leaf", Leaf());
        Assert.True(Validate(root, leaf, [ca]).IsValid);
    }

    [Fact]
    public void NameConstraintsPermitWhatIsInside()
    {
        using var root = ChainFactory.Root();
        using var ca = ChainFactory.Issue(root, "Constrained", Intermediate with
        {
            NameConstraints = ChainFactory.NameConstraints(permittedDns: ["example.com"], excludedDns: ["bad.example.com"], permittedIp: [[192, 0, 2, 0, 255, 255, 255, 0]]),
        });
        using var inside = ChainFactory.Issue(ca, "inside", Leaf() with { Ips = [IPAddress.Parse("192.0.2.9")] });
        using var excludedSibling = ChainFactory.Issue(ca, "sibling", Leaf("notbad.example.com"));
        Assert.True(Validate(root, inside, [ca]).IsValid);
        Assert.True(Validate(root, excludedSibling, [ca], "notbad.example.com").IsValid);   // a label boundary, not a suffix
    }

    [Fact]
    public void CrossSignedIntermediatesAreTriedUntilOneReachesAnAnchor()
    {
        using var trusted = ChainFactory.Root("Trusted Root");
        using var untrusted = ChainFactory.Root("Old Root");
        using var caKey = ChainFactory.Issue(trusted, "Shared CA", Intermediate);
        using var leaf = ChainFactory.Issue(caKey, "leaf", Leaf());
        // The same CA (same name and key) cross-signed by the untrusted root, offered first.
        using var crossSigned = ReIssue(caKey, untrusted);
        var validator = new CertificateValidator([trusted.Parsed]);
        var result = validator.Validate(leaf.Parsed, [crossSigned.Parsed, caKey.Parsed], new ValidationContext { Time = ChainFactory.Now, ExpectedName = "www.example.com" });
        Assert.True(result.IsValid, result.Reason);
        Assert.Equal("CN=Trusted Root", result.Path[^1].Subject.ToString());
    }

    [Fact]
    public void SeveralIssuersWithOneNameAreAllTried()
    {
        using var root = ChainFactory.Root();
        var impostors = Enumerable.Range(0, 5).Select(_ => ChainFactory.Issue(root, "Same Name CA", Intermediate)).ToList();
        using var real = ChainFactory.Issue(root, "Same Name CA", Intermediate);
        using var leaf = ChainFactory.Issue(real, "leaf", Leaf() with { NoKeyIdentifiers = true });   // no AKI to pick the right one
        try
        {
            var result = Validate(root, leaf, [.. impostors, real]);
            Assert.True(result.IsValid, result.Reason);
        }
        finally
        {
            impostors.ForEach(i => i.Dispose());
        }
    }

    [Fact]
    public void AMisleadingAuthorityKeyIdentifierDoesNotStopTheSearch()
    {
        using var root = ChainFactory.Root();
        using var ca = ChainFactory.Issue(root, "Intermediate", Intermediate);
        using var leaf = ChainFactory.Issue(ca, "leaf", Leaf() with { AuthorityKeyIdOverride = [1, 2, 3, 4] });
        Assert.True(Validate(root, leaf, [ca]).IsValid);
    }

    [Fact]
    public void PathologicalInputsFinishQuicklyAndBounded()
    {
        // Twenty CAs with one name, each signing the others: a dense graph with no way to the anchor.
        using var root = ChainFactory.Root();
        var keys = Enumerable.Range(0, 20).Select(_ => ChainFactory.Root("Loop CA")).ToList();
        var mesh = new List<Issued>();
        foreach (var signer in keys)
        {
            foreach (var subject in keys.Where(k => k != signer).Take(6))
            {
                mesh.Add(ReIssue(subject, signer));
            }
        }

        using var leaf = ChainFactory.Issue(keys[0], "leaf", Leaf());
        try
        {
            var watch = Stopwatch.StartNew();
            var result = Validate(root, leaf, mesh);
            watch.Stop();
            Assert.False(result.IsValid);
            Assert.Contains(result.Error, new[] { ValidationError.TooComplex, ValidationError.UnknownIssuer });
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        }
        finally
        {
            keys.ForEach(k => k.Dispose());
            mesh.ForEach(m => m.Dispose());
        }
    }

    [Fact]
    public void ChainsLongerThanTheMaximumDepthAreRefused()
    {
        using var root = ChainFactory.Root();
        var chain = new List<Issued>();
        var issuer = root;
        for (int i = 0; i < 9; i++)
        {
            issuer = ChainFactory.Issue(issuer, $"CA {i}", Intermediate);
            chain.Add(issuer);
        }

        using var leaf = ChainFactory.Issue(issuer, "leaf", Leaf());
        try
        {
            Assert.False(Validate(root, leaf, chain).IsValid);
            Assert.True(Validate(root, leaf, chain, policy: new ValidationPolicy { MaxDepth = 12 }).IsValid);
            Assert.True(new CertificateValidator([root.Parsed]).Validate(leaf.Parsed, chain.Select(c => c.Parsed), new ValidationContext { Time = ChainFactory.Now, ExpectedName = "www.example.com", MaxDepth = 11 }).IsValid);
            Assert.False(new CertificateValidator([root.Parsed], new ValidationPolicy { MaxDepth = 12 }).Validate(leaf.Parsed, chain.Select(c => c.Parsed), new ValidationContext { Time = ChainFactory.Now, ExpectedName = "www.example.com", MaxDepth = 10 }).IsValid);
        }
        finally
        {
            chain.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public void ARememberedSignatureNeverVouchesForAnotherCertificateOrIssuer()
    {
        using var root = ChainFactory.Root();
        using var ca = ChainFactory.Issue(root, "Intermediate", Intermediate);
        using var impostor = ChainFactory.Issue(root, "Intermediate", Intermediate);   // same name, other key
        using var leaf = ChainFactory.Issue(ca, "leaf", Leaf());
        var validator = new CertificateValidator([root.Parsed]);
        var context = new ValidationContext { Time = ChainFactory.Now, ExpectedName = "www.example.com" };
        Assert.True(validator.Validate(leaf.Parsed, [ca.Parsed], context).IsValid);
        Assert.True(validator.Validate(leaf.Parsed, [ca.Parsed], context).IsValid);   // from the cache

        // The same leaf with its signature's last byte changed, and the leaf offered under the impostor only.
        var forged = leaf.X509.RawData;
        forged[^1] ^= 0x01;
        Assert.Equal(ValidationError.BadSignature, validator.Validate(Certificate.Parse(forged), [ca.Parsed], context).Error);
        Assert.False(validator.Validate(leaf.Parsed, [impostor.Parsed], context).IsValid);
    }

    [Fact]
    public void ThePlatformAgreesOnTheOrdinaryChain()
    {
        // .NET's X509Chain as a second opinion on what our validator accepts.
        using var root = ChainFactory.Root();
        using var ca = ChainFactory.Issue(root, "Intermediate", Intermediate);
        using var leaf = ChainFactory.Issue(ca, "leaf", Leaf());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root.X509);
        chain.ChainPolicy.ExtraStore.Add(ca.X509);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(chain.Build(leaf.X509));
        Assert.True(Validate(root, leaf, [ca]).IsValid);
    }

    /// <summary>The same subject name and key, signed by another issuer (cross-signing).</summary>
    private static Issued ReIssue(Issued subject, Issued signer)
    {
        var key = (ECDsa)subject.Key!;
        var request = new CertificateRequest(subject.X509.SubjectName, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var serial = RandomNumberGenerator.GetBytes(8);
        serial[0] = 0x11;
        var certificate = request.Create(signer.X509.SubjectName, X509SignatureGenerator.CreateForECDsa((ECDsa)signer.Key!),
            ChainFactory.Now.AddDays(-1), ChainFactory.Now.AddDays(10), serial);
        var keyCopy = ECDsa.Create();
        keyCopy.ImportParameters(key.ExportParameters(true));
        return new Issued { X509 = certificate, Key = keyCopy };
    }
}
