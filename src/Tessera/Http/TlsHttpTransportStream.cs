using System.Buffers;
using System.Buffers.Binary;

namespace Tessera.Http;

/// <summary>
/// The stream SocketsHttpHandler gets for a Tessera connection. Failures come out as <see cref="IOException"/> with the
/// <see cref="TlsException"/> inside, as they do from SslStream, so HttpClient reports them as
/// <see cref="System.Net.Http.HttpRequestException"/> (and retries where it may).
/// </summary>
/// <remarks>
/// For HTTP/2 the handler believes the connection is cleartext, so its HEADERS frames name <c>:scheme http</c> (HPACK
/// static index 6), which is not what the request was. Then this stream changes that one byte to <c>:scheme https</c>
/// (static index 7) and passes everything else through: same length, same HPACK state (static indexes never touch
/// the dynamic table, RFC 7541 §6.1). Servers such as Kestrel refuse a scheme that does not match the connection
/// (RFC 9113 §8.3.1). Frames are followed from the connection preface on (RFC 9113 §3.4, §4.1); a HEADERS frame
/// split over several writes is held back until it is whole: it is our own output, bounded by the largest frame
/// HTTP/2 allows.
/// </remarks>
internal sealed class TlsHttpTransportStream(Stream inner, bool http2) : Stream
{
    private const int FrameHeaderLength = 9;
    private const byte HeadersFrame = 0x1;
    private const byte PaddedFlag = 0x8;
    private const byte PriorityFlag = 0x20;
    private const int MaxFrameLength = (1 << 24) - 1;

    private int _prefaceRemaining = 24;
    private long _passThroughRemaining;
    private byte[] _held = [];
    private int _heldCount;

    public override bool CanRead => inner.CanRead;

    public override bool CanWrite => inner.CanWrite;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            return await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (TlsException ex)
        {
            throw new IOException(ex.Message, ex);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            if (http2)
            {
                await WriteHttp2Async(buffer, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (TlsException ex)
        {
            throw new IOException(ex.Message, ex);
        }
    }

    private async ValueTask WriteHttp2Async(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        var total = _heldCount + buffer.Length;
        var work = ArrayPool<byte>.Shared.Rent(Math.Max(total, 1));
        try
        {
            _held.AsSpan(0, _heldCount).CopyTo(work);
            buffer.Span.CopyTo(work.AsSpan(_heldCount));
            var ready = Process(work.AsSpan(0, total));
            Hold(work.AsSpan(ready, total - ready));
            if (ready > 0)
            {
                await inner.WriteAsync(work.AsMemory(0, ready), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(work);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>Patches what can be patched in place; returns how many leading bytes may be written now.</summary>
    internal int Process(Span<byte> data)
    {
        var position = 0;
        while (position < data.Length)
        {
            if (_prefaceRemaining > 0)
            {
                var take = Math.Min(_prefaceRemaining, data.Length - position);
                _prefaceRemaining -= take;
                position += take;
                continue;
            }

            if (_passThroughRemaining > 0)
            {
                var take = (int)Math.Min(_passThroughRemaining, data.Length - position);
                _passThroughRemaining -= take;
                position += take;
                continue;
            }

            var rest = data[position..];
            if (rest.Length < FrameHeaderLength)
            {
                break;
            }

            var length = (rest[0] << 16) | (rest[1] << 8) | rest[2];
            var type = rest[3];
            var flags = rest[4];
            var streamId = BinaryPrimitives.ReadUInt32BigEndian(rest[5..]) & 0x7FFF_FFFF;
            if (type != HeadersFrame || streamId == 0)
            {
                position += FrameHeaderLength;
                _passThroughRemaining = length;
                continue;
            }

            if (rest.Length < FrameHeaderLength + length)
            {
                break;   // hold the whole HEADERS frame back until its end is written
            }

            PatchScheme(rest.Slice(FrameHeaderLength, length), flags);
            position += FrameHeaderLength + length;
        }

        return position;
    }

    private void Hold(ReadOnlySpan<byte> rest)
    {
        if (rest.Length > FrameHeaderLength + MaxFrameLength)
        {
            throw new IOException("An HTTP/2 frame longer than the protocol allows was written.");
        }

        if (_held.Length < rest.Length)
        {
            _held = new byte[Math.Max(rest.Length, 2 * _held.Length)];
        }

        rest.CopyTo(_held);
        _heldCount = rest.Length;
    }

    /// <summary>Finds <c>:scheme http</c> among the first representations of the header block and makes it https.</summary>
    private static void PatchScheme(Span<byte> payload, byte flags)
    {
        var start = 0;
        var end = payload.Length;
        if ((flags & PaddedFlag) != 0)
        {
            if (payload.Length == 0)
            {
                return;
            }

            end -= payload[0];
            start = 1;
        }

        if ((flags & PriorityFlag) != 0)
        {
            start += 5;
        }

        if (start > end || end > payload.Length)
        {
            return;
        }

        var block = payload[start..end];
        var i = 0;
        // Pseudo-header fields come first (RFC 9113 §8.3); SocketsHttpHandler writes :method then :scheme. Only fields
        // whose names are static pseudo-header entries (RFC 7541 Appendix A: 1 to 14) are passed over; anything else ends the search.
        while (i < block.Length)
        {
            var b = block[i];
            if ((b & 0x80) != 0)
            {
                if (!TryReadInteger(block, ref i, 7, out var index) || index is < 1 or > 14)
                {
                    return;
                }

                if (index == 6 && b == 0x86)
                {
                    block[i - 1] = 0x87;
                    return;
                }

                if (index == 7)
                {
                    return;
                }
            }
            else if ((b & 0xE0) == 0x20)
            {
                if (!TryReadInteger(block, ref i, 5, out _))
                {
                    return;
                }
            }
            else
            {
                var prefix = (b & 0xC0) == 0x40 ? 6 : 4;
                if (!TryReadInteger(block, ref i, prefix, out var nameIndex) || nameIndex is < 1 or > 14 || !TrySkipString(block, ref i))
                {
                    return;
                }
            }
        }
    }

    /// <summary>An HPACK integer (RFC 7541 §5.1) with an N-bit prefix.</summary>
    private static bool TryReadInteger(ReadOnlySpan<byte> block, ref int i, int prefixBits, out long value)
    {
        var mask = (1 << prefixBits) - 1;
        value = block[i++] & mask;
        if (value < mask)
        {
            return true;
        }

        for (var shift = 0; shift <= 28; shift += 7)
        {
            if (i >= block.Length)
            {
                return false;
            }

            var b = block[i++];
            value += (long)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return true;
            }
        }

        return false;
    }

    private static bool TrySkipString(ReadOnlySpan<byte> block, ref int i)
    {
        if (i >= block.Length || !TryReadInteger(block, ref i, 7, out var length) || length > block.Length - i)
        {
            return false;
        }

        i += (int)length;
        return true;
    }
}
