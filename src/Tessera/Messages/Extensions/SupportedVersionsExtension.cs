namespace Tessera.Messages;

/// <summary>supported_versions (RFC 8446 §4.2.1).</summary>
internal static class SupportedVersionsExtension
{
    public static ushort[] ParseClientHello(ReadOnlySpan<byte> data)
    {
        var reader = new TlsReader(data);
        var list = reader.ReadVector8();
        reader.EnsureEmpty("supported_versions");
        return U16List.Parse(list, "supported_versions");
    }

    public static byte[] EncodeClientHello(IEnumerable<ushort> versions) => U16List.Encode(versions, 1);

    public static ushort ParseServerHello(ReadOnlySpan<byte> data)
    {
        var reader = new TlsReader(data);
        var version = reader.ReadUInt16();
        reader.EnsureEmpty("supported_versions");
        return version;
    }

    public static byte[] EncodeServerHello(ushort version) => [(byte)(version >> 8), (byte)version];
}
