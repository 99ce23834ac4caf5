using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Tessera.Pki.X509;

namespace Tessera.Tests.Pki;

/// <summary>CRLs (RFC 5280 §5, §6.3): parsed strictly, verified before use, applied off / soft-fail / hard-fail.</summary>
public sealed class RevocationTests
{
    private static readonly CertSpec Ca = new() { Ca = true };
    private static readonly CertSpec Leaf = new() { Dns = ["www.example.com"], Eku = ["1.3.6.1.5.5.7.3.1"] };

    private static CertificateRevocationList Crl(Issued issuer, IEnumerable<Issued> revoked, TimeSpan? nextUpdate = null, TimeSpan? thisUpdate = null, X509RevocationReason reason = X509RevocationReason.KeyCompromise)
    {
        var builder = new CertificateRevocationListBuilder();
        foreach (var certificate in revoked)
        {
            builder.AddEntry(certificate.X509, ChainFactory.Now.AddHours(-1), reason);
        }

        using var signer = issuer.Key is ECDsa ec ? issuer.X509.CopyWithPrivateKey(ec) : issuer.X509.CopyWithPrivateKey((RSA)issuer.Key!);
        var der = builder.Build(signer, new BigInteger(7), ChainFactory.Now + (nextUpdate ?? TimeSpan.FromDays(7)), HashAlgorithmName.SHA256,
            thisUpdate: ChainFactory.Now + (thisUpdate ?? TimeSpan.FromHours(-2)));
        return CertificateRevocationList.Parse(der);
    }

    private static ValidationResult Validate(Issued root, Issued leaf, Issued intermediate, RevocationMode mode, params CertificateRevocationList[] crls) =>
        new CertificateValidator([root.Parsed]).Validate(leaf.Parsed, [intermediate.Parsed], new ValidationContext
        {
            Time = ChainFactory.Now,
            ExpectedName = "www.example.com",
            Crls = crls,
            Revocation = mode,
        });

    [Fact]
    public void ACrlParsesWithItsEntriesReasonsAndDates()
    {
        using var root = ChainFactory.Root();
        using var ca = ChainFactory.Issue(root, "CA", Ca);
        using var leaf = ChainFactory.Issue(ca, "leaf", Leaf);
        var crl = Crl(ca, [leaf], reason: X509RevocationReason.Superseded);
        Assert.Equal("CN=CA", crl.Issuer.ToString());
        var entry = Assert.Single(crl.Revoked);
        Assert.Equal(leaf.Parsed.SerialNumber, entry.SerialNumber);
        Assert.Equal(RevocationReason.Superseded, entry.Reason);
        Assert.Equal([7], crl.CrlNumber);
        Assert.NotNull(crl.NextUpdate);
        Assert.Equal(ca.Parsed.SubjectKeyIdentifier, crl.AuthorityKeyIdentifier);
        Assert.Throws<CertificateFormatException>(() => CertificateRevocationList.Parse(crl.Der[..^3]));
    }

    [Fact]
    public void ARevokedLeafIsRefusedWithCertificateRevoked()
    {
        using var root = ChainFactory.Root();
        using var ca = ChainFactory.Issue(root, "CA", Ca);
        using var leaf = ChainFactory.Issue(ca, "leaf", Leaf);
        var result = Validate(root, leaf, ca, RevocationMode.SoftFail, Crl(ca, [leaf]));
        Assert.Equal(ValidationError.Revoked, result.Error);
        Assert.Equal(0, result.FailingDepth);
        Assert.Equal(AlertDescription.CertificateRevoked, result.Alert);
        Assert.True(Validate(root, leaf, ca, RevocationMode.Off, Crl(ca, [leaf])).IsValid);   // off means off
    }

    [Fact]
    public void ARevokedIntermediateIsRefusedAtItsDepth()
    {
        using var root = ChainFactory.Root();
        using var ca = ChainFactory.Issue(root, "CA", Ca);
        using var leaf = ChainFactory.Issue(ca, "leaf", Leaf);
        var result = Validate(root, leaf, ca, RevocationMode.HardFail, Crl(ca, []), Crl(root, [ca]));
        Assert.Equal(ValidationError.Revoked, result.Error);
        Assert.Equal(1, result.FailingDepth);
    }

    [Fact]
    public void HardFailNeedsACurrentCrlForEveryCertificateSoftFailDoesNot()
    {
        using var root = ChainFactory.Root();
        using var ca = ChainFactory.Issue(root, "CA", Ca);
        using var leaf = ChainFactory.Issue(ca, "leaf", Leaf);
        Assert.True(Validate(root, leaf, ca, RevocationMode.SoftFail).IsValid);
        var missing = Validate(root, leaf, ca, RevocationMode.HardFail, Crl(ca, []));
        Assert.Equal(ValidationError.RevocationUnknown, missing.Error);
        Assert.Equal(1, missing.FailingDepth);   // the leaf is covered, the intermediate is not
        Assert.True(Validate(root, leaf, ca, RevocationMode.HardFail, Crl(ca, []), Crl(root, [])).IsValid);
    }

    [Fact]
    public void ATlsClientRefusesARevokedServerWithCertificateRevoked()
    {
        using var root = ChainFactory.Root();
        using var leafIssued = ChainFactory.Issue(root, "leaf", Leaf);
        var server = new Tessera.TlsServerOptions();
        server.Certificates.Add(new Tessera.TlsCertificate([leafIssued.X509.RawData], new Tessera.Pki.EcdsaPrivateKey(CopyKey(leafIssued))));
        var verifier = new Tessera.Pki.X509CertificateVerifier(TrustStore.FromDer([root.X509.RawData]))
        {
            Crls = [Crl(root, [leafIssued])],
            Revocation = RevocationMode.SoftFail,
        };
        using var loop = new Engine.Loopback(new Tessera.TlsClientOptions { ServerName = "www.example.com", CertificateVerifier = verifier }, server);
        var error = Assert.Throws<Tessera.TlsException>(() => loop.Pump());
        Assert.Equal(AlertDescription.CertificateRevoked, error.Alert);
    }

    private static ECDsa CopyKey(Issued issued)
    {
        var copy = ECDsa.Create();
        copy.ImportParameters(((ECDsa)issued.Key!).ExportParameters(true));
        return copy;
    }

    [Theory]
    [InlineData("stale")]
    [InlineData("from the future")]
    [InlineData("forged")]
    public void AnUnusableCrlNeitherRevokesNorCovers(string flaw)
    {
        using var root = ChainFactory.Root();
        using var ca = ChainFactory.Issue(root, "CA", Ca);
        using var impostor = ChainFactory.Issue(root, "CA", Ca);   // same name, another key
        using var leaf = ChainFactory.Issue(ca, "leaf", Leaf);
        var crl = flaw switch
        {
            "stale" => Crl(ca, [leaf], nextUpdate: TimeSpan.FromHours(-1), thisUpdate: TimeSpan.FromDays(-8)),
            "from the future" => Crl(ca, [leaf], thisUpdate: TimeSpan.FromHours(1)),
            _ => Crl(impostor, [leaf]),
        };
        Assert.True(Validate(root, leaf, ca, RevocationMode.SoftFail, crl).IsValid);
        Assert.Equal(ValidationError.RevocationUnknown, Validate(root, leaf, ca, RevocationMode.HardFail, crl, Crl(root, [])).Error);
    }
}
