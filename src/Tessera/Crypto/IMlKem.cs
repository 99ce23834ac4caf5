namespace Tessera.Crypto;

/// <summary>ML-KEM parameter sets (FIPS 203).</summary>
public enum MlKemParameterSet
{
    /// <summary>ML-KEM-768: 1184-byte encapsulation keys, 1088-byte ciphertexts.</summary>
    MlKem768,
    /// <summary>ML-KEM-1024: 1568-byte encapsulation keys and ciphertexts.</summary>
    MlKem1024,
}

/// <summary>ML-KEM (FIPS 203) as the key exchanges use it: the platform's (System.Security.Cryptography.MLKem) or BouncyCastle's.</summary>
public interface IMlKem
{
    /// <summary>The parameter set.</summary>
    MlKemParameterSet ParameterSet { get; }

    /// <summary>A fresh decapsulation key; its encapsulation key goes to the peer.</summary>
    IMlKemDecapsulationKey GenerateKey();

    /// <summary>
    /// Encapsulates to <paramref name="encapsulationKey"/>: the ciphertext and the 32-byte shared secret. Throws
    /// <see cref="System.Security.Cryptography.CryptographicException"/> for a key of the wrong length or one that fails
    /// FIPS 203's modulus check.
    /// </summary>
    (byte[] Ciphertext, byte[] SharedSecret) Encapsulate(ReadOnlySpan<byte> encapsulationKey);
}

/// <summary>An ML-KEM decapsulation key; Dispose destroys it.</summary>
public interface IMlKemDecapsulationKey : IDisposable
{
    /// <summary>The encapsulation key to publish.</summary>
    byte[] EncapsulationKey { get; }

    /// <summary>The shared secret for <paramref name="ciphertext"/> (implicit rejection: a wrong ciphertext of the right length gives an unrelated secret).</summary>
    byte[] Decapsulate(ReadOnlySpan<byte> ciphertext);
}

/// <summary>Sizes of the parameter sets (FIPS 203 Table 3).</summary>
internal static class MlKemSizes
{
    public static int EncapsulationKey(MlKemParameterSet set) => set == MlKemParameterSet.MlKem768 ? 1184 : 1568;

    public static int Ciphertext(MlKemParameterSet set) => set == MlKemParameterSet.MlKem768 ? 1088 : 1568;

    public const int SharedSecret = 32;

    /// <summary>
    /// FIPS 203 §7.2 modulus check: every 12-bit coefficient of t̂ (the key minus its 32-byte ρ) is below q = 3329,
    /// i.e. ByteEncode12(ByteDecode12(ek)) = ek.
    /// </summary>
    public static bool PassesModulusCheck(ReadOnlySpan<byte> encapsulationKey)
    {
        var t = encapsulationKey[..^32];
        for (int i = 0; i + 2 < t.Length; i += 3)
        {
            int first = t[i] | ((t[i + 1] & 0x0F) << 8);
            int second = (t[i + 1] >> 4) | (t[i + 2] << 4);
            if (first >= 3329 || second >= 3329)
            {
                return false;
            }
        }

        return true;
    }
}
