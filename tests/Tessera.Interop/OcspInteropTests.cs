using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Tessera.Pki;
using Tessera.Pki.X509;

namespace Tessera.Interop;

/// <summary>OCSP against openssl ocsp, offline: openssl checks the file CA's responses, and Tessera checks openssl's.</summary>
public sealed class OcspInteropTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("tessera-ocsp-interop-");
    private readonly FileCertificateAuthority _ca;

    public OcspInteropTests() =>
        _ca = FileCertificateAuthority.Init(P("ca"), CertificateKeyType.EcdsaP256, "OCSP Interop CA", TimeSpan.FromDays(30));

    public void Dispose() => _directory.Delete(recursive: true);

    private string P(string name) => Path.Combine(_directory.FullName, name);

    private (string Path, byte[] Der) Leaf(string name)
    {
        var issued = _ca.Issue(IssuedCertificateKind.Server, name, [name], CertificateKeyType.EcdsaP256, TimeSpan.FromDays(10));
        File.WriteAllText(P(name + ".pem"), issued.CertificateChainPem);
        return (P(name + ".pem"), PemFiles.LoadCertificates(P(name + ".pem"))[0]);
    }

    private PeerProcess OpenSsl(params string[] args)
    {
        var process = PeerProcess.StartOpenSsl(["ocsp", .. args]);
        process.WaitForExit(Bound);
        return process;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void OpenSslAcceptsTheFileCasResponses(bool revoke)
    {
        var (leaf, der) = Leaf("good.example");
        if (revoke)
        {
            _ca.Revoke(der, X509RevocationReason.KeyCompromise);
        }

        using (var request = OpenSsl("-issuer", P("ca/ca.pem"), "-cert", leaf, "-reqout", P("req.der"), "-no_nonce"))
        {
            Assert.True(File.Exists(P("req.der")), request.Stderr);
        }

        File.WriteAllBytes(P("resp.der"), _ca.CreateOcspResponse(File.ReadAllBytes(P("req.der")), TimeSpan.FromDays(1)));
        using var check = OpenSsl("-respin", P("resp.der"), "-issuer", P("ca/ca.pem"), "-cert", leaf, "-CAfile", P("ca/ca.pem"));
        var output = check.Stdout + check.Stderr;
        Assert.Contains("Response verify OK", output, StringComparison.Ordinal);
        Assert.Contains(revoke ? ": revoked" : ": good", output, StringComparison.Ordinal);
        if (revoke)
        {
            Assert.Contains("Reason: keyCompromise", output, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(IssuedCertificateKind.OcspResponder, true)]
    [InlineData(IssuedCertificateKind.Server, false)]
    public void ADelegatedResponderIsAcceptedOnlyWithOcspSigning(IssuedCertificateKind responderKind, bool accepted)
    {
        var (_, der) = Leaf("delegated.example");
        var leaf = Certificate.Parse(der);
        var ca = Certificate.Parse(_ca.CertificateDer);
        var responder = _ca.Issue(responderKind, "Responder", responderKind == IssuedCertificateKind.Server ? ["responder.example"] : [], CertificateKeyType.EcdsaP256, TimeSpan.FromDays(5));
        File.WriteAllText(P("responder.pem"), responder.CertificateChainPem);
        File.WriteAllText(P("responder-key.pem"), responder.PrivateKeyPem);
        File.WriteAllBytes(P("req.der"), OcspCertificateId.For(leaf, ca).ToRequest());
        string expiry = DateTime.UtcNow.AddDays(10).ToString("yyMMddHHmmss", CultureInfo.InvariantCulture) + "Z";
        File.WriteAllText(P("index.txt"), $"V\t{expiry}\t\t{Convert.ToHexString(leaf.SerialNumber)}\tunknown\t/CN=delegated.example\n");
        using (var openssl = OpenSsl("-index", P("index.txt"), "-CA", P("ca/ca.pem"), "-rsigner", P("responder.pem"), "-rkey", P("responder-key.pem"),
            "-reqin", P("req.der"), "-respout", P("resp.der"), "-ndays", "1"))
        {
            Assert.True(File.Exists(P("resp.der")), openssl.Stdout + openssl.Stderr);
        }

        var response = OcspResponse.Parse(File.ReadAllBytes(P("resp.der")));
        Assert.NotEmpty(response.Certificates);   // openssl includes the delegate's certificate
        var single = response.StatusOf(leaf, ca, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5), out var why);
        Assert.Equal(accepted, single is not null);
        if (accepted)
        {
            Assert.Equal(OcspCertificateStatus.Good, single!.Status);
            Assert.Contains(Certificate.Parse(PemFiles.LoadCertificates(P("responder.pem"))[0]).Extensions, e => e.Oid == X509Oids.OcspNoCheck);
        }
        else
        {
            Assert.Contains("not signed by the issuer or a responder it delegated", why, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TesseraAcceptsOpenSslsResponses(bool revoked)
    {
        var (_, der) = Leaf("answer.example");
        var leaf = Certificate.Parse(der);
        var ca = Certificate.Parse(_ca.CertificateDer);
        File.WriteAllBytes(P("req.der"), OcspCertificateId.For(leaf, ca).ToRequest());
        string expiry = DateTime.UtcNow.AddDays(10).ToString("yyMMddHHmmss", CultureInfo.InvariantCulture) + "Z";
        string status = revoked ? $"R\t{expiry}\t{DateTime.UtcNow.AddHours(-1).ToString("yyMMddHHmmss", CultureInfo.InvariantCulture)}Z,keyCompromise" : $"V\t{expiry}\t";
        File.WriteAllText(P("index.txt"), $"{status}\t{Convert.ToHexString(leaf.SerialNumber)}\tunknown\t/CN=answer.example\n");
        using (var responder = OpenSsl("-index", P("index.txt"), "-CA", P("ca/ca.pem"), "-rsigner", P("ca/ca.pem"), "-rkey", P("ca/ca-key.pem"),
            "-reqin", P("req.der"), "-respout", P("resp.der"), "-ndays", "1"))
        {
            Assert.True(File.Exists(P("resp.der")), responder.Stdout + responder.Stderr);
        }

        var response = OcspResponse.Parse(File.ReadAllBytes(P("resp.der")));
        var single = response.StatusOf(leaf, ca, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5), out var why);
        Assert.True(single is not null, why);
        Assert.Equal(revoked ? OcspCertificateStatus.Revoked : OcspCertificateStatus.Good, single!.Status);
        if (revoked)
        {
            Assert.Equal(RevocationReason.KeyCompromise, single.Reason);
        }
    }
}
