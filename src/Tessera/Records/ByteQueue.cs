using System.Buffers;

namespace Tessera.Records;

/// <summary>
/// A FIFO of bytes on one pooled array that is reused: append at the tail, consume from the head.
/// Steady-state use allocates nothing; the array grows only when more is held at once than before.
/// </summary>
internal sealed class ByteQueue : IDisposable
{
    private byte[] _buffer;
    private int _start;
    private int _end;

    public ByteQueue(int initialCapacity = 4096) => _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);

    public int Count => _end - _start;

    public ReadOnlySpan<byte> Span => _buffer.AsSpan(_start, _end - _start);

    public Span<byte> WritableSpan => _buffer.AsSpan(_start, _end - _start);

    public void Append(ReadOnlySpan<byte> data)
    {
        data.CopyTo(GetAppendSpan(data.Length));
        _end += data.Length;
    }

    /// <summary>Returns a span of at least <paramref name="size"/> bytes at the tail; call <see cref="Advance"/> after writing.</summary>
    public Span<byte> GetAppendSpan(int size)
    {
        EnsureTail(size);
        return _buffer.AsSpan(_end, size);
    }

    public void Advance(int count) => _end += count;

    public int Read(Span<byte> destination)
    {
        int n = Math.Min(destination.Length, Count);
        _buffer.AsSpan(_start, n).CopyTo(destination);
        Consume(n);
        return n;
    }

    public void Consume(int count)
    {
        _start += count;
        if (_start == _end)
        {
            _start = _end = 0;
        }
    }

    public void Clear() => _start = _end = 0;

    public void Dispose()
    {
        var b = _buffer;
        _buffer = [];
        _start = _end = 0;
        if (b.Length > 0)
        {
            b.AsSpan().Clear();
            ArrayPool<byte>.Shared.Return(b);
        }
    }

    private void EnsureTail(int size)
    {
        if (_buffer.Length - _end >= size)
        {
            return;
        }

        int live = Count;
        if (_buffer.Length - live >= size && _start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, live);
            _start = 0;
            _end = live;
            return;
        }

        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, live + size));
        _buffer.AsSpan(_start, live).CopyTo(bigger);
        _buffer.AsSpan().Clear();
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
        _start = 0;
        _end = live;
    }
}
