using Tessera.Ech;
using Tessera.Tests.Engine;

namespace Tessera.Tests.Ech;

/// <summary>
/// Encrypted Client Hello across combinations drawn at random (fixed seeds): suites of both hashes, HelloRetryRequest,
/// ALPN, padding lengths, the server's key order, client certificates, resumption with and without 0-RTT. Each must be
/// accepted, carry data both ways, and never show the secret name on the wire.
/// </summary>
public sealed class EchRandomizedTests
{
    private static readonly CipherSuite[] Suites = [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_CHACHA20_POLY1305_SHA256];

    public static TheoryData<int> Seeds() => [.. Enumerable.Range(1, 24)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void EveryCombinationIsAcceptedAndHidesTheName(int seed)
    {
        var random = new Random(seed);
        using var current = EchServerKey.Generate(EchHandshakeTests.PublicName, configId: 10, maximumNameLength: (byte)random.Next(0, 65));
        using var older = EchServerKey.Generate(EchHandshakeTests.PublicName, configId: 11, maximumNameLength: (byte)random.Next(0, 65));
        var clientKey = random.Next(2) == 0 ? current : older;
        var suite = Suites[random.Next(Suites.Length)];
        bool helloRetry = random.Next(3) == 0;
        bool alpn = random.Next(2) == 0;
        bool clientCertificate = random.Next(4) == 0;
        bool resume = !clientCertificate && random.Next(2) == 0;
        bool earlyData = resume && !helloRetry && random.Next(2) == 0;
        var server = EchHandshakeTests.Server([current, older], o =>
        {
            o.CipherSuites = [suite];
            o.Groups = helloRetry ? [NamedGroup.Secp384r1] : NamedGroups.Defaults;
            o.ApplicationProtocols = alpn ? ["h2", "http/1.1"] : [];
            o.RequireClientCertificate = clientCertificate;
            o.CertificateVerifier = new Tessera.Pki.X509CertificateVerifier([TestCerts.Ca.RootCertificateDer]);
            o.MaxEarlyDataSize = 4096;
        });
        var cache = new Tessera.Sessions.TlsClientSessionCache();
        TlsClientOptions Client() => EchHandshakeTests.Client(clientKey.ConfigList, o =>
        {
            o.CipherSuites = Suites;
            o.Groups = [NamedGroup.X25519MLKEM768, NamedGroup.X25519, NamedGroup.Secp384r1];
            o.ApplicationProtocols = alpn ? ["http/1.1"] : [];
            o.ClientCertificate = clientCertificate ? TestCerts.Ca.IssueClientCertificate("ech client", Tessera.Pki.CertificateKeyType.EcdsaP256) : null;
            o.SessionCache = cache;
        });

        if (resume)
        {
            using var first = new Loopback(Client(), server);
            first.Handshake();
            Loopback.Send(first.Server, first.Client, "ticket"u8.ToArray());
        }

        var options = Client();
        if (earlyData)
        {
            options.EarlyData = "early"u8.ToArray();
        }

        using var loop = new Loopback(options, server);
        loop.Handshake();
        string what = $"seed {seed}: {suite}, HRR {helloRetry}, ALPN {alpn}, client certificate {clientCertificate}, resume {resume}, 0-RTT {earlyData}";
        Assert.True(loop.Client.EchStatus == TlsEchStatus.Accepted && loop.Server.EchStatus == TlsEchStatus.Accepted, what);
        Assert.Equal(suite, loop.Client.NegotiatedCipherSuite);
        Assert.Equal(helloRetry, loop.Client.WasHelloRetryRequest);
        Assert.Equal(resume, loop.Client.IsResumed);
        Assert.Equal(EchHandshakeTests.SecretName, loop.Server.ServerName);
        Assert.Equal(alpn ? "http/1.1" : null, loop.Server.NegotiatedApplicationProtocol);
        Assert.Equal(clientCertificate, loop.Server.PeerCertificateChain.Count > 0);
        if (earlyData)
        {
            Assert.Equal(TlsEarlyDataStatus.Accepted, loop.Client.EarlyDataStatus);
            var early = new byte[loop.Server.AvailableApplicationData];
            loop.Server.ReadApplicationData(early);
            Assert.Equal("early"u8.ToArray(), early);   // decrypted with keys from the inner ClientHello's transcript
        }

        Assert.DoesNotContain(loop.ClientToServer, bytes => bytes.AsSpan().IndexOf("secret.test"u8) >= 0);
        Assert.Equal("up"u8.ToArray(), Loopback.Send(loop.Client, loop.Server, "up"u8.ToArray()));
        Assert.Equal("down"u8.ToArray(), Loopback.Send(loop.Server, loop.Client, "down"u8.ToArray()));
    }
}
