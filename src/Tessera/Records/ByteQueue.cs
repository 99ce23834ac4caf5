using System.Buffers;

namespace Tessera.Records;

/// <summary>
/// A FIFO of bytes on a pooled array: append at the tail, consume from the head. The array is rented when bytes
/// arrive and goes back to the pool as soon as the queue is empty, so an idle connection holds no buffer; steady-state
/// use allocates nothing. With <c>clearConsumed</c> (for plaintext) consumed bytes are wiped before anyone else can see
/// the array again.
/// </summary>
internal sealed class ByteQueue : IDisposable
{
    private readonly int _initialCapacity;
    private readonly bool _clearConsumed;
    private byte[] _buffer = [];
    private int _start;
    private int _end;
    private bool _disposed;

    public ByteQueue(int initialCapacity = 4096, bool clearConsumed = false)
    {
        _initialCapacity = initialCapacity;
        _clearConsumed = clearConsumed;
    }

    public int Count => _end - _start;

    /// <summary>The size of the array held now (0 when empty): what an idle queue costs.</summary>
    public int Capacity => _buffer.Length;

    public ReadOnlySpan<byte> Span => _buffer.AsSpan(_start, _end - _start);

    public Span<byte> WritableSpan => _buffer.AsSpan(_start, _end - _start);

    /// <summary>The queued bytes as memory, e.g. for an asynchronous transport write; valid until the queue changes.</summary>
    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(_start, _end - _start);

    public void Append(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        data.CopyTo(GetAppendSpan(data.Length));
        _end += data.Length;
    }

    /// <summary>Returns a span of at least <paramref name="size"/> bytes at the tail; call <see cref="Advance"/> after writing.</summary>
    public Span<byte> GetAppendSpan(int size)
    {
        EnsureTail(size);
        return _buffer.AsSpan(_end, size);
    }

    /// <summary>All the room at the tail, at least <paramref name="size"/> bytes, as memory (e.g. for a transport read straight into the queue); then <see cref="Advance"/>.</summary>
    public Memory<byte> GetAppendMemory(int size)
    {
        EnsureTail(size);
        return _buffer.AsMemory(_end);
    }

    /// <summary>The first <paramref name="length"/> bytes past the end, as written after <see cref="GetAppendSpan"/> and before <see cref="Advance"/>.</summary>
    public Span<byte> Tail(int length) => _buffer.AsSpan(_end, length);

    public void Advance(int count)
    {
        _end += count;
        if (_start == _end)
        {
            Release();
        }
    }

    /// <summary>Gives the array back to the pool if nothing is queued (after room was taken but not used).</summary>
    public void TrimIfEmpty()
    {
        if (_start == _end)
        {
            Release();
        }
    }

    public int Read(Span<byte> destination)
    {
        int n = Math.Min(destination.Length, Count);
        _buffer.AsSpan(_start, n).CopyTo(destination);
        Consume(n);
        return n;
    }

    public void Consume(int count)
    {
        if (_clearConsumed)
        {
            _buffer.AsSpan(_start, count).Clear();
        }

        _start += count;
        if (_start == _end)
        {
            Release();
        }
    }

    public void Clear()
    {
        if (_clearConsumed)
        {
            _buffer.AsSpan(_start, _end - _start).Clear();
        }

        Release();
    }

    /// <summary>
    /// Forgets the array without wiping it or returning it to the pool, for when something else (a transport read in
    /// flight) may still write into it; what it held is wiped first.
    /// </summary>
    public void Abandon()
    {
        _buffer.AsSpan(0, _end).Clear();
        _buffer = [];
        _start = _end = 0;
    }

    public void Dispose()
    {
        _disposed = true;
        if (_buffer.Length > 0)
        {
            _buffer.AsSpan().Clear();
        }

        Release();
    }

    private void Release()
    {
        _start = _end = 0;
        var b = _buffer;
        if (b.Length == 0)
        {
            return;
        }

        _buffer = [];
        ArrayPool<byte>.Shared.Return(b);
    }

    private void EnsureTail(int size)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_buffer.Length - _end >= size)
        {
            return;
        }

        int live = Count;
        if (_buffer.Length - live >= size && _start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, live);
            if (_clearConsumed)
            {
                _buffer.AsSpan(live, _start).Clear();   // the moved bytes' old copies
            }

            _start = 0;
            _end = live;
            return;
        }

        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(Math.Max(_buffer.Length * 2, live + size), _initialCapacity));
        _buffer.AsSpan(_start, live).CopyTo(bigger);
        if (_buffer.Length > 0)
        {
            _buffer.AsSpan().Clear();
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = bigger;
        _start = 0;
        _end = live;
    }
}
