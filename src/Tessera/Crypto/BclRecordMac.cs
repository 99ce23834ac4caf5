using System.Security.Cryptography;

namespace Tessera.Crypto;

/// <summary>HMAC-SHA1/SHA256/SHA384 from the BCL's <see cref="IncrementalHash"/>.</summary>
internal sealed class BclRecordMac : IRecordMac
{
    private readonly IncrementalHash _hmac;

    public BclRecordMac(TlsMacAlgorithm algorithm, ReadOnlySpan<byte> key)
    {
        (var name, MacLength) = algorithm switch
        {
            TlsMacAlgorithm.HmacSha1 => (HashAlgorithmName.SHA1, 20),
            TlsMacAlgorithm.HmacSha256 => (HashAlgorithmName.SHA256, 32),
            TlsMacAlgorithm.HmacSha384 => (HashAlgorithmName.SHA384, 48),
            _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
        };
        _hmac = IncrementalHash.CreateHMAC(name, key);
    }

    public int MacLength { get; }

    public void Append(ReadOnlySpan<byte> data) => _hmac.AppendData(data);

    public void GetCurrentMac(Span<byte> destination) => _hmac.GetCurrentHash(destination);

    public void GetMacAndReset(Span<byte> destination) => _hmac.GetHashAndReset(destination);

    public void Dispose() => _hmac.Dispose();
}
