using System.Security.Cryptography;

namespace Tessera.Crypto;

/// <summary>An HMAC keyed once and used several times (the TLS 1.2 PRF computes every block of P_hash under one secret).</summary>
public interface IKeyedHmac : IDisposable
{
    /// <summary>HMAC(key, <paramref name="data"/>) into <paramref name="destination"/>; returns bytes written.</summary>
    int Compute(ReadOnlySpan<byte> data, Span<byte> destination);
}

/// <summary>The fallback: a copy of the key and the provider's one-shot HMAC.</summary>
internal sealed class ProviderKeyedHmac(ICryptoProvider crypto, TlsHashAlgorithm algorithm, ReadOnlySpan<byte> key) : IKeyedHmac
{
    private readonly byte[] _key = key.ToArray();

    public int Compute(ReadOnlySpan<byte> data, Span<byte> destination) => crypto.Hmac(algorithm, _key, data, destination);

    public void Dispose() => CryptographicOperations.ZeroMemory(_key);
}

/// <summary>One BCL HMAC object keyed once: keying costs about as much as a use. Not for two threads at once.</summary>
internal sealed class BclKeyedHmac(TlsHashAlgorithm algorithm, ReadOnlySpan<byte> key) : IKeyedHmac
{
    private readonly IncrementalHash _hmac = IncrementalHash.CreateHMAC(HashAlgorithms.ToBcl(algorithm), key);

    public int Compute(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        _hmac.AppendData(data);
        return _hmac.GetHashAndReset(destination);
    }

    public void Dispose() => _hmac.Dispose();
}
