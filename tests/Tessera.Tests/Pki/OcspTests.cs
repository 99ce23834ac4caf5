using System.Security.Cryptography.X509Certificates;
using Tessera.Pki;
using Tessera.Pki.X509;

namespace Tessera.Tests.Pki;

/// <summary>OCSP (RFC 6960): requests, the file CA's responses, strict parsing, verification, and use in path validation.</summary>
public sealed class OcspTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("tessera-ocsp-");
    private readonly FileCertificateAuthority _ca;
    private readonly Certificate _caCertificate;

    public OcspTests()
    {
        _ca = FileCertificateAuthority.Init(Path.Combine(_directory.FullName, "ca"), CertificateKeyType.EcdsaP256, "OCSP Test CA", TimeSpan.FromDays(30));
        _caCertificate = Certificate.Parse(_ca.CertificateDer);
    }

    public void Dispose() => _directory.Delete(recursive: true);

    private (Certificate Leaf, byte[] Der) IssueLeaf()
    {
        var issued = _ca.Issue(IssuedCertificateKind.Server, "www.example.com", ["www.example.com"], CertificateKeyType.EcdsaP256, TimeSpan.FromDays(10));
        var der = PemFiles.ParseCertificates(System.Text.Encoding.ASCII.GetBytes(issued.CertificateChainPem), "issued")[0];
        return (Certificate.Parse(der), der);
    }

    private OcspResponse Ask(Certificate leaf) =>
        OcspResponse.Parse(_ca.CreateOcspResponse(OcspCertificateId.For(leaf, _caCertificate).ToRequest(), TimeSpan.FromDays(1)));

    [Fact]
    public void AGoodCertificateIsGoodAndARevokedOneRevokedWithItsReason()
    {
        var (leaf, der) = IssueLeaf();
        var good = Ask(leaf);
        Assert.True(good.IsSuccessful);
        Assert.Equal(OcspCertificateStatus.Good, good.StatusOf(leaf, _caCertificate, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5), out var why)?.Status);
        Assert.Equal("", why);

        _ca.Revoke(der, X509RevocationReason.KeyCompromise);
        var revoked = Ask(leaf).StatusOf(leaf, _caCertificate, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5), out _);
        Assert.Equal(OcspCertificateStatus.Revoked, revoked?.Status);
        Assert.Equal(RevocationReason.KeyCompromise, revoked?.Reason);
    }

    [Fact]
    public void AnUnknownSerialIsUnknownAndAnotherIssuerIsUnauthorized()
    {
        var (leaf, _) = IssueLeaf();
        var stranger = leaf.SerialNumber.ToArray();
        stranger[^1] ^= 1;
        var id = OcspCertificateId.For(leaf, _caCertificate) with { SerialNumber = stranger };
        var unknown = OcspResponse.Parse(_ca.CreateOcspResponse(id.ToRequest(), TimeSpan.FromDays(1)));
        Assert.Equal(OcspCertificateStatus.Unknown, Assert.Single(unknown.Responses).Status);

        using var otherRoot = ChainFactory.Root();
        var foreign = OcspCertificateId.For(leaf, otherRoot.Parsed);
        var unauthorized = OcspResponse.Parse(_ca.CreateOcspResponse(foreign.ToRequest(), TimeSpan.FromDays(1)));
        Assert.False(unauthorized.IsSuccessful);
        Assert.Equal(6, unauthorized.ResponseStatus);
        Assert.Equal(1, OcspResponse.Parse(_ca.CreateOcspResponse([0x30, 0x00], TimeSpan.FromDays(1))).ResponseStatus);
    }

    [Fact]
    public void ATamperedStaleOrMisdirectedResponseSaysNothing()
    {
        var (leaf, _) = IssueLeaf();
        var (other, _) = IssueLeaf();
        var response = Ask(leaf);
        var now = DateTimeOffset.UtcNow;
        Assert.Null(response.StatusOf(other, _caCertificate, now, TimeSpan.FromMinutes(5), out var why));
        Assert.Contains("another certificate", why, StringComparison.Ordinal);
        Assert.Null(response.StatusOf(leaf, _caCertificate, now.AddDays(3), TimeSpan.FromMinutes(5), out why));
        Assert.Contains("not current", why, StringComparison.Ordinal);

        using var impostor = ChainFactory.Root("OCSP Test CA");
        Assert.Null(response.StatusOf(leaf, impostor.Parsed, now, TimeSpan.FromMinutes(5), out why));

        var bytes = response.Der.ToArray();
        bytes[^5] ^= 0x01;   // inside the signature
        var tampered = OcspResponse.Parse(bytes);
        Assert.Null(tampered.StatusOf(leaf, _caCertificate, now, TimeSpan.FromMinutes(5), out why));
        Assert.Contains("not signed", why, StringComparison.Ordinal);
    }

    [Fact]
    public void MalformedResponsesAreFormatErrors()
    {
        var (leaf, _) = IssueLeaf();
        var der = Ask(leaf).Der.ToArray();
        var random = new Random(3);
        for (int i = 0; i < 500; i++)
        {
            var copy = (byte[])der.Clone();
            copy[random.Next(copy.Length)] ^= (byte)(1 << random.Next(8));
            try
            {
                _ = OcspResponse.Parse(copy);
            }
            catch (CertificateFormatException)
            {
            }
        }

        Assert.Throws<CertificateFormatException>(() => OcspResponse.Parse(der[..^4]));
        Assert.Throws<CertificateFormatException>(() => OcspResponse.Parse(new byte[] { 0x30, 0x03, 0x0A, 0x01, 0x00 }));   // successful, no body
    }

    [Fact]
    public void PathValidationUsesOcspAnswers()
    {
        var (leaf, der) = IssueLeaf();
        var validator = new CertificateValidator([_caCertificate]);
        ValidationResult Validate(OcspResponse response) => validator.Validate(leaf, [], new ValidationContext
        {
            ExpectedName = "www.example.com",
            OcspResponses = [response],
            Revocation = RevocationMode.HardFail,
        });

        Assert.True(Validate(Ask(leaf)).IsValid);
        _ca.Revoke(der, X509RevocationReason.Superseded);
        var result = Validate(Ask(leaf));
        Assert.Equal(ValidationError.Revoked, result.Error);
        Assert.Contains("OCSP", result.Reason, StringComparison.Ordinal);
    }
}
