using BenchmarkDotNet.Attributes;
using Tessera.Bench.Workloads;
using Tessera.Pki;
using Tessera.Sessions;

namespace Tessera.Benchmarks;

/// <summary>
/// Whole handshakes in memory (client and server engines wired together, ECDSA P-256, X25519): a full TLS 1.3
/// handshake against a resumed one (psk_dhe_ke), with and without 0-RTT, against the default post-quantum hybrid
/// X25519MLKEM768 (with its companion X25519 share), and TLS 1.2 full against resumed by ticket. Both sides' work is
/// counted; certificate validation included where the handshake does it.
/// </summary>
[MemoryDiagnoser]
public class HandshakeBenchmarks
{
    private readonly byte[] _buffer = new byte[1 << 16];
    private TlsServerOptions _server = null!;
    private TlsClientOptions _client = null!;
    private TlsSession _ticket13 = null!;
    private TlsSession _session12 = null!;
    private byte[] _echConfigList = null!;

    [GlobalSetup]
    public void Setup()
    {
        var ca = TestCertificateAuthority.Create(CertificateKeyType.EcdsaP256);
        _server = new TlsServerOptions { MaxEarlyDataSize = 1024, SessionTicketCount = 1, AntiReplay = new InMemoryAntiReplayStore(capacity: 10_000_000), EarlyDataFreshnessWindow = TimeSpan.FromDays(1) };
        _server.Certificates.Add(ca.IssueServerCertificate(["localhost"], CertificateKeyType.EcdsaP256));
        var echKey = Tessera.Ech.EchServerKey.Generate("public.localhost");
        _server.EchKeys.Add(echKey);
        _echConfigList = echKey.ConfigList;
        _client = new TlsClientOptions { ServerName = "localhost", CertificateVerifier = new X509CertificateVerifier([ca.RootCertificateDer]), Groups = [NamedGroup.X25519, NamedGroup.Secp256r1] };
        _ticket13 = Run(_client).Session!;
        _session12 = Run(With(o => o.MaxProtocolVersion = TlsProtocolVersion.Tls12)).Session!;
    }

    private TlsClientOptions With(Action<TlsClientOptions> change)
    {
        var options = new TlsClientOptions { ServerName = _client.ServerName, CertificateVerifier = _client.CertificateVerifier, Groups = _client.Groups };
        change(options);
        return options;
    }

    private TlsConnection Run(TlsClientOptions options)
    {
        var client = TlsConnection.CreateClient(options);
        using var server = TlsConnection.CreateServer(_server);
        client.Start();
        for (int round = 0; round < 20 && !(client.IsHandshakeComplete && server.IsHandshakeComplete && client.PendingOutputLength == 0 && server.PendingOutputLength == 0); round++)
        {
            EnginePump.Move(client, server, _buffer);
            EnginePump.Move(server, client, _buffer);
        }

        return client.IsHandshakeComplete ? client : throw new InvalidOperationException("handshake did not complete");
    }

    [Benchmark(Baseline = true)]
    public bool FullTls13() => Run(_client).IsHandshakeComplete;

    [Benchmark]
    public bool FullTls13HybridX25519MlKem768() => Run(With(o => o.Groups = NamedGroups.Defaults)).NegotiatedGroup == NamedGroup.X25519MLKEM768;

    /// <summary>Encrypted Client Hello accepted: HPKE seal and open, the inner hello encoded and rebuilt, the acceptance signal.</summary>
    [Benchmark]
    public bool FullTls13WithEch() => Run(With(o => o.EchConfigList = _echConfigList)).EchStatus == TlsEchStatus.Accepted;

    [Benchmark]
    public bool ResumedTls13() => Run(With(o => o.ResumeSession = _ticket13)).IsResumed;

    [Benchmark]
    public bool ResumedTls13WithEarlyData() => Run(With(o => { o.ResumeSession = _ticket13; o.EarlyData = [1, 2, 3]; })).IsResumed;

    [Benchmark]
    public bool FullTls12() => Run(With(o => o.MaxProtocolVersion = TlsProtocolVersion.Tls12)).IsHandshakeComplete;

    [Benchmark]
    public bool ResumedTls12() => Run(With(o => { o.MaxProtocolVersion = TlsProtocolVersion.Tls12; o.ResumeSession = _session12; })).IsResumed;
}
