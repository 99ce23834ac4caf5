namespace Tessera.Messages;

/// <summary>record_size_limit (RFC 8449 §4).</summary>
internal static class RecordSizeLimitExtension
{
    public static ushort Parse(ReadOnlySpan<byte> data)
    {
        var reader = new TlsReader(data);
        ushort limit = reader.ReadUInt16();
        reader.EnsureEmpty("record_size_limit");
        return limit >= 64 ? limit : throw new TlsException(AlertDescription.IllegalParameter, $"record_size_limit {limit} is below 64");
    }

    public static byte[] Encode(ushort limit) => [(byte)(limit >> 8), (byte)limit];
}
