using System.Threading.Channels;

namespace Tessera.Tests.Faults;

/// <summary>
/// An in-memory duplex connection (two streams, one per end) whose traffic in one direction passes through a
/// <see cref="Fault"/>. Writes are chunks on a channel; the fault rewrites the byte sequence as it goes by.
/// Disposing an end closes it for the other end, which then reads 0 (as with a socket).
/// </summary>
internal sealed class FaultyPipe
{
    public FaultyPipe(Fault? fault)
    {
        var toServer = Channel.CreateUnbounded<byte[]>();
        var toClient = Channel.CreateUnbounded<byte[]>();
        Client = new End(toClient.Reader, toServer.Writer, fault is { ClientToServer: true } ? new Injector(fault) : null, seed: 17);
        Server = new End(toServer.Reader, toClient.Writer, fault is { ClientToServer: false } ? new Injector(fault) : null, seed: 29);
        Client.Peer = Server;
        Server.Peer = Client;
    }

    public End Client { get; }

    public End Server { get; }

    /// <summary>Rewrites one direction's bytes according to the fault, keeping count of the offset.</summary>
    internal sealed class Injector(Fault fault)
    {
        private long _position;
        private readonly List<byte> _held = [];
        private int _reorderAfter = -1;

        public bool Closed { get; private set; }

        /// <summary>What actually goes on for the bytes written; null when the connection closes here.</summary>
        public async Task<byte[]> ApplyAsync(byte[] data)
        {
            var output = new List<byte>(data.Length + 16);
            foreach (byte b in data)
            {
                long at = _position++;
                if (Closed)
                {
                    break;
                }

                switch (fault.Kind)
                {
                    case FaultKind.Drop when at >= fault.Offset && at < fault.Offset + fault.Length:
                        continue;
                    case FaultKind.CloseAt when at >= fault.Offset:
                        Closed = true;
                        continue;
                    case FaultKind.Duplicate when at >= fault.Offset && at < fault.Offset + fault.Length:
                        _held.Add(b);
                        output.Add(b);
                        if (at == fault.Offset + fault.Length - 1)
                        {
                            output.AddRange(_held);
                        }

                        continue;
                    case FaultKind.Reorder when at >= fault.Offset && at < fault.Offset + fault.Length:
                        _held.Add(b);
                        _reorderAfter = fault.Length;
                        continue;
                    case FaultKind.FlipBit when at == fault.Offset:
                        output.Add((byte)(b ^ (1 << (fault.Offset % 8))));
                        continue;
                    case FaultKind.Delay when at == fault.Offset:
                        await Task.Delay(150).ConfigureAwait(false);
                        break;
                }

                output.Add(b);
                if (_reorderAfter > 0 && --_reorderAfter == 0)
                {
                    output.AddRange(_held);
                    _held.Clear();
                }
            }

            return [.. output];
        }
    }

    /// <summary>One end: reads what the other end wrote, writes to it.</summary>
    public sealed class End(ChannelReader<byte[]> incoming, ChannelWriter<byte[]> outgoing, Injector? injector, int seed) : Stream
    {
        private readonly Random _segments = new(seed);
        private byte[] _current = [];
        private int _offset;
        private int _disposed;

        public End? Peer { get; set; }

        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            while (_offset == _current.Length)
            {
                if (Volatile.Read(ref _disposed) != 0)
                {
                    throw new ObjectDisposedException(nameof(End));
                }

                if (!await incoming.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    return 0;
                }

                if (incoming.TryRead(out var next))
                {
                    (_current, _offset) = (next, 0);
                }
            }

            // As TCP does, a read takes whatever has arrived, across the writes that sent it, up to the buffer's size.
            int total = 0;
            while (total < buffer.Length)
            {
                if (_offset == _current.Length)
                {
                    if (!incoming.TryRead(out var next))
                    {
                        break;
                    }

                    (_current, _offset) = (next, 0);
                    continue;
                }

                int n = Math.Min(buffer.Length - total, _current.Length - _offset);
                _current.AsMemory(_offset, n).CopyTo(buffer[total..]);
                _offset += n;
                total += n;
            }

            return total;
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            var data = buffer.ToArray();
            if (injector is not null)
            {
                data = await injector.ApplyAsync(data).ConfigureAwait(false);
            }

            // As TCP may, a write arrives in two segments now and then, with a moment between for the reader to see the first.
            int split = data.Length > 1 && _segments.Next(3) == 0 ? 1 + _segments.Next(data.Length - 1) : data.Length;
            foreach (var segment in split < data.Length ? new[] { data[..split], data[split..] } : [data])
            {
                if (segment.Length > 0 && !outgoing.TryWrite(segment) && injector is not { Closed: true })
                {
                    throw new IOException("the connection was reset by the peer");   // the other end has closed
                }

                if (split < data.Length)
                {
                    await Task.Yield();
                }
            }

            if (injector is { Closed: true })
            {
                CloseBothWays();
            }
        }

        /// <summary>Closing an end closes both directions: the peer reads 0, and what it writes goes nowhere.</summary>
        private void CloseBothWays()
        {
            outgoing.TryComplete();
            Peer?.CompleteOutgoing();
        }

        private void CompleteOutgoing() => outgoing.TryComplete();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                CloseBothWays();
            }

            base.Dispose(disposing);
        }
    }
}
