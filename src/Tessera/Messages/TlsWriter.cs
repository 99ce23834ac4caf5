using System.Buffers;
using System.Buffers.Binary;

namespace Tessera.Messages;

/// <summary>
/// Writes TLS presentation-language values into a growable buffer rented from the pool; <see cref="ToArray"/> (or
/// <see cref="Release"/>) gives it back, wiped, so building a message costs only the exact array it ends in.
/// </summary>
internal sealed class TlsWriter
{
    private byte[] _buffer;

    public TlsWriter(int initialCapacity = 256) => _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(16, initialCapacity));

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

    /// <summary>The bytes written, as a new array; the writer's buffer goes back to the pool (the writer is then empty).</summary>
    public byte[] ToArray()
    {
        var result = WrittenSpan.ToArray();
        Release();
        return result;
    }

    /// <summary>Wipes the buffer and gives it back to the pool; the writer can still be used (it rents again).</summary>
    public void Release()
    {
        var buffer = _buffer;
        _buffer = [];
        if (buffer.Length > 0)
        {
            buffer.AsSpan(0, Length).Clear();
            ArrayPool<byte>.Shared.Return(buffer);
        }

        Length = 0;
    }

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
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(Math.Max(_buffer.Length * 2, Length + count), 16));
            _buffer.AsSpan(0, Length).CopyTo(bigger);
            if (_buffer.Length > 0)
            {
                _buffer.AsSpan(0, Length).Clear();
                ArrayPool<byte>.Shared.Return(_buffer);
            }

            _buffer = bigger;
        }

        var span = _buffer.AsSpan(Length, count);
        Length += count;
        return span;
    }
}
