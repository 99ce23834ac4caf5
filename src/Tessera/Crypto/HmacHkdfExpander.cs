using System.Buffers;
using System.Security.Cryptography;

namespace Tessera.Crypto;

/// <summary>
/// HKDF-Expand over one HMAC keyed once with the PRK (RFC 5869 §2.3: T(i) = HMAC(PRK, T(i-1) ‖ info ‖ i)). Keying an
/// HMAC costs about as much as using it, and a one-shot HKDF call keys it every time; one expander per secret keys it
/// once. Not for use by two threads at once.
/// </summary>
internal sealed class HmacHkdfExpander(IKeyedHmac hmac, int hashLength) : IHkdfExpander
{
    public void Expand(ReadOnlySpan<byte> info, Span<byte> output)
    {
        if (output.Length > 255 * hashLength)
        {
            throw new ArgumentException("HKDF-Expand output longer than 255 hash lengths.", nameof(output));
        }

        // T(i-1) ‖ info ‖ i in one buffer: each T(i) is written to its front, where the next round reads it (T(0) is empty).
        var rented = ArrayPool<byte>.Shared.Rent(hashLength + info.Length + 1);
        var block = rented.AsSpan(0, hashLength + info.Length + 1);
        info.CopyTo(block[hashLength..]);
        int previous = 0;
        try
        {
            for (int offset = 0, i = 1; offset < output.Length; i++)
            {
                var input = block[(hashLength - previous)..];
                block[^1] = (byte)i;
                previous = hmac.Compute(input, block);
                int n = Math.Min(previous, output.Length - offset);
                block[..n].CopyTo(output[offset..]);
                offset += n;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(block);
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public void Dispose() => hmac.Dispose();
}
