using System.Buffers.Binary;
using System.Text;
using Tessera.Crypto;

namespace Tessera.KeySchedule;

/// <summary>HKDF-Expand-Label and Derive-Secret (RFC 8446 §7.1).</summary>
internal static class HkdfLabel
{
    private static ReadOnlySpan<byte> LabelPrefix => "tls13 "u8;

    /// <summary>HKDF-Expand-Label(Secret, Label, Context, Length).</summary>
    public static void Expand(ICryptoProvider crypto, TlsHashAlgorithm hash, ReadOnlySpan<byte> secret, string label, ReadOnlySpan<byte> context, Span<byte> output)
    {
        // struct { uint16 length; opaque label<7..255> = "tls13 " + Label; opaque context<0..255>; } HkdfLabel;
        int labelLength = LabelPrefix.Length + Encoding.ASCII.GetByteCount(label);
        if (labelLength > 255 || context.Length > 255 || output.Length > ushort.MaxValue)
        {
            throw new ArgumentException("HKDF label, context or length out of range.");
        }

        Span<byte> info = stackalloc byte[2 + 1 + labelLength + 1 + context.Length];
        BinaryPrimitives.WriteUInt16BigEndian(info, (ushort)output.Length);
        info[2] = (byte)labelLength;
        LabelPrefix.CopyTo(info[3..]);
        Encoding.ASCII.GetBytes(label, info[(3 + LabelPrefix.Length)..]);
        info[3 + labelLength] = (byte)context.Length;
        context.CopyTo(info[(4 + labelLength)..]);
        crypto.HkdfExpand(hash, secret, info, output);
    }

    /// <summary>HKDF-Expand-Label returning a new array.</summary>
    public static byte[] Expand(ICryptoProvider crypto, TlsHashAlgorithm hash, ReadOnlySpan<byte> secret, string label, ReadOnlySpan<byte> context, int length)
    {
        var output = new byte[length];
        Expand(crypto, hash, secret, label, context, output);
        return output;
    }

    /// <summary>Derive-Secret(Secret, Label, Messages) where <paramref name="transcriptHash"/> is Transcript-Hash(Messages).</summary>
    public static byte[] DeriveSecret(ICryptoProvider crypto, TlsHashAlgorithm hash, ReadOnlySpan<byte> secret, string label, ReadOnlySpan<byte> transcriptHash) =>
        Expand(crypto, hash, secret, label, transcriptHash, HashLength(hash));

    /// <summary>Output length of a hash.</summary>
    public static int HashLength(TlsHashAlgorithm hash) => Crypto.HashAlgorithms.Length(hash);
}
