using System.Collections.Concurrent;
using Tessera.Pki;

namespace Tessera.Tests.Engine;

/// <summary>One throwaway CA for the whole test run and one server certificate per key type, made once.</summary>
internal static class TestCerts
{
    private static readonly ConcurrentDictionary<CertificateKeyType, TlsCertificate> Servers = new();
    private static readonly Lazy<TestCertificateAuthority> LazyCa = new(() => TestCertificateAuthority.Create(CertificateKeyType.EcdsaP256));

    public static TestCertificateAuthority Ca => LazyCa.Value;

    public static TlsCertificate Server(CertificateKeyType keyType = CertificateKeyType.EcdsaP256) =>
        Servers.GetOrAdd(keyType, k => Ca.IssueServerCertificate(["localhost", "example.test"], k));

    public static TlsClientOptions ClientOptions(Action<TlsClientOptions>? configure = null)
    {
        var options = new TlsClientOptions
        {
            ServerName = "localhost",
            CertificateVerifier = new X509CertificateVerifier([Ca.RootCertificateDer]),
        };
        configure?.Invoke(options);
        return options;
    }

    public static TlsServerOptions ServerOptions(CertificateKeyType keyType = CertificateKeyType.EcdsaP256, Action<TlsServerOptions>? configure = null)
    {
        var options = new TlsServerOptions();
        options.Certificates.Add(Server(keyType));
        configure?.Invoke(options);
        return options;
    }
}
