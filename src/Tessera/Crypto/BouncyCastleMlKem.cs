using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Kems;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace Tessera.Crypto;

/// <summary>ML-KEM from BouncyCastle.Cryptography, for platforms whose OpenSSL (below 3.5) has none.</summary>
internal sealed class BouncyCastleMlKem(MlKemParameterSet parameterSet) : IMlKem
{
    public static BouncyCastleMlKem MlKem768 { get; } = new(MlKemParameterSet.MlKem768);

    public static BouncyCastleMlKem MlKem1024 { get; } = new(MlKemParameterSet.MlKem1024);

    public MlKemParameterSet ParameterSet => parameterSet;

    private MLKemParameters Parameters => parameterSet == MlKemParameterSet.MlKem768 ? MLKemParameters.ml_kem_768 : MLKemParameters.ml_kem_1024;

    public IMlKemDecapsulationKey GenerateKey()
    {
        var generator = new MLKemKeyPairGenerator();
        generator.Init(new MLKemKeyGenerationParameters(new SecureRandom(), Parameters));
        return new DecapsulationKey(Parameters, (MLKemPrivateKeyParameters)generator.GenerateKeyPair().Private);
    }

    /// <summary>FIPS 203 ML-KEM.KeyGen_internal(d, z) from the 64-byte seed d ‖ z: for known-answer tests.</summary>
    internal IMlKemDecapsulationKey KeyFromSeed(ReadOnlySpan<byte> seed) =>
        new DecapsulationKey(Parameters, MLKemPrivateKeyParameters.FromSeed(Parameters, seed.ToArray()));

    public (byte[] Ciphertext, byte[] SharedSecret) Encapsulate(ReadOnlySpan<byte> encapsulationKey) => Encapsulate(encapsulationKey, new SecureRandom());

    /// <summary>Encapsulation with a chosen randomness source (ML-KEM.Encaps_internal with m from it): for known-answer tests.</summary>
    internal (byte[] Ciphertext, byte[] SharedSecret) Encapsulate(ReadOnlySpan<byte> encapsulationKey, SecureRandom random)
    {
        if (encapsulationKey.Length != MlKemSizes.EncapsulationKey(parameterSet) || !MlKemSizes.PassesModulusCheck(encapsulationKey))
        {
            throw new CryptographicException("invalid ML-KEM encapsulation key");
        }

        var encapsulator = new MLKemEncapsulator(Parameters);
        encapsulator.Init(new Org.BouncyCastle.Crypto.Parameters.ParametersWithRandom(MLKemPublicKeyParameters.FromEncoding(Parameters, encapsulationKey.ToArray()), random));
        var ciphertext = new byte[encapsulator.EncapsulationLength];
        var secret = new byte[encapsulator.SecretLength];
        encapsulator.Encapsulate(ciphertext, secret);
        return (ciphertext, secret);
    }

    private sealed class DecapsulationKey(MLKemParameters parameters, MLKemPrivateKeyParameters key) : IMlKemDecapsulationKey
    {
        private MLKemPrivateKeyParameters? _key = key;

        public byte[] EncapsulationKey { get; } = key.GetPublicKeyEncoded();

        public byte[] Decapsulate(ReadOnlySpan<byte> ciphertext)
        {
            var current = _key ?? throw new ObjectDisposedException(nameof(DecapsulationKey));
            int expected = parameters == MLKemParameters.ml_kem_768 ? MlKemSizes.Ciphertext(MlKemParameterSet.MlKem768) : MlKemSizes.Ciphertext(MlKemParameterSet.MlKem1024);
            if (ciphertext.Length != expected)
            {
                throw new CryptographicException($"ML-KEM ciphertext of {ciphertext.Length} bytes, expected {expected}");
            }

            var decapsulator = new MLKemDecapsulator(parameters);
            decapsulator.Init(current);
            var secret = new byte[decapsulator.SecretLength];
            decapsulator.Decapsulate(ciphertext, secret);
            return secret;
        }

        // BouncyCastle's key objects cannot be wiped from outside; dropping the reference is what is left.
        public void Dispose() => _key = null;
    }
}
