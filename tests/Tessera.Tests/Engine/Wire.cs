using System.Buffers.Binary;
using Tessera.Messages;

namespace Tessera.Tests.Engine;

/// <summary>Helpers for tests that take records apart and put them back together.</summary>
internal static class Wire
{
    public sealed record Record(ContentType Type, byte[] Bytes)
    {
        public byte[] Payload => Bytes[5..];
    }

    public static List<Record> Split(byte[] wire)
    {
        var list = new List<Record>();
        int offset = 0;
        while (offset < wire.Length)
        {
            int length = BinaryPrimitives.ReadUInt16BigEndian(wire.AsSpan(offset + 3));
            list.Add(new Record((ContentType)wire[offset], wire[offset..(offset + 5 + length)]));
            offset += 5 + length;
        }

        return list;
    }

    public static byte[] PlaintextRecord(ContentType type, ReadOnlySpan<byte> payload, ushort version = 0x0303)
    {
        var record = new byte[5 + payload.Length];
        record[0] = (byte)type;
        BinaryPrimitives.WriteUInt16BigEndian(record.AsSpan(1), version);
        BinaryPrimitives.WriteUInt16BigEndian(record.AsSpan(3), (ushort)payload.Length);
        payload.CopyTo(record.AsSpan(5));
        return record;
    }

    public static byte[] Concat(IEnumerable<Record> records) => [.. records.SelectMany(r => r.Bytes)];

    /// <summary>The alert a side queued, read from its plaintext or protected output (protected: by its length only).</summary>
    public static byte[] TakeOutput(TlsConnection connection)
    {
        var bytes = new byte[connection.PendingOutputLength];
        connection.ReadOutput(bytes);
        return bytes;
    }
}
