using System.Security.Cryptography.X509Certificates;
using Tessera.Pki;
using Tessera.Pki.X509;
using Tessera.Tests.Engine;

namespace Tessera.Tests.Pki;

/// <summary>OCSP stapling end to end in memory, TLS 1.3 and 1.2: stapled, checked, revoked, wrong, missing under Must-Staple.</summary>
public sealed class StaplingTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("tessera-staple-");
    private readonly FileCertificateAuthority _ca;

    public StaplingTests() => _ca = FileCertificateAuthority.Init(Path.Combine(_directory.FullName, "ca"), CertificateKeyType.EcdsaP256, "Staple CA", TimeSpan.FromDays(30));

    public void Dispose() => _directory.Delete(recursive: true);

    private TlsCertificate Server(bool mustStaple = false)
    {
        var issued = _ca.Issue(IssuedCertificateKind.Server, "staple.example", ["staple.example"], CertificateKeyType.EcdsaP256, TimeSpan.FromDays(10), mustStaple);
        var chain = PemFiles.ParseCertificates(System.Text.Encoding.ASCII.GetBytes(issued.CertificateChainPem), "issued");
        return new TlsCertificate(chain, PemFiles.ParsePrivateKey(System.Text.Encoding.ASCII.GetBytes(issued.PrivateKeyPem), "issued key"));
    }

    private byte[] Staple(TlsCertificate certificate) =>
        _ca.CreateOcspResponse(OcspCertificateId.For(Certificate.Parse(certificate.Chain[0]), Certificate.Parse(_ca.CertificateDer)).ToRequest(), TimeSpan.FromDays(1));

    private Loopback Connect(TlsCertificate certificate, TlsProtocolVersion version, bool request = true)
    {
        var server = new TlsServerOptions();
        server.Certificates.Add(certificate);
        return new Loopback(new TlsClientOptions
        {
            ServerName = "staple.example",
            MaxProtocolVersion = version,
            RequestOcspStapling = request,
            CertificateVerifier = new X509CertificateVerifier([_ca.CertificateDer]),
        }, server);
    }

    [Theory]
    [InlineData(TlsProtocolVersion.Tls13)]
    [InlineData(TlsProtocolVersion.Tls12)]
    public void AGoodStapleArrivesAndIsChecked(TlsProtocolVersion version)
    {
        var certificate = Server(mustStaple: true);
        certificate.OcspResponse = Staple(certificate);
        using var loop = Connect(certificate, version);
        loop.Handshake();
        Assert.Equal(version, loop.Client.NegotiatedProtocol);
        Assert.Equal(certificate.OcspResponse, loop.Client.PeerOcspResponse);
    }

    [Theory]
    [InlineData(TlsProtocolVersion.Tls13)]
    [InlineData(TlsProtocolVersion.Tls12)]
    public void ARevokedStapleIsCertificateRevoked(TlsProtocolVersion version)
    {
        var certificate = Server();
        _ca.Revoke(certificate.Chain[0], X509RevocationReason.KeyCompromise);
        certificate.OcspResponse = Staple(certificate);
        using var loop = Connect(certificate, version);
        Assert.Equal(AlertDescription.CertificateRevoked, Assert.Throws<TlsException>(() => loop.Pump()).Alert);
    }

    [Theory]
    [InlineData(TlsProtocolVersion.Tls13, "another certificate's")]
    [InlineData(TlsProtocolVersion.Tls12, "another certificate's")]
    [InlineData(TlsProtocolVersion.Tls13, "garbage")]
    [InlineData(TlsProtocolVersion.Tls12, "garbage")]
    public void AStapleThatDoesNotVouchIsBadCertificateStatusResponse(TlsProtocolVersion version, string kind)
    {
        var certificate = Server();
        certificate.OcspResponse = kind == "garbage" ? [0x30, 0x03, 0x0A, 0x01, 0x00] : Staple(Server());
        using var loop = Connect(certificate, version);
        Assert.Equal(AlertDescription.BadCertificateStatusResponse, Assert.Throws<TlsException>(() => loop.Pump()).Alert);
    }

    [Theory]
    [InlineData(TlsProtocolVersion.Tls13)]
    [InlineData(TlsProtocolVersion.Tls12)]
    public void MustStapleWithoutAStapleIsRefused(TlsProtocolVersion version)
    {
        using var loop = Connect(Server(mustStaple: true), version);
        var error = Assert.Throws<TlsException>(() => loop.Pump());
        Assert.Equal(AlertDescription.BadCertificateStatusResponse, error.Alert);
        Assert.Contains("Must-Staple", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AClientThatDoesNotAskGetsNoStaple()
    {
        var certificate = Server();
        certificate.OcspResponse = Staple(certificate);
        using var loop = Connect(certificate, TlsProtocolVersion.Tls13, request: false);
        loop.Handshake();
        Assert.Null(loop.Client.PeerOcspResponse);
    }
}
