using System.Security.Cryptography;

namespace Tessera.Crypto;

/// <summary>
/// HKDF-Expand over one BCL HMAC object keyed once with the PRK (RFC 5869 §2.3: T(i) = HMAC(PRK, T(i-1) ‖ info ‖ i)).
/// Keying an HMAC costs about as much as using it, and a one-shot HKDF call keys it every time; one expander per
/// secret keys it once. Not for use by two threads at once.
/// </summary>
internal sealed class HmacHkdfExpander : IHkdfExpander
{
    private readonly IncrementalHash _hmac;
    private readonly int _hashLength;

    public HmacHkdfExpander(TlsHashAlgorithm algorithm, ReadOnlySpan<byte> prk)
    {
        _hmac = IncrementalHash.CreateHMAC(HashAlgorithms.ToBcl(algorithm), prk);
        _hashLength = _hmac.HashLengthInBytes;
    }

    public void Expand(ReadOnlySpan<byte> info, Span<byte> output)
    {
        if (output.Length > 255 * _hashLength)
        {
            throw new ArgumentException("HKDF-Expand output longer than 255 hash lengths.", nameof(output));
        }

        Span<byte> block = stackalloc byte[64];
        Span<byte> counter = stackalloc byte[1];
        int previous = 0;
        try
        {
            for (int offset = 0, i = 1; offset < output.Length; i++)
            {
                _hmac.AppendData(block[..previous]);
                _hmac.AppendData(info);
                counter[0] = (byte)i;
                _hmac.AppendData(counter);
                previous = _hmac.GetHashAndReset(block);
                int n = Math.Min(previous, output.Length - offset);
                block[..n].CopyTo(output[offset..]);
                offset += n;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(block);
        }
    }

    public void Dispose() => _hmac.Dispose();
}
