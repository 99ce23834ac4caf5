using Tessera.Pki;

namespace Tessera.Interop;

/// <summary>A throwaway CA and one server certificate per key type, written as PEM files for openssl.</summary>
public sealed class PemFixture : IDisposable
{
    public PemFixture()
    {
        Directory = Path.Combine(Path.GetTempPath(), "tessera-interop-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        Ca = TestCertificateAuthority.Create(CertificateKeyType.EcdsaP256, "Tessera Interop CA");
        CaFile = Path.Combine(Directory, "ca.pem");
        File.WriteAllText(CaFile, Ca.RootCertificatePem);
        foreach (var keyType in new[] { CertificateKeyType.EcdsaP256, CertificateKeyType.Rsa2048, CertificateKeyType.Ed25519, CertificateKeyType.EcdsaP384, CertificateKeyType.RsaPss2048 })
        {
            var cert = Ca.IssueServerCertificate(["localhost", "127.0.0.1"], keyType);
            Certificates[keyType] = cert;
            var name = keyType.ToString().ToLowerInvariant();
            File.WriteAllText(CertFile(keyType), TestCertificateAuthority.ExportCertificatePem(cert));
            File.WriteAllText(KeyFile(keyType), TestCertificateAuthority.ExportPrivateKeyPem(cert));
            _ = name;
        }

        ClientCertificate = Ca.IssueClientCertificate("interop client", CertificateKeyType.EcdsaP256);
        File.WriteAllText(ClientCertFile, TestCertificateAuthority.ExportCertificatePem(ClientCertificate));
        File.WriteAllText(ClientKeyFile, TestCertificateAuthority.ExportPrivateKeyPem(ClientCertificate));
    }

    public string Directory { get; }

    public TestCertificateAuthority Ca { get; }

    public string CaFile { get; }

    public Dictionary<CertificateKeyType, TlsCertificate> Certificates { get; } = [];

    public TlsCertificate ClientCertificate { get; }

    public string ClientCertFile => Path.Combine(Directory, "client.pem");

    public string ClientKeyFile => Path.Combine(Directory, "client.key");

    public string CertFile(CertificateKeyType keyType) => Path.Combine(Directory, keyType.ToString().ToLowerInvariant() + ".pem");

    public string KeyFile(CertificateKeyType keyType) => Path.Combine(Directory, keyType.ToString().ToLowerInvariant() + ".key");

    public X509CertificateVerifier Verifier() => new([Ca.RootCertificateDer]);

    public void Dispose()
    {
        Ca.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

[CollectionDefinition("pem")]
public sealed class PemCollection : ICollectionFixture<PemFixture>
{
}
