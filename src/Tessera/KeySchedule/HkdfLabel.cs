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
        Span<byte> info = stackalloc byte[InfoLength(label, context, output.Length)];
        WriteInfo(info, label, context, output.Length);
        crypto.HkdfExpand(hash, secret, info, output);
    }

    /// <summary>HKDF-Expand-Label through an expander already keyed with the secret.</summary>
    public static void Expand(IHkdfExpander expander, string label, ReadOnlySpan<byte> context, Span<byte> output)
    {
        Span<byte> info = stackalloc byte[InfoLength(label, context, output.Length)];
        WriteInfo(info, label, context, output.Length);
        expander.Expand(info, output);
    }

    /// <summary>HKDF-Expand-Label through an expander, returning a new array.</summary>
    public static byte[] Expand(IHkdfExpander expander, string label, ReadOnlySpan<byte> context, int length)
    {
        var output = new byte[length];
        Expand(expander, label, context, output);
        return output;
    }

    private static int InfoLength(string label, ReadOnlySpan<byte> context, int length)
    {
        int labelLength = LabelPrefix.Length + Encoding.ASCII.GetByteCount(label);
        if (labelLength > 255 || context.Length > 255 || length > ushort.MaxValue)
        {
            throw new ArgumentException("HKDF label, context or length out of range.");
        }

        return 2 + 1 + labelLength + 1 + context.Length;
    }

    /// <summary>struct { uint16 length; opaque label&lt;7..255&gt; = "tls13 " + Label; opaque context&lt;0..255&gt;; } HkdfLabel;</summary>
    private static void WriteInfo(Span<byte> info, string label, ReadOnlySpan<byte> context, int length)
    {
        int labelLength = info.Length - 4 - context.Length;
        BinaryPrimitives.WriteUInt16BigEndian(info, (ushort)length);
        info[2] = (byte)labelLength;
        LabelPrefix.CopyTo(info[3..]);
        Encoding.ASCII.GetBytes(label, info[(3 + LabelPrefix.Length)..]);
        info[3 + labelLength] = (byte)context.Length;
        context.CopyTo(info[(4 + labelLength)..]);
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
