using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Tessera.Crypto;
using Tessera.KeySchedule;

namespace Tessera.Benchmarks;

/// <summary>
/// The TLS 1.3 key schedule (RFC 8446 §7.1): one HKDF-Expand-Label, and everything one side of a full handshake derives
/// (early, handshake and master secrets, both handshake and application traffic secrets, the Finished keys, the traffic
/// keys and IVs).
/// </summary>
[MemoryDiagnoser]
public class KeyScheduleBenchmarks
{
    private readonly byte[] _secret = RandomNumberGenerator.GetBytes(32);
    private readonly byte[] _shared = RandomNumberGenerator.GetBytes(32);
    private readonly byte[] _transcript = RandomNumberGenerator.GetBytes(32);
    private readonly byte[] _output = new byte[32];
    private readonly CipherSuiteInfo _suite = CipherSuites.Get(CipherSuite.TLS_AES_128_GCM_SHA256);

    [Benchmark(Baseline = true)]
    public void ExpandLabel() => HkdfLabel.Expand(DefaultCryptoProvider.Instance, TlsHashAlgorithm.Sha256, _secret, "c hs traffic", _transcript, _output);

    [Benchmark]
    public int FullHandshakeSchedule()
    {
        var crypto = DefaultCryptoProvider.Instance;
        using var schedule = new Tls13KeySchedule(crypto, _suite);
        schedule.AdvanceToHandshakeSecret(_shared);
        var clientHs = schedule.ClientHandshakeTrafficSecret(_transcript);
        var serverHs = schedule.ServerHandshakeTrafficSecret(_transcript);
        schedule.AdvanceToMasterSecret();
        var clientAp = schedule.ClientApplicationTrafficSecret(_transcript);
        var serverAp = schedule.ServerApplicationTrafficSecret(_transcript);
        int total = 0;
        foreach (var secret in new[] { clientHs, serverHs, clientAp, serverAp })
        {
            using var keys = TrafficKeys.Derive(crypto, _suite, secret);
            total += keys.Key.Length + Tls13KeySchedule.FinishedKey(crypto, _suite, secret).Length;
            CryptographicOperations.ZeroMemory(secret);
        }

        return total;
    }
}
