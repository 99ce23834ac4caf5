using BenchmarkDotNet.Attributes;
using Tessera.Messages;
using Tessera.Pki;
using Tessera.Pki.X509;

namespace Tessera.Benchmarks;

/// <summary>The codecs a handshake runs through: a real ClientHello and Certificate message, and the X.509 parse of the leaf.</summary>
[MemoryDiagnoser]
public class ParserBenchmarks
{
    private byte[] _clientHelloBody = [];
    private byte[] _certificateBody = [];
    private byte[] _leaf = [];

    [GlobalSetup]
    public void Setup()
    {
        using var ca = TestCertificateAuthority.Create(CertificateKeyType.EcdsaP256);
        var certificate = ca.IssueServerCertificate(["localhost", "www.localhost"], CertificateKeyType.EcdsaP256);
        _leaf = certificate.Chain[0];
        var (client, server, clientHello) = InMemoryPair.Connect();
        _clientHelloBody = clientHello[4..];
        _certificateBody = new CertificateMessage { Entries = [new CertificateEntry(_leaf, []), new CertificateEntry(ca.RootCertificateDer, [])] }.ToMessageBytes()[4..];
        client.Dispose();
        server.Dispose();
    }

    [Benchmark(Baseline = true)]
    public int ClientHello() => Messages.ClientHello.Parse(_clientHelloBody).Extensions.Count;

    [Benchmark]
    public int Certificate() => CertificateMessage.Parse(_certificateBody).Entries.Count;

    [Benchmark]
    public int X509() => Pki.X509.Certificate.Parse(_leaf).Extensions.Count;
}
