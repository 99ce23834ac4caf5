namespace Tessera.Messages;

/// <summary>signature_algorithms and signature_algorithms_cert (RFC 8446 §4.2.3).</summary>
internal static class SignatureAlgorithmsExtension
{
    public static ushort[] Parse(ReadOnlySpan<byte> data)
    {
        var reader = new TlsReader(data);
        var list = reader.ReadVector16();
        reader.EnsureEmpty("signature_algorithms");
        return U16List.Parse(list, "signature_algorithms");
    }

    public static byte[] Encode(IEnumerable<ushort> schemes) => U16List.Encode(schemes, 2);
}
