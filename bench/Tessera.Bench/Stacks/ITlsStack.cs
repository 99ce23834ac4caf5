using Tessera.Pki;

namespace Tessera.Bench.Stacks;

/// <summary>How a resumed handshake finds its session.</summary>
public enum Resumption
{
    /// <summary>A full handshake every time (session caches and tickets off).</summary>
    None,

    /// <summary>TLS 1.3 PSK from a NewSessionTicket (psk_dhe_ke), or a TLS 1.2 RFC 5077 ticket.</summary>
    Ticket,

    /// <summary>TLS 1.2 session ID (the server keeps the session).</summary>
    SessionId,
}

/// <summary>One configuration measured on every stack.</summary>
/// <param name="Id">Short name used by <c>--only</c> and in the JSON, e.g. <c>tls13-x25519-ecdsa</c>.</param>
/// <param name="Version">TLS 1.2 or TLS 1.3; the only version either side offers.</param>
/// <param name="Group">The only key exchange group either side offers.</param>
/// <param name="CertificateKey">The server certificate's key (the test CA uses the same kind of key).</param>
/// <param name="Suite">The only cipher suite either side offers.</param>
/// <param name="Resumption">Full handshakes, or resumed ones.</param>
public sealed record Scenario(string Id, TlsProtocolVersion Version, NamedGroup Group, CertificateKeyType CertificateKey, CipherSuite Suite, Resumption Resumption);

/// <summary>
/// Certificates shared by every stack: a root (the client's only trust anchor) and a leaf for "localhost" issued by it,
/// the leaf's private key as PKCS#8. The server sends the leaf alone.
/// </summary>
public sealed class BenchCredentials
{
    /// <summary>The name the client asks for (SNI) and checks in the certificate.</summary>
    public const string ServerName = "localhost";

    private BenchCredentials(CertificateKeyType keyType, byte[] rootDer, byte[] leafDer, byte[] leafPkcs8, TlsCertificate tessera)
    {
        KeyType = keyType;
        RootDer = rootDer;
        LeafDer = leafDer;
        LeafPkcs8 = leafPkcs8;
        TesseraCertificate = tessera;
    }

    /// <summary>The key type of root and leaf.</summary>
    public CertificateKeyType KeyType { get; }

    /// <summary>The trust anchor (DER).</summary>
    public byte[] RootDer { get; }

    /// <summary>The server's certificate (DER).</summary>
    public byte[] LeafDer { get; }

    /// <summary>The server's private key (PKCS#8 DER).</summary>
    public byte[] LeafPkcs8 { get; }

    /// <summary>The same leaf and key for Tessera's server.</summary>
    public TlsCertificate TesseraCertificate { get; }

    /// <summary>Makes a root and a leaf with keys of <paramref name="keyType"/>.</summary>
    public static BenchCredentials Create(CertificateKeyType keyType)
    {
        using var ca = TestCertificateAuthority.Create(keyType, "Tessera Bench CA");
        var issued = ca.IssueServerCertificate([ServerName], keyType);
        var pem = TestCertificateAuthority.ExportPrivateKeyPem(issued);
        var fields = System.Security.Cryptography.PemEncoding.Find(pem);
        var pkcs8 = Convert.FromBase64String(pem[fields.Base64Data]);
        var leaf = issued.Chain[0];
        return new BenchCredentials(keyType, ca.RootCertificateDer, leaf, pkcs8, new TlsCertificate([leaf], issued.PrivateKey));
    }
}

/// <summary>Two ends of one established TLS connection.</summary>
/// <param name="Client">The client's plaintext stream.</param>
/// <param name="Server">The server's plaintext stream.</param>
/// <param name="Resumed">Whether the handshake resumed a session; null when the stack does not say.</param>
public sealed record TlsPair(Stream Client, Stream Server, bool? Resumed) : IAsyncDisposable
{
    /// <summary>Disposes both ends (and their transports).</summary>
    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync().ConfigureAwait(false);
        await Server.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>
/// A TLS implementation prepared for one <see cref="Scenario"/>: server credentials loaded, client trust set to
/// <see cref="BenchCredentials.RootDer"/> only, session caches in place when the scenario resumes. The first
/// <see cref="ConnectAsync"/> of a resuming scenario is a full handshake that primes the cache.
/// </summary>
public interface ITlsStack : IDisposable
{
    /// <summary>
    /// Runs a client and a server handshake concurrently over the two ends of one transport, the client validating the
    /// server's chain and name. Returns the authenticated streams; they own the transports.
    /// </summary>
    Task<TlsPair> ConnectAsync(Stream clientTransport, Stream serverTransport, CancellationToken cancellationToken);
}

/// <summary>One of the stacks compared.</summary>
public interface ITlsStackFactory
{
    /// <summary>Display name: "Tessera", "SslStream", "BouncyCastle".</summary>
    string Name { get; }

    /// <summary>Why this stack cannot run <paramref name="scenario"/> (e.g. "no TLS 1.3 session tickets"), or null when it can.</summary>
    string? Unsupported(Scenario scenario);

    /// <summary>Prepares the stack for <paramref name="scenario"/>.</summary>
    ITlsStack Create(Scenario scenario, BenchCredentials credentials);
}
