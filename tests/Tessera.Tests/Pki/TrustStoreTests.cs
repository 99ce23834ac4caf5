using Tessera.Pki;
using Tessera.Pki.X509;

namespace Tessera.Tests.Pki;

/// <summary>Trust anchors from the system bundle, a PEM file, a directory, or memory.</summary>
public sealed class TrustStoreTests
{
    [Fact]
    public void TheSystemBundleParsesStrictly()
    {
        // .ci/run installs ca-certificates with openssl, so the bundle is there wherever the tests run.
        Assert.True(File.Exists(TrustStore.DebianBundle), "no Debian bundle on this machine");
        var store = TrustStore.System;
        Assert.True(store.Anchors.Count > 100, $"{store.Anchors.Count} anchors from {store.Source}");
        Assert.Equal(0, store.Skipped);
        Assert.All(store.Anchors, a => Assert.True(a.IsCa || a.Version == 1, a.Subject.ToString()));
    }

    [Fact]
    public void APemFileAndADirectoryGiveTheirCertificatesOnceEach()
    {
        var directory = Directory.CreateTempSubdirectory("tessera-trust-");
        try
        {
            using var a = ChainFactory.Root("Root A");
            using var b = ChainFactory.Root("Root B");
            File.WriteAllText(Path.Combine(directory.FullName, "a.pem"), a.X509.ExportCertificatePem());
            File.WriteAllText(Path.Combine(directory.FullName, "both.crt"), a.X509.ExportCertificatePem() + "\n" + b.X509.ExportCertificatePem() + "\n");
            File.WriteAllText(Path.Combine(directory.FullName, "notes.txt"), "not a certificate");
            File.WriteAllText(Path.Combine(directory.FullName, "broken.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");

            var fromDirectory = TrustStore.FromDirectory(directory.FullName);
            Assert.Equal(["CN=Root A", "CN=Root B"], fromDirectory.Anchors.Select(x => x.Subject.ToString()).Order());
            var fromFile = TrustStore.FromPemFile(Path.Combine(directory.FullName, "both.crt"));
            Assert.Equal(2, fromFile.Anchors.Count);
            Assert.Throws<PkiLoadException>(() => TrustStore.FromDirectory(Path.Combine(directory.FullName, "missing")));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void MalformedAnchorsAreSkippedAndCounted()
    {
        using var a = ChainFactory.Root();
        var store = TrustStore.FromDer([a.X509.RawData, [0x30, 0x00], a.X509.RawData]);
        Assert.Single(store.Anchors);
        Assert.Equal(1, store.Skipped);
    }

    [Fact]
    public void TheDefaultVerifierDoesNotTrustAPrivateCa()
    {
        var verifier = new X509CertificateVerifier();
        var chain = Engine.TestCerts.Server().Chain.Select(c => (ReadOnlyMemory<byte>)c).ToList();
        var result = verifier.Validate(new CertificateVerificationContext(chain, "localhost", true, DateTimeOffset.UtcNow));
        Assert.Equal(ValidationError.UnknownIssuer, result.Error);
        Assert.Equal(AlertDescription.UnknownCa, result.Alert);
    }
}
