using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Security;
using Tessera.Crypto;

namespace Tessera.Tests.Crypto;

/// <summary>
/// ML-KEM known answers for the implementation in use here (BouncyCastle's; the platform's MLKem needs OpenSSL 3.5):
/// the accumulated-vector test (keys from a SHAKE-128 stream, every output hashed into another, 100 and 10,000
/// rounds, FIPS 203 final), the modulus check on encapsulation keys, and the lengths.
/// </summary>
public sealed class MlKemTests
{
    /// <summary>Hands BouncyCastle's encapsulator the message m a test chose (ML-KEM.Encaps_internal).</summary>
    private sealed class ChosenRandom(byte[] bytes) : SecureRandom
    {
        public override void NextBytes(byte[] buf) => NextBytes(buf, 0, buf.Length);

        public override void NextBytes(byte[] buf, int off, int len) => bytes.AsSpan(0, len).CopyTo(buf.AsSpan(off, len));

        public override void NextBytes(Span<byte> buffer) => bytes.AsSpan(0, buffer.Length).CopyTo(buffer);
    }

    private static void Read(ShakeDigest xof, byte[] output) => xof.Output(output, 0, output.Length);

    [Theory]
    [InlineData(MlKemParameterSet.MlKem768, 100, "1114b1b6699ed191734fa339376afa7e285c9e6acf6ff0177d346696ce564415")]
    [InlineData(MlKemParameterSet.MlKem768, 10000, "8a518cc63da366322a8e7a818c7a0d63483cb3528d34a4cf42f35d5ad73f22fc")]
    [InlineData(MlKemParameterSet.MlKem1024, 10000, "f1a3925c9cf8538bb104c56efb2f5ecb74cc3df25087460b73f6c873e96bcb6a")]
    public void AccumulatedVectors(MlKemParameterSet set, int rounds, string expected)
    {
        var kem = set == MlKemParameterSet.MlKem768 ? BouncyCastleMlKem.MlKem768 : BouncyCastleMlKem.MlKem1024;
        var source = new ShakeDigest(128);
        var sink = new ShakeDigest(128);
        var seed = new byte[64];
        var message = new byte[32];
        var randomCiphertext = new byte[MlKemSizes.Ciphertext(set)];
        for (int i = 0; i < rounds; i++)
        {
            Read(source, seed);
            using var key = ((BouncyCastleMlKem)kem).KeyFromSeed(seed);
            sink.BlockUpdate(key.EncapsulationKey, 0, key.EncapsulationKey.Length);
            Read(source, message);
            var (ciphertext, secret) = kem.Encapsulate(key.EncapsulationKey, new ChosenRandom(message));
            sink.BlockUpdate(ciphertext, 0, ciphertext.Length);
            sink.BlockUpdate(secret, 0, secret.Length);
            Assert.Equal(secret, key.Decapsulate(ciphertext));
            Read(source, randomCiphertext);
            var rejected = key.Decapsulate(randomCiphertext);
            sink.BlockUpdate(rejected, 0, rejected.Length);
        }

        var digest = new byte[32];
        sink.OutputFinal(digest, 0, 32);
        Assert.Equal(expected, Convert.ToHexStringLower(digest));
    }

    [Theory]
    [InlineData(MlKemParameterSet.MlKem768)]
    [InlineData(MlKemParameterSet.MlKem1024)]
    public void EncapsulationKeysFailingTheModulusCheckOrOfTheWrongLengthAreRefused(MlKemParameterSet set)
    {
        var kem = DefaultCryptoProvider.Instance is ICryptoProvider provider ? provider.GetMlKem(set) : null!;
        using var key = kem.GenerateKey();
        Assert.Equal(MlKemSizes.EncapsulationKey(set), key.EncapsulationKey.Length);
        var (ciphertext, secret) = kem.Encapsulate(key.EncapsulationKey);
        Assert.Equal(MlKemSizes.Ciphertext(set), ciphertext.Length);
        Assert.Equal(secret, key.Decapsulate(ciphertext));

        // A coefficient of q = 3329 (0xD01) in the first slot: ByteDecode12 then ByteEncode12 would change it.
        var bad = (byte[])key.EncapsulationKey.Clone();
        bad[0] = 0x01;
        bad[1] = (byte)((bad[1] & 0xF0) | 0x0D);
        Assert.Throws<CryptographicException>(() => kem.Encapsulate(bad));
        var high = (byte[])key.EncapsulationKey.Clone();
        high[^34] = 0xFF;    // the last coefficient's top byte: 0xFF? ≥ 3329
        Assert.Throws<CryptographicException>(() => kem.Encapsulate(high));
        Assert.Throws<CryptographicException>(() => kem.Encapsulate(key.EncapsulationKey.AsSpan(1)));
        Assert.Throws<CryptographicException>(() => kem.Encapsulate([.. key.EncapsulationKey, 0]));
        Assert.Throws<CryptographicException>(() => key.Decapsulate(ciphertext.AsSpan(1)));
    }
}
