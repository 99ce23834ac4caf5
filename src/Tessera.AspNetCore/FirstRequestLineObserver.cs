using System.Text;

namespace Tessera.AspNetCore;

/// <summary>
/// Passes the decrypted request bytes through to Kestrel and notes whether the connection's first request line asks
/// for HTTP/1.0. Such a response may be delimited by the end of the connection (no length, no chunks), and then only
/// a close without close_notify can tell the client that a failed response was cut short.
/// </summary>
internal sealed class FirstRequestLineObserver(Stream inner) : Stream
{
    private const int MaxRequestLine = 8192;   // Kestrel's own default limit for a request line
    private readonly byte[] _line = new byte[MaxRequestLine];
    private int _length;
    private bool _done;

    /// <summary>True when the first request line ended in "HTTP/1.0".</summary>
    public bool FirstRequestIsHttp10 { get; private set; }

    public override bool CanRead => true;

    public override bool CanWrite => false;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Observe(buffer.Span[..n]);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count)
    {
        int n = inner.Read(buffer, offset, count);
        Observe(buffer.AsSpan(offset, n));
        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    internal void Observe(ReadOnlySpan<byte> bytes)
    {
        if (_done || bytes.IsEmpty)
        {
            return;
        }

        int newline = bytes.IndexOf((byte)'\n');
        var take = newline < 0 ? bytes : bytes[..newline];
        take = take[..Math.Min(take.Length, MaxRequestLine - _length)];
        take.CopyTo(_line.AsSpan(_length));
        _length += take.Length;
        if (newline < 0 && _length < MaxRequestLine)
        {
            return;
        }

        _done = true;
        var line = _line.AsSpan(0, _length).TrimEnd((byte)'\r');
        FirstRequestIsHttp10 = newline >= 0 && line.EndsWith(" HTTP/1.0"u8);
    }
}
