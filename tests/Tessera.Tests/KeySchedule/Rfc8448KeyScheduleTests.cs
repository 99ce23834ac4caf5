using Tessera.Crypto;
using Tessera.KeySchedule;

namespace Tessera.Tests.KeySchedule;

/// <summary>RFC 8448 §3 "Simple 1-RTT Handshake": every secret, key and IV of the trace, byte for byte.</summary>
public sealed class Rfc8448KeyScheduleTests
{
    private static readonly ICryptoProvider Crypto = DefaultCryptoProvider.Instance;
    private static readonly CipherSuiteInfo Suite = CipherSuites.Get(CipherSuite.TLS_AES_128_GCM_SHA256);

    // Transcript hashes printed in the trace.
    internal static readonly byte[] HashClientHelloToServerHello = Hex.Parse("86 0c 06 ed c0 78 58 ee 8e 78 f0 e7 42 8c 58 ed d6 b4 3f 2c a3 e6 e9 5f 02 ed 06 3c f0 e1 ca d8");
    internal static readonly byte[] HashClientHelloToServerFinished = Hex.Parse("96 08 10 2a 0f 1c cc 6d b6 25 0b 7b 7e 41 7b 1a 00 0e aa da 3d aa e4 77 7a 76 86 c9 ff 83 df 13");
    internal static readonly byte[] HashClientHelloToClientFinished = Hex.Parse("20 91 45 a9 6e e8 e2 a1 22 ff 81 00 47 cc 95 26 84 65 8d 60 49 e8 64 29 42 6d b8 7c 54 ad 14 3d");
    internal static readonly byte[] SharedSecret = Hex.Parse("8b d4 05 4f b5 5b 9d 63 fd fb ac f9 f0 4b 9f 0d 35 e6 d6 3f 53 75 63 ef d4 62 72 90 0f 89 49 2d");

    [Fact]
    public void EarlyHandshakeAndMasterSecretsMatchTheTrace()
    {
        using var schedule = new Tls13KeySchedule(Crypto, Suite);
        Assert.Equal(Hex.Parse("33 ad 0a 1c 60 7e c0 3b 09 e6 cd 98 93 68 0c e2 10 ad f3 00 aa 1f 26 60 e1 b2 2e 10 f1 70 f9 2a"), schedule.CurrentSecretForTesting);

        schedule.AdvanceToHandshakeSecret(SharedSecret.ToArray());
        Assert.Equal(Hex.Parse("1d c8 26 e9 36 06 aa 6f dc 0a ad c1 2f 74 1b 01 04 6a a6 b9 9f 69 1e d2 21 a9 f0 ca 04 3f be ac"), schedule.CurrentSecretForTesting);
        Assert.Equal(Hex.Parse("b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e 2d 8f 3b 1a 95 07 38 f5 2e 96 00 74 6a 0e 27 a5 5a 21"), schedule.ClientHandshakeTrafficSecret(HashClientHelloToServerHello));
        Assert.Equal(Hex.Parse("b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38"), schedule.ServerHandshakeTrafficSecret(HashClientHelloToServerHello));

        schedule.AdvanceToMasterSecret();
        Assert.Equal(Hex.Parse("18 df 06 84 3d 13 a0 8b f2 a4 49 84 4c 5f 8a 47 80 01 bc 4d 4c 62 79 84 d5 a4 1d a8 d0 40 29 19"), schedule.CurrentSecretForTesting);
        Assert.Equal(Hex.Parse("9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52 87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 04 a5"), schedule.ClientApplicationTrafficSecret(HashClientHelloToServerFinished));
        Assert.Equal(Hex.Parse("a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32 82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 43"), schedule.ServerApplicationTrafficSecret(HashClientHelloToServerFinished));
        Assert.Equal(Hex.Parse("fe 22 f8 81 17 6e da 18 eb 8f 44 52 9e 67 92 c5 0c 9a 3f 89 45 2f 68 d8 ae 31 1b 43 09 d3 cf 50"), schedule.ExporterMasterSecret(HashClientHelloToServerFinished));
        Assert.Equal(Hex.Parse("7d f2 35 f2 03 1d 2a 05 12 87 d0 2b 02 41 b0 bf da f8 6c c8 56 23 1f 2d 5a ba 46 c4 34 ec 19 6c"), schedule.ResumptionMasterSecret(HashClientHelloToClientFinished));
    }

    [Fact]
    public void SecretsOfALaterStageAreRefusedEarly()
    {
        using var schedule = new Tls13KeySchedule(Crypto, Suite);
        Assert.Throws<InvalidOperationException>(() => schedule.ClientHandshakeTrafficSecret(HashClientHelloToServerHello));
        Assert.Throws<InvalidOperationException>(() => schedule.AdvanceToMasterSecret());
    }

    [Theory]
    [InlineData("b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38", "3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc", "5d 31 3e b2 67 12 76 ee 13 00 0b 30")]
    [InlineData("b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e 2d 8f 3b 1a 95 07 38 f5 2e 96 00 74 6a 0e 27 a5 5a 21", "db fa a6 93 d1 76 2c 5b 66 6a f5 d9 50 25 8d 01", "5b d3 c7 1b 83 6e 0b 76 bb 73 26 5f")]
    [InlineData("a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32 82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 43", "9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac 92 e3 56", "cf 78 2b 88 dd 83 54 9a ad f1 e9 84")]
    [InlineData("9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52 87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 04 a5", "17 42 2d da 59 6e d5 d9 ac d8 90 e3 c6 3f 50 51", "5b 78 92 3d ee 08 57 90 33 e5 23 d9")]
    public void TrafficKeysAndIvsMatchTheTrace(string secret, string key, string iv)
    {
        using var keys = TrafficKeys.Derive(Crypto, Suite, Hex.Parse(secret));
        Assert.Equal(Hex.Parse(key), keys.Key);
        Assert.Equal(Hex.Parse(iv), keys.Iv);
    }

    [Theory]
    [InlineData("b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e 2d 8f 3b 1a 95 07 38 f5 2e 96 00 74 6a 0e 27 a5 5a 21", "b8 0a d0 10 15 fb 2f 0b d6 5f f7 d4 da 5d 6b f8 3f 84 82 1d 1f 87 fd c7 d3 c7 5b 5a 7b 42 d9 c4")]
    [InlineData("b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38", "00 8d 3b 66 f8 16 ea 55 9f 96 b5 37 e8 85 c3 1f c0 68 bf 49 2c 65 2f 01 f2 88 a1 d8 cd c1 9f c8")]
    public void FinishedKeysMatchTheTrace(string baseKey, string finishedKey) =>
        Assert.Equal(Hex.Parse(finishedKey), Tls13KeySchedule.FinishedKey(Crypto, Suite, Hex.Parse(baseKey)));

    [Fact]
    public void HkdfLabelEncodingMatchesTheTraceInfo()
    {
        // The trace prints info = 00 10 09 "tls13 key" 00 for the key; expanding with it directly must agree with Expand-Label.
        var secret = Hex.Parse("b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38");
        var viaInfo = new byte[16];
        Crypto.HkdfExpand(TlsHashAlgorithm.Sha256, secret, Hex.Parse("00 10 09 74 6c 73 31 33 20 6b 65 79 00"), viaInfo);
        Assert.Equal(viaInfo, HkdfLabel.Expand(Crypto, TlsHashAlgorithm.Sha256, secret, "key", [], 16));
    }
}
