using System.Security.Cryptography;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using Tessera.Crypto;
using Tessera.KeySchedule;

namespace Tessera.Tests.KeySchedule;

/// <summary>The TLS 1.0/1.1 PRF (P_MD5 ⊕ P_SHA-1 over the two halves of the secret) against BouncyCastle's independent implementation.</summary>
public sealed class Tls10PrfTests
{
    [Theory]
    [InlineData(48, 13, 104)]    // master secret → key block sizes
    [InlineData(47, 64, 12)]     // odd secret: the halves share the middle byte
    [InlineData(1, 0, 100)]
    [InlineData(256, 77, 36)]    // a 2048-bit DH premaster secret
    public void MatchesBouncyCastle(int secretLength, int seedLength, int outputLength)
    {
        var secret = RandomNumberGenerator.GetBytes(secretLength);
        var seed = RandomNumberGenerator.GetBytes(seedLength);
        var ours = Tls12Prf.Compute(DefaultCryptoProvider.Instance, TlsHashAlgorithm.Md5Sha1, secret, "key expansion", seed, outputLength);
        var bc = new BcTlsCrypto(new SecureRandom()).CreateSecret(secret).DeriveUsingPrf(PrfAlgorithm.tls_prf_legacy, "key expansion", seed, outputLength).Extract();
        Assert.Equal(bc, ours);
    }

    [Fact]
    public void TheTls12PrfIsNotTheLegacyOne()
    {
        var secret = RandomNumberGenerator.GetBytes(48);
        var seed = RandomNumberGenerator.GetBytes(64);
        var bc = new BcTlsCrypto(new SecureRandom()).CreateSecret(secret).DeriveUsingPrf(PrfAlgorithm.tls_prf_sha256, "master secret", seed, 48).Extract();
        Assert.Equal(bc, Tls12Prf.Compute(DefaultCryptoProvider.Instance, TlsHashAlgorithm.Sha256, secret, "master secret", seed, 48));
        Assert.NotEqual(bc, Tls12Prf.Compute(DefaultCryptoProvider.Instance, TlsHashAlgorithm.Md5Sha1, secret, "master secret", seed, 48));
    }
}
