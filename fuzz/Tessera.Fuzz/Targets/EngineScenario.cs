using Tessera.Pki;
using Tessera.Sessions;

namespace Tessera.Fuzz.Targets;

/// <summary>
/// The configurations the engine targets run: each a pair of client and server options that complete a handshake
/// with each other, so that the honest prefix of an input is a real handshake of that kind. Built once, on first use
/// (fuzzing must not run instrumented code before the fuzzer is attached).
/// </summary>
public sealed class EngineScenario
{
    private static readonly Lazy<IReadOnlyList<EngineScenario>> LazyAll = new(Build);

    private readonly Func<TlsClientOptions> _client;
    private readonly Func<TlsServerOptions> _server;

    private EngineScenario(string name, Func<TlsClientOptions> client, Func<TlsServerOptions> server)
    {
        Name = name;
        _client = client;
        _server = server;
    }

    /// <summary>Every scenario; an input's configuration byte picks one (modulo the count).</summary>
    public static IReadOnlyList<EngineScenario> All => LazyAll.Value;

    /// <summary>What the scenario is.</summary>
    public string Name { get; }

    /// <summary>Fresh client options (some carry per-connection state, such as a session to resume).</summary>
    public TlsClientOptions Client() => _client();

    /// <summary>Fresh server options.</summary>
    public TlsServerOptions Server() => _server();

    private static List<EngineScenario> Build()
    {
        var ca = TestCertificateAuthority.Create(CertificateKeyType.EcdsaP256, "Tessera Fuzz CA");
        var ecdsa = ca.IssueServerCertificate(["fuzz.test"], CertificateKeyType.EcdsaP256);
        var rsa = ca.IssueServerCertificate(["fuzz.test"], CertificateKeyType.Rsa2048);
        var clientCertificate = ca.IssueClientCertificate("fuzz client", CertificateKeyType.EcdsaP256);
        var verifier = new X509CertificateVerifier([ca.RootCertificateDer]);
        var ticketKeys = new TicketKeyRing();
        var psk = new TlsExternalPsk("fuzz psk"u8, [.. Enumerable.Range(0, 32).Select(i => (byte)i)]);
        var echKey = Tessera.Ech.EchServerKey.Generate("public.fuzz.test", configId: 1, maximumNameLength: 16);

        TlsClientOptions Client(TlsProtocolVersion version, Action<TlsClientOptions>? configure = null)
        {
            var options = new TlsClientOptions
            {
                ServerName = "fuzz.test",
                CertificateVerifier = verifier,
                MinProtocolVersion = version,
                MaxProtocolVersion = version,
            };
            configure?.Invoke(options);
            return options;
        }

        TlsServerOptions Server(TlsProtocolVersion version, Action<TlsServerOptions>? configure = null)
        {
            // One ticket key ring for all (a server's default is a new ring each time, with its own timer).
            var options = new TlsServerOptions { MinProtocolVersion = version, MaxProtocolVersion = version, CertificateVerifier = verifier, TicketKeys = ticketKeys };
            options.Certificates.Add(ecdsa);
            configure?.Invoke(options);
            return options;
        }

        // Sessions to resume, made by one honest handshake each, offered again by every connection of their scenario.
        var ticket13 = HandshakeForSession(Client(TlsProtocolVersion.Tls13, o => o.EnableSessionTickets = true),
            Server(TlsProtocolVersion.Tls13, o => { o.TicketKeys = ticketKeys; o.MaxEarlyDataSize = 1024; }));
        var ticket12 = HandshakeForSession(Client(TlsProtocolVersion.Tls12, o => o.EnableSessionTickets = true),
            Server(TlsProtocolVersion.Tls12, o => o.TicketKeys = ticketKeys));
        var sessionCache = new TlsSessionCache();
        var id12 = HandshakeForSession(Client(TlsProtocolVersion.Tls12), Server(TlsProtocolVersion.Tls12, o => { o.SessionCache = sessionCache; o.TicketKeys = null; }));

        return
        [
            new("TLS 1.3, X25519, ECDSA", () => Client(TlsProtocolVersion.Tls13), () => Server(TlsProtocolVersion.Tls13)),
            new("TLS 1.2, ECDHE-ECDSA-AES128-GCM", () => Client(TlsProtocolVersion.Tls12), () => Server(TlsProtocolVersion.Tls12)),
            new("TLS 1.3, HelloRetryRequest to P-256",
                () => Client(TlsProtocolVersion.Tls13, o => o.Groups = [NamedGroup.X25519, NamedGroup.Secp256r1]),
                () => Server(TlsProtocolVersion.Tls13, o => o.Groups = [NamedGroup.Secp256r1])),
            new("TLS 1.3, client certificate required",
                () => Client(TlsProtocolVersion.Tls13, o => o.ClientCertificate = clientCertificate),
                () => Server(TlsProtocolVersion.Tls13, o => o.RequireClientCertificate = true)),
            new("TLS 1.3, ticket resumption with 0-RTT",
                () => Client(TlsProtocolVersion.Tls13, o => { o.ResumeSession = ticket13; o.EarlyData = "GET / HTTP/1.0\r\n\r\n"u8.ToArray(); }),
                () => Server(TlsProtocolVersion.Tls13, o => { o.TicketKeys = ticketKeys; o.MaxEarlyDataSize = 1024; })),
            new("TLS 1.2, ticket resumption",
                () => Client(TlsProtocolVersion.Tls12, o => { o.ResumeSession = ticket12; o.EnableSessionTickets = true; }),
                () => Server(TlsProtocolVersion.Tls12, o => o.TicketKeys = ticketKeys)),
            new("TLS 1.2, session ID resumption",
                () => Client(TlsProtocolVersion.Tls12, o => o.ResumeSession = id12),
                () => Server(TlsProtocolVersion.Tls12, o => { o.SessionCache = sessionCache; o.TicketKeys = null; })),
            new("TLS 1.2, legacy CBC with RSA, renegotiation allowed",
                () => Client(TlsProtocolVersion.Tls12, o => { o.Legacy = LegacyPolicy.All; o.CipherSuites = [CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA]; o.AllowRenegotiation = true; }),
                () =>
                {
                    var options = Server(TlsProtocolVersion.Tls12, o => { o.Legacy = LegacyPolicy.All; o.AllowClientRenegotiation = true; });
                    options.Certificates.Clear();
                    options.Certificates.Add(rsa);
                    return options;
                }),
            new("TLS 1.3, external PSK",
                () => Client(TlsProtocolVersion.Tls13, o => o.ExternalPsk = psk),
                () => Server(TlsProtocolVersion.Tls13, o => o.ExternalPsks = [psk])),
            new("TLS 1.2 or 1.3, ALPN, ChaCha20",
                () => Client(TlsProtocolVersion.Tls12, o =>
                {
                    o.MaxProtocolVersion = TlsProtocolVersion.Tls13;
                    o.ApplicationProtocols = ["h2", "http/1.1"];
                    o.CipherSuites = [CipherSuite.TLS_CHACHA20_POLY1305_SHA256, CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256];
                }),
                () => Server(TlsProtocolVersion.Tls12, o => { o.MaxProtocolVersion = TlsProtocolVersion.Tls13; o.ApplicationProtocols = ["http/1.1"]; })),
            new("TLS 1.3, Encrypted Client Hello through a HelloRetryRequest",
                () => Client(TlsProtocolVersion.Tls13, o => { o.EchConfigList = echKey.ConfigList; o.Groups = [NamedGroup.X25519, NamedGroup.Secp256r1]; }),
                () => Server(TlsProtocolVersion.Tls13, o => { o.EchKeys.Add(echKey); o.Groups = [NamedGroup.Secp256r1]; })),
        ];
    }

    private static TlsSession HandshakeForSession(TlsClientOptions clientOptions, TlsServerOptions serverOptions)
    {
        using var client = TlsConnection.CreateClient(clientOptions);
        using var server = TlsConnection.CreateServer(serverOptions);
        client.Start();
        for (int round = 0; round < 16; round++)
        {
            EnginePump.Deliver(client, server);
            EnginePump.Deliver(server, client);
        }

        return client.Session ?? throw new InvalidOperationException("the scenario's first handshake left no session to resume");
    }
}
