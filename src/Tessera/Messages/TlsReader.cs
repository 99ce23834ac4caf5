using System.Buffers.Binary;

namespace Tessera.Messages;

/// <summary>Reads TLS presentation-language values (RFC 8446 §3) from a span; any shortfall is decode_error.</summary>
internal ref struct TlsReader
{
    private ReadOnlySpan<byte> _data;

    public TlsReader(ReadOnlySpan<byte> data) => _data = data;

    public readonly int Remaining => _data.Length;

    public readonly bool IsEmpty => _data.IsEmpty;

    public byte ReadUInt8() => ReadBytes(1)[0];

    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16BigEndian(ReadBytes(2));

    public int ReadUInt24()
    {
        var b = ReadBytes(3);
        return (b[0] << 16) | (b[1] << 8) | b[2];
    }

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32BigEndian(ReadBytes(4));

    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        if (count < 0 || count > _data.Length)
        {
            throw new TlsException(AlertDescription.DecodeError, $"message truncated: needed {count} bytes, {_data.Length} left");
        }

        var result = _data[..count];
        _data = _data[count..];
        return result;
    }

    public ReadOnlySpan<byte> ReadVector8() => ReadBytes(ReadUInt8());

    public ReadOnlySpan<byte> ReadVector16() => ReadBytes(ReadUInt16());

    public ReadOnlySpan<byte> ReadVector24() => ReadBytes(ReadUInt24());

    public readonly void EnsureEmpty(string what)
    {
        if (!_data.IsEmpty)
        {
            throw new TlsException(AlertDescription.DecodeError, $"{_data.Length} trailing bytes after {what}");
        }
    }
}
