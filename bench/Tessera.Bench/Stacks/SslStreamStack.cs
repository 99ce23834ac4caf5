using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Tessera.Pki;

namespace Tessera.Bench.Stacks;

/// <summary>
/// .NET's <see cref="SslStream"/> (OpenSSL underneath on Linux), narrowed to the scenario's version and suite. It has no
/// API for the key exchange group: OpenSSL's client leads with X25519, so scenarios with another group are not run.
/// </summary>
public sealed class SslStreamStackFactory : ITlsStackFactory
{
    /// <inheritdoc />
    public string Name => "SslStream";

    /// <inheritdoc />
    public string? Unsupported(Scenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        if (scenario.Group != NamedGroup.X25519)
        {
            return "SslStream cannot choose the key exchange group (OpenSSL offers X25519 first)";
        }

        if (scenario is { Version: TlsProtocolVersion.Tls12, Resumption: Resumption.SessionId })
        {
            return "SslStream cannot choose how TLS 1.2 resumes (OpenSSL issues tickets)";
        }

        return null;
    }

    /// <inheritdoc />
    public ITlsStack Create(Scenario scenario, BenchCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(credentials);
        return new SslStreamStack(scenario, credentials);
    }

    private sealed class SslStreamStack : ITlsStack
    {
        private readonly X509Certificate2 _leaf;
        private readonly X509Certificate2 _root;
        private readonly SslServerAuthenticationOptions _server;
        private readonly SslClientAuthenticationOptions _client;

        public SslStreamStack(Scenario scenario, BenchCredentials credentials)
        {
            _leaf = LoadLeaf(credentials);
            _root = X509CertificateLoader.LoadCertificate(credentials.RootDer);
            var protocols = scenario.Version == TlsProtocolVersion.Tls13 ? SslProtocols.Tls13 : SslProtocols.Tls12;
            // .NET reuses OpenSSL contexts, and so resumes sessions, only without a CipherSuitesPolicy: resuming
            // scenarios take OpenSSL's default suites. Windows (SChannel) takes no suite policy at all.
            bool resume = scenario.Resumption != Resumption.None;
            var suites = OperatingSystem.IsWindows() || resume ? null : new CipherSuitesPolicy([(TlsCipherSuite)(ushort)scenario.Suite]);
            _server = new SslServerAuthenticationOptions
            {
                ServerCertificateContext = SslStreamCertificateContext.Create(_leaf, additionalCertificates: null, offline: true),
                EnabledSslProtocols = protocols,
                CipherSuitesPolicy = suites,
                AllowTlsResume = resume,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            };
            var chainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
                DisableCertificateDownloads = true,
            };
            chainPolicy.CustomTrustStore.Add(_root);
            _client = new SslClientAuthenticationOptions
            {
                TargetHost = BenchCredentials.ServerName,
                EnabledSslProtocols = protocols,
                CipherSuitesPolicy = suites,
                AllowTlsResume = resume,
                CertificateChainPolicy = chainPolicy,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            };
        }

        public async Task<TlsPair> ConnectAsync(Stream clientTransport, Stream serverTransport, CancellationToken cancellationToken)
        {
            var client = new SslStream(clientTransport, leaveInnerStreamOpen: false);
            var server = new SslStream(serverTransport, leaveInnerStreamOpen: false);
            try
            {
                var serverSide = server.AuthenticateAsServerAsync(_server, cancellationToken);
                var clientSide = client.AuthenticateAsClientAsync(_client, cancellationToken);
                await TesseraStackFactory.BothOrNeither(clientSide, serverSide, client, server).ConfigureAwait(false);
                return new TlsPair(client, server, null);
            }
            catch
            {
                await client.DisposeAsync().ConfigureAwait(false);
                await server.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        public void Dispose()
        {
            _leaf.Dispose();
            _root.Dispose();
        }

        private static X509Certificate2 LoadLeaf(BenchCredentials credentials)
        {
            using var certificate = X509CertificateLoader.LoadCertificate(credentials.LeafDer);
            if (credentials.KeyType == CertificateKeyType.EcdsaP256)
            {
                using var ec = ECDsa.Create();
                ec.ImportPkcs8PrivateKey(credentials.LeafPkcs8, out _);
                return certificate.CopyWithPrivateKey(ec);
            }

            using var rsa = RSA.Create();
            rsa.ImportPkcs8PrivateKey(credentials.LeafPkcs8, out _);
            return certificate.CopyWithPrivateKey(rsa);
        }
    }
}
