using Tessera.Bench.Workloads;
using Tessera.Pki;

namespace Tessera.Benchmarks;

/// <summary>A client and a server engine with a finished handshake in memory (ECDSA P-256, X25519), and the ClientHello that began it.</summary>
internal static class InMemoryPair
{
    public static (TlsConnection Client, TlsConnection Server, byte[] ClientHello) Connect(Action<TlsClientOptions>? configure = null)
    {
        using var ca = TestCertificateAuthority.Create(CertificateKeyType.EcdsaP256);
        var server = new TlsServerOptions();
        server.Certificates.Add(ca.IssueServerCertificate(["localhost"], CertificateKeyType.EcdsaP256));
        var options = new TlsClientOptions { ServerName = "localhost", CertificateVerifier = new X509CertificateVerifier([ca.RootCertificateDer]) };
        configure?.Invoke(options);
        var client = TlsConnection.CreateClient(options);
        var serverConnection = TlsConnection.CreateServer(server);
        client.Start();
        var clientHello = client.PeekOutput()[5..].ToArray();   // one plaintext record: header, then the message
        var buffer = new byte[1 << 16];
        for (int round = 0; round < 20 && (EnginePump.Move(client, serverConnection, buffer) | EnginePump.Move(serverConnection, client, buffer)); round++)
        {
        }

        return client.IsHandshakeComplete && serverConnection.IsHandshakeComplete
            ? (client, serverConnection, clientHello)
            : throw new InvalidOperationException("handshake did not complete");
    }
}
