using System.Security.Cryptography;

namespace Tessera.Crypto;

/// <summary>ML-KEM from the platform (System.Security.Cryptography.MLKem: OpenSSL 3.5+, Windows with CNG ML-KEM).</summary>
internal sealed class BclMlKem(MlKemParameterSet parameterSet) : IMlKem
{
    public MlKemParameterSet ParameterSet => parameterSet;

    private MLKemAlgorithm Algorithm => parameterSet == MlKemParameterSet.MlKem768 ? MLKemAlgorithm.MLKem768 : MLKemAlgorithm.MLKem1024;

    public IMlKemDecapsulationKey GenerateKey() => new DecapsulationKey(MLKem.GenerateKey(Algorithm));

    public (byte[] Ciphertext, byte[] SharedSecret) Encapsulate(ReadOnlySpan<byte> encapsulationKey)
    {
        if (encapsulationKey.Length != MlKemSizes.EncapsulationKey(parameterSet) || !MlKemSizes.PassesModulusCheck(encapsulationKey))
        {
            throw new CryptographicException("invalid ML-KEM encapsulation key");
        }

        using var key = MLKem.ImportEncapsulationKey(Algorithm, encapsulationKey);
        key.Encapsulate(out byte[] ciphertext, out byte[] secret);
        return (ciphertext, secret);
    }

    private sealed class DecapsulationKey(MLKem key) : IMlKemDecapsulationKey
    {
        public byte[] EncapsulationKey { get; } = key.ExportEncapsulationKey();

        public byte[] Decapsulate(ReadOnlySpan<byte> ciphertext) => key.Decapsulate(ciphertext.ToArray());

        public void Dispose() => key.Dispose();
    }
}
