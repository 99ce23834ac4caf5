using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Tessera.Crypto;
using Tessera.Messages;
using Tessera.Records;

namespace Tessera.Benchmarks;

/// <summary>
/// The record layer alone: sealing and opening one TLS 1.3 record of 16 KiB or 1 KiB with each AEAD, and the engine's
/// whole path (write → output → input → read) for the same record. Allocation must read 0.
/// </summary>
[MemoryDiagnoser]
public class RecordLayerBenchmarks
{
    private readonly byte[] _content = RandomNumberGenerator.GetBytes(16 * 1024);
    private readonly byte[] _record = new byte[16 * 1024 + 64];
    private readonly byte[] _opened = new byte[16 * 1024 + 64];
    private readonly byte[] _wire = new byte[20 * 1024];
    private readonly byte[] _received = new byte[16 * 1024];
    private Tls13RecordProtection _writer = null!;
    private Tls13RecordProtection _reader = null!;
    private int _sealedLength;
    private TlsConnection _client = null!;
    private TlsConnection _server = null!;

    [Params(CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_CHACHA20_POLY1305_SHA256)]
    public CipherSuite Suite { get; set; }

    [Params(1024, 16 * 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var suite = CipherSuites.Get(Suite);
        var secret = RandomNumberGenerator.GetBytes(suite.HashLength);
        _writer = new Tls13RecordProtection(DefaultCryptoProvider.Instance, suite, secret);
        _reader = new Tls13RecordProtection(DefaultCryptoProvider.Instance, suite, secret);
        (_client, _server, _) = InMemoryPair.Connect(o => o.CipherSuites = [Suite]);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _writer.Dispose();
        _reader.Dispose();
        _client.Dispose();
        _server.Dispose();
    }

    [Benchmark(Baseline = true)]
    public int Seal() => _sealedLength = _writer.Seal(ContentType.ApplicationData, _content.AsSpan(0, Size), 0, _record);

    /// <summary>Seals, then opens into a separate buffer (the sequence numbers advance together).</summary>
    [Benchmark]
    public int SealAndOpen()
    {
        int n = _writer.Seal(ContentType.ApplicationData, _content.AsSpan(0, Size), 0, _record);
        return _reader.OpenTo(_record.AsSpan(0, 5), _record.AsSpan(5, n - 5), 1 << 14, _opened).Length;
    }

    /// <summary>Client engine writes a record, server engine receives and reads it.</summary>
    [Benchmark]
    public int EngineRoundTrip()
    {
        _client.WriteApplicationData(_content.AsSpan(0, Size));
        int n = _client.ReadOutput(_wire);
        _server.ReceiveBytes(_wire.AsSpan(0, n));
        return _server.ReadApplicationData(_received);
    }
}
