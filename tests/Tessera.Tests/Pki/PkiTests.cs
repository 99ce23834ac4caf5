using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Tessera.Crypto;
using Tessera.Pki;
using Tessera.Tests.Engine;

namespace Tessera.Tests.Pki;

public sealed class PkiTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tessera-pki-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string content)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    [Theory]
    [InlineData("pkcs8-rsa")]
    [InlineData("pkcs1-rsa")]
    [InlineData("pkcs8-ec")]
    [InlineData("sec1-ec")]
    [InlineData("pkcs8-ed25519")]
    [InlineData("pkcs8-rsapss")]
    public async Task PrivateKeysLoadFromEveryPemEncodingAndSign(string kind)
    {
        string pem;
        byte[] spki;
        switch (kind)
        {
            case "pkcs8-rsa" or "pkcs1-rsa":
                using (var rsa = RSA.Create(2048))
                {
                    pem = kind == "pkcs8-rsa" ? rsa.ExportPkcs8PrivateKeyPem() : rsa.ExportRSAPrivateKeyPem();
                    spki = rsa.ExportSubjectPublicKeyInfo();
                }

                break;
            case "pkcs8-ec" or "sec1-ec":
                using (var ec = ECDsa.Create(ECCurve.NamedCurves.nistP384))
                {
                    pem = kind == "pkcs8-ec" ? ec.ExportPkcs8PrivateKeyPem() : ec.ExportECPrivateKeyPem();
                    spki = ec.ExportSubjectPublicKeyInfo();
                }

                break;
            default:
                var cert = TestCerts.Ca.IssueServerCertificate(["x.test"], kind == "pkcs8-rsapss" ? CertificateKeyType.RsaPss2048 : CertificateKeyType.Ed25519);
                pem = TestCertificateAuthority.ExportPrivateKeyPem(cert);
                spki = cert.PrivateKey.SubjectPublicKeyInfo.ToArray();
                break;
        }

        var key = PemFiles.LoadPrivateKey(Write(kind + ".pem", pem));
        Assert.Equal(spki, key.SubjectPublicKeyInfo.ToArray());
        var scheme = SignatureSchemes.Tls13HandshakeDefaults.First(key.CanSign);
        var data = "to be signed"u8.ToArray();
        var signature = await key.SignAsync(scheme, data);
        Assert.True(DefaultCryptoProvider.Instance.VerifySignature(scheme, spki, data, signature));
    }

    [Fact]
    public void OpenSslReadsWhatTheTestCaWrites()
    {
        foreach (var keyType in new[] { CertificateKeyType.EcdsaP256, CertificateKeyType.Rsa2048, CertificateKeyType.Ed25519, CertificateKeyType.RsaPss2048 })
        {
            var cert = TestCerts.Server(keyType);
            var certFile = Write($"{keyType}.pem", TestCertificateAuthority.ExportCertificatePem(cert));
            var keyFile = Write($"{keyType}.key", TestCertificateAuthority.ExportPrivateKeyPem(cert));
            Assert.Equal(0, RunOpenSsl("x509", "-noout", "-in", certFile));
            Assert.Equal(0, RunOpenSsl("pkey", "-noout", "-in", keyFile));
            Assert.Equal(0, RunOpenSsl("verify", "-CAfile", Write("ca.pem", TestCerts.Ca.RootCertificatePem), certFile));

            var loaded = PemFiles.LoadTlsCertificate(certFile, keyFile);
            Assert.Equal(cert.Chain.Count, loaded.Chain.Count);
            Assert.Contains("localhost", loaded.DnsNames);
        }
    }

    private static int RunOpenSsl(params string[] args)
    {
        var info = new ProcessStartInfo("openssl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var p = Process.Start(info)!;
        p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(20_000));
        return p.ExitCode;
    }

    [Fact]
    public void LoadErrorsNameTheFileAndTheCause()
    {
        var cert = TestCerts.Server(CertificateKeyType.EcdsaP256);
        var certFile = Write("c.pem", TestCertificateAuthority.ExportCertificatePem(cert));
        var otherKey = Write("other.key", TestCertificateAuthority.ExportPrivateKeyPem(TestCerts.Server(CertificateKeyType.Rsa2048)));
        Assert.Contains("does not match", Assert.Throws<PkiLoadException>(() => PemFiles.LoadTlsCertificate(certFile, otherKey)).Message, StringComparison.Ordinal);

        var missing = Path.Combine(_dir, "missing.pem");
        Assert.StartsWith(missing, Assert.Throws<PkiLoadException>(() => PemFiles.LoadCertificates(missing)).Message, StringComparison.Ordinal);

        var encrypted = Write("enc.pem", "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n");
        Assert.Contains("encrypted", Assert.Throws<PkiLoadException>(() => PemFiles.LoadPrivateKey(encrypted)).Message, StringComparison.Ordinal);

        var garbage = Write("garbage.pem", "hello");
        Assert.Contains("no private key", Assert.Throws<PkiLoadException>(() => PemFiles.LoadPrivateKey(garbage)).Message, StringComparison.Ordinal);
        Assert.Contains("no certificate", Assert.Throws<PkiLoadException>(() => PemFiles.LoadCertificates(garbage)).Message, StringComparison.Ordinal);

        var badBase64 = Write("bad.pem", "-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n");
        Assert.Contains("cannot be parsed", Assert.Throws<PkiLoadException>(() => PemFiles.LoadCertificates(badBase64)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("example.com", "example.com", true)]
    [InlineData("example.com", "EXAMPLE.com.", true)]
    [InlineData("*.example.com", "a.example.com", true)]
    [InlineData("*.example.com", "example.com", false)]
    [InlineData("*.example.com", "a.b.example.com", false)]
    [InlineData("f*.example.com", "foo.example.com", false)]
    [InlineData("*.com", "example.com", false)]
    [InlineData("a.*.example.com", "a.b.example.com", false)]
    [InlineData("example.com", "example.org", false)]
    [InlineData("", "example.com", false)]
    public void DnsNameMatchingFollowsRfc6125(string pattern, string host, bool expected) =>
        Assert.Equal(expected, HostNameMatcher.MatchesDnsName(pattern, host));

    [Fact]
    public void IpLiteralsMatchOnlyIpAddressEntriesAndCnIsNeverUsed()
    {
        var cert = TestCerts.Ca.IssueServerCertificate(["127.0.0.1", "host.test"], CertificateKeyType.EcdsaP256);
        using var leaf = X509CertificateLoader.LoadCertificate(cert.Chain[0]);
        Assert.True(HostNameMatcher.Matches(leaf, "127.0.0.1"));
        Assert.False(HostNameMatcher.Matches(leaf, "127.0.0.2"));
        Assert.True(HostNameMatcher.Matches(leaf, "host.test"));

        // The client certificate has a CN but no subjectAltName: no match, even for its CN.
        var client = TestCerts.Ca.IssueClientCertificate("cn-only.test", CertificateKeyType.EcdsaP256);
        using var clientLeaf = X509CertificateLoader.LoadCertificate(client.Chain[0]);
        Assert.False(HostNameMatcher.Matches(clientLeaf, "cn-only.test"));
    }

    private static CertificateVerificationResult Verify(TlsCertificate cert, string? host, bool server = true, DateTimeOffset? now = null, byte[]? root = null) =>
        new X509CertificateVerifier([root ?? TestCerts.Ca.RootCertificateDer])
            .VerifyAsync(new CertificateVerificationContext([.. cert.Chain.Select(c => (ReadOnlyMemory<byte>)c)], host, server, now ?? DateTimeOffset.UtcNow))
            .AsTask().Result;

    [Fact]
    public void VerifierAcceptsTheRightChainAndNamesEachFailure()
    {
        var good = TestCerts.Server(CertificateKeyType.EcdsaP256);
        Assert.True(Verify(good, "localhost").IsValid);
        Assert.True(Verify(TestCerts.Server(CertificateKeyType.Ed25519), "localhost").IsValid);

        Assert.Equal(AlertDescription.BadCertificate, Verify(good, "wrong.test").Alert);
        Assert.Equal(AlertDescription.CertificateExpired, Verify(good, "localhost", now: DateTimeOffset.UtcNow.AddYears(2)).Alert);
        var expired = TestCerts.Ca.IssueServerCertificate(["localhost"], CertificateKeyType.EcdsaP256, DateTimeOffset.UtcNow.AddDays(-10), DateTimeOffset.UtcNow.AddDays(-1));
        Assert.Equal(AlertDescription.CertificateExpired, Verify(expired, "localhost").Alert);

        using var stranger = TestCertificateAuthority.Create(CertificateKeyType.EcdsaP256, "Stranger");
        Assert.Equal(AlertDescription.UnknownCa, Verify(good, "localhost", root: stranger.RootCertificateDer).Alert);

        var clientOnly = TestCerts.Ca.IssueClientCertificate("client", CertificateKeyType.EcdsaP256);
        Assert.Equal(AlertDescription.UnsupportedCertificate, Verify(clientOnly, null, server: true).Alert);   // OpenSSL's answer to a wrong purpose
        Assert.True(Verify(clientOnly, null, server: false).IsValid);

        var garbage = new TlsCertificate([[0x30, 0x03, 0x01, 0x01, 0x00]], good.PrivateKey);
        Assert.Equal(AlertDescription.BadCertificate, Verify(garbage, "localhost").Alert);
    }
}
