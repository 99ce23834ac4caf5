using System.Security.Cryptography.X509Certificates;
using System.Text;
using Tessera.Pki;
using Tessera.Pki.X509;
using Tessera.Tests.Engine;

namespace Tessera.Tests.Pki;

/// <summary>
/// The server side of stapling: <see cref="OcspStapler"/> staples only current answers about the certificate,
/// fetches them from the responder and refreshes them; an expired staple is not sent.
/// </summary>
public sealed class OcspStaplerTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("tessera-stapler-");
    private readonly FileCertificateAuthority _ca;

    public OcspStaplerTests() =>
        _ca = FileCertificateAuthority.Init(Path.Combine(_directory.FullName, "ca"), CertificateKeyType.EcdsaP256, "Stapler CA", TimeSpan.FromDays(30));

    public void Dispose() => _directory.Delete(recursive: true);

    private TlsCertificate Server(string? ocspUrl = null)
    {
        var issued = _ca.Issue(IssuedCertificateKind.Server, "staple.example", ["staple.example"], CertificateKeyType.EcdsaP256, TimeSpan.FromDays(10), ocspUrl: ocspUrl);
        var chain = PemFiles.ParseCertificates(Encoding.ASCII.GetBytes(issued.CertificateChainPem), "issued");
        return new TlsCertificate(chain, PemFiles.ParsePrivateKey(Encoding.ASCII.GetBytes(issued.PrivateKeyPem), "issued key"));
    }

    private byte[] Answer(TlsCertificate certificate, TimeSpan validity) =>
        _ca.CreateOcspResponse(OcspCertificateId.For(Certificate.Parse(certificate.Chain[0]), Certificate.Parse(_ca.CertificateDer)).ToRequest(), validity);

    private static byte[]? StapleSeenByClient(TlsCertificate certificate, TimeProvider serverClock)
    {
        var options = new TlsServerOptions { TimeProvider = serverClock };
        options.Certificates.Add(certificate);
        using var loop = new Loopback(new TlsClientOptions { ServerName = "staple.example", SkipCertificateVerification = true }, options);
        loop.Handshake();
        return loop.Client.PeerOcspResponse is { Length: > 0 } staple ? staple : null;
    }

    [Fact]
    public void OnlyACurrentAnswerAboutThisCertificateIsStapled()
    {
        var certificate = Server();
        using var stapler = new OcspStapler(certificate);
        Assert.False(stapler.TryStaple(Answer(Server(), TimeSpan.FromDays(1)), out var why));   // about another certificate
        Assert.Contains("certificate", why, StringComparison.OrdinalIgnoreCase);
        Assert.False(stapler.TryStaple([0x30, 0x03, 0x0A, 0x01, 0x00], out _));
        Assert.False(stapler.TryStaple([0x30, 0x03, 0x0A, 0x01, 0x01], out _));            // malformedRequest, no answer
        Assert.Null(certificate.OcspResponse);
        var good = Answer(certificate, TimeSpan.FromDays(1));
        Assert.True(stapler.TryStaple(good, out why), why);
        Assert.Equal(good, certificate.OcspResponse);
        Assert.NotNull(stapler.NextUpdate);
    }

    [Fact]
    public void AnExpiredStapleIsNotSentEvenWhenSetDirectly()
    {
        var certificate = Server();
        certificate.OcspResponse = Answer(certificate, TimeSpan.FromHours(2));
        Assert.NotNull(StapleSeenByClient(certificate, TimeProvider.System));
        Assert.Null(StapleSeenByClient(certificate, new ShiftedClock(TimeSpan.FromHours(3))));
        using var stapler = new OcspStapler(certificate, timeProvider: new ShiftedClock(TimeSpan.FromHours(3)));
        Assert.False(stapler.TryStaple(certificate.OcspResponse!, out var why));
        Assert.Contains("not current", why, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheStaplerFetchesFromTheResponderAndRefreshesHalfwayToNextUpdate()
    {
        int served = 0;
        using var responder = new TinyHttpServer(exchange =>
        {
            Interlocked.Increment(ref served);
            return _ca.CreateOcspResponse(exchange.Body, TimeSpan.FromHours(4));
        });
        var certificate = Server(responder.Url("/ocsp"));
        var lines = new List<string>();
        using var stapler = new OcspStapler(certificate) { Log = lines.Add };
        Assert.True(await stapler.StartAsync());
        Assert.Equal(1, served);
        Assert.NotNull(StapleSeenByClient(certificate, TimeProvider.System));
        Assert.Contains(lines, l => l.Contains("stapling", StringComparison.Ordinal));
        var delay = stapler.NextRefreshDelay();
        Assert.InRange(delay, TimeSpan.FromHours(1.9), TimeSpan.FromHours(2.1));
        await Assert.ThrowsAsync<InvalidOperationException>(() => stapler.StartAsync());
    }

    [Fact]
    public async Task AFailedRefreshKeepsAStapleUntilItExpiresThenDropsIt()
    {
        var clock = new ShiftedClock(TimeSpan.Zero);
        using var down = new TinyHttpServer(_ => null);   // 404
        var certificate = Server(down.Url("/ocsp"));
        var lines = new List<string>();
        using var stapler = new OcspStapler(certificate, TimeSpan.FromSeconds(5), clock) { Log = lines.Add };
        Assert.True(stapler.TryStaple(Answer(certificate, TimeSpan.FromHours(1)), out _));
        Assert.False(await stapler.RefreshAsync());
        Assert.NotNull(certificate.OcspResponse);                      // still current: kept
        Assert.Equal(TimeSpan.FromMinutes(1), new OcspStapler(Server()).NextRefreshDelay());
        clock.Shift = TimeSpan.FromHours(2);
        Assert.False(await stapler.RefreshAsync());
        Assert.Null(certificate.OcspResponse);                         // expired: dropped
        Assert.Contains(lines, l => l.Contains("expired", StringComparison.Ordinal));
    }

    [Fact]
    public void ARevokedAnswerIsStapledSoTheClientLearnsIt()
    {
        var certificate = Server();
        _ca.Revoke(certificate.Chain[0], X509RevocationReason.KeyCompromise);
        using var stapler = new OcspStapler(certificate);
        Assert.True(stapler.TryStaple(Answer(certificate, TimeSpan.FromDays(1)), out var why));
        Assert.StartsWith("revoked", why, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutAnIssuerOrAResponderTheStaplerSaysSo()
    {
        var certificate = Server();
        Assert.Throws<ArgumentException>(() => new OcspStapler(new TlsCertificate([certificate.Chain[0]], certificate.PrivateKey)));
        using var stapler = new OcspStapler(certificate);
        Assert.Null(stapler.Responder);
        await Assert.ThrowsAsync<InvalidOperationException>(() => stapler.RefreshAsync());
    }

    private sealed class ShiftedClock(TimeSpan shift) : TimeProvider
    {
        public TimeSpan Shift { get; set; } = shift;

        public override DateTimeOffset GetUtcNow() => TimeProvider.System.GetUtcNow() + Shift;
    }
}
