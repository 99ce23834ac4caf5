using System.Security.Cryptography;

namespace Tessera.Crypto;

/// <summary>Maps Tessera's hash enumeration onto the BCL's names and sizes.</summary>
internal static class HashAlgorithms
{
    public static HashAlgorithmName ToBcl(TlsHashAlgorithm algorithm) => algorithm switch
    {
        TlsHashAlgorithm.Sha256 => HashAlgorithmName.SHA256,
        TlsHashAlgorithm.Sha384 => HashAlgorithmName.SHA384,
        TlsHashAlgorithm.Sha512 => HashAlgorithmName.SHA512,
        TlsHashAlgorithm.Sha1 => HashAlgorithmName.SHA1,
        TlsHashAlgorithm.Md5 => HashAlgorithmName.MD5,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    public static int Length(TlsHashAlgorithm algorithm) => algorithm switch
    {
        TlsHashAlgorithm.Sha256 => 32,
        TlsHashAlgorithm.Sha384 => 48,
        TlsHashAlgorithm.Sha512 => 64,
        TlsHashAlgorithm.Sha1 => 20,
        TlsHashAlgorithm.Md5 => 16,
        TlsHashAlgorithm.Md5Sha1 => 36,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };
}
