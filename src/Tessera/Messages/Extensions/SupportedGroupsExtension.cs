namespace Tessera.Messages;

/// <summary>supported_groups (RFC 8446 §4.2.7).</summary>
internal static class SupportedGroupsExtension
{
    public static ushort[] Parse(ReadOnlySpan<byte> data)
    {
        var reader = new TlsReader(data);
        var list = reader.ReadVector16();
        reader.EnsureEmpty("supported_groups");
        return U16List.Parse(list, "supported_groups");
    }

    public static byte[] Encode(IEnumerable<ushort> groups) => U16List.Encode(groups, 2);
}
