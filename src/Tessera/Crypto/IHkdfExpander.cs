using System.Security.Cryptography;

namespace Tessera.Crypto;

/// <summary>
/// HKDF-Expand (RFC 5869 §2.3) bound to one pseudorandom key, for several expansions of the same secret: the TLS 1.3
/// key schedule expands most secrets two to four times (traffic key and IV, Derive-Secret per label).
/// </summary>
public interface IHkdfExpander : IDisposable
{
    /// <summary>OKM = HKDF-Expand(PRK, <paramref name="info"/>, output length), written to <paramref name="output"/>.</summary>
    void Expand(ReadOnlySpan<byte> info, Span<byte> output);
}

/// <summary>The fallback expander: a copy of the PRK and the provider's one-shot HKDF-Expand.</summary>
internal sealed class ProviderHkdfExpander(ICryptoProvider crypto, TlsHashAlgorithm algorithm, ReadOnlySpan<byte> prk) : IHkdfExpander
{
    private readonly byte[] _prk = prk.ToArray();

    public void Expand(ReadOnlySpan<byte> info, Span<byte> output) => crypto.HkdfExpand(algorithm, _prk, info, output);

    public void Dispose() => CryptographicOperations.ZeroMemory(_prk);
}
