using System.Buffers.Binary;

namespace Tessera.Messages;

/// <summary>Writes TLS presentation-language values into a growable buffer.</summary>
internal sealed class TlsWriter
{
    private byte[] _buffer;

    public TlsWriter(int initialCapacity = 256) => _buffer = new byte[Math.Max(16, initialCapacity)];

    public int Length { get; private set; }

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, Length);

    public void WriteUInt8(byte value) => Grow(1)[0] = value;

    public void WriteUInt16(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(Grow(2), value);

    public void WriteUInt24(int value)
    {
        if (value is < 0 or > 0xFFFFFF)
        {
            throw new InvalidOperationException("uint24 out of range");
        }

        var span = Grow(3);
        span[0] = (byte)(value >> 16);
        span[1] = (byte)(value >> 8);
        span[2] = (byte)value;
    }

    public void WriteUInt32(uint value) => BinaryPrimitives.WriteUInt32BigEndian(Grow(4), value);

    public void WriteBytes(ReadOnlySpan<byte> value) => value.CopyTo(Grow(value.Length));

    /// <summary>Reserves a length prefix of 1, 2 or 3 bytes; <see cref="EndVector"/> fills it in.</summary>
    public int BeginVector(int lengthBytes)
    {
        if (lengthBytes is < 1 or > 3)
        {
            throw new ArgumentOutOfRangeException(nameof(lengthBytes));
        }

        int start = Length;
        Grow(lengthBytes).Clear();
        return (start << 2) | lengthBytes;
    }

    public void EndVector(int token)
    {
        int lengthBytes = token & 3;
        int start = token >> 2;
        int length = Length - start - lengthBytes;
        if (length >= 1 << (8 * lengthBytes))
        {
            throw new InvalidOperationException($"vector of {length} bytes does not fit a {lengthBytes}-byte length");
        }

        for (int i = lengthBytes - 1; i >= 0; i--)
        {
            _buffer[start + i] = (byte)length;
            length >>= 8;
        }
    }

    public void WriteVector8(ReadOnlySpan<byte> value) => WriteVector(1, value);

    public void WriteVector16(ReadOnlySpan<byte> value) => WriteVector(2, value);

    public void WriteVector24(ReadOnlySpan<byte> value) => WriteVector(3, value);

    public byte[] ToArray() => WrittenSpan.ToArray();

    public void Clear() => Length = 0;

    private void WriteVector(int lengthBytes, ReadOnlySpan<byte> value)
    {
        int token = BeginVector(lengthBytes);
        WriteBytes(value);
        EndVector(token);
    }

    private Span<byte> Grow(int count)
    {
        if (_buffer.Length - Length < count)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, Length + count));
        }

        var span = _buffer.AsSpan(Length, count);
        Length += count;
        return span;
    }
}
