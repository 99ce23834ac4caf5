using System.Buffers;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using Org.BouncyCastle.Tls;

namespace Tessera.Bench.Stacks;

/// <summary>
/// The plaintext side of a BouncyCastle connection. BouncyCastle's reads and writes block, so the async forms hand
/// them to <see cref="BouncyCastleThreads"/>: async writes are copied and written through behind the caller
/// (<see cref="WriteBehind"/>), async reads are served by a reader that keeps going while data flows and stops when the
/// connection goes quiet (<see cref="ReadAhead"/>). So the caller is not passed from thread to thread on every call,
/// a reader and a writer driven from one thread cannot deadlock, and an idle connection holds no thread. The
/// synchronous forms call BouncyCastle directly (after what the async forms have queued). End of stream reads 0.
/// Disposing writes out what is queued, sends close_notify and closes the transport.
/// </summary>
internal sealed class BouncyCastleTlsStream(TlsProtocol protocol, Stream transport) : Stream
{
    /// <summary>How long disposing waits for queued writes to reach a peer that no longer reads.</summary>
    private static readonly TimeSpan DrainOnDispose = TimeSpan.FromSeconds(5);

    private readonly Stream _inner = protocol.Stream;
    private readonly Lock _start = new();
    private WriteBehind? _writeBehind;
    private ReadAhead? _readAhead;
    private int _disposed;

    public override bool CanRead => Volatile.Read(ref _disposed) == 0;

    public override bool CanWrite => Volatile.Read(ref _disposed) == 0;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (buffer.IsEmpty)
            return 0;
        var readAhead = Volatile.Read(ref _readAhead);
        if (readAhead is not null)
            return readAhead.Read(buffer);
        // BouncyCastle reports the end of the stream (close_notify received) as -1.
        return Math.Max(0, _inner.Read(buffer));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled<int>(cancellationToken);
        if (Volatile.Read(ref _disposed) != 0)
            return ValueTask.FromException<int>(new ObjectDisposedException(GetType().FullName));
        if (buffer.IsEmpty)
            return ValueTask.FromResult(0);
        return GetReadAhead().ReadAsync(buffer, cancellationToken);
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        Volatile.Read(ref _writeBehind)?.Drain();
        _inner.Write(buffer);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled(cancellationToken);
        if (Volatile.Read(ref _disposed) != 0)
            return ValueTask.FromException(new ObjectDisposedException(GetType().FullName));
        return GetWriteBehind().WriteAsync(buffer, cancellationToken);
    }

    /// <summary>Waits until what the async writes queued has been written through.</summary>
    public override void Flush()
    {
        Volatile.Read(ref _writeBehind)?.Drain();
        _inner.Flush();
    }

    /// <summary>Completes when what the async writes queued has been written through.</summary>
    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
            return Task.FromCanceled(cancellationToken);
        var writeBehind = Volatile.Read(ref _writeBehind);
        return writeBehind is null ? Task.CompletedTask : writeBehind.DrainAsync().WaitAsync(cancellationToken);
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        var writeBehind = Volatile.Read(ref _writeBehind);
        if (writeBehind is not null && Volatile.Read(ref _disposed) == 0)
        {
            // Waiting here keeps the caller's thread free; Dispose then finds the queue written out.
            await writeBehind.DrainAsync().WaitAsync(DrainOnDispose).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            var writeBehind = Volatile.Read(ref _writeBehind);
            if (writeBehind is not null)
            {
                var drain = writeBehind.DrainAsync();
                drain.WaitAsync(DrainOnDispose).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing).GetAwaiter().GetResult();
                if (!drain.IsCompleted)
                {
                    // The peer stopped reading: closing the transport ends the blocked write, so Close below can run.
                    transport.Dispose();
                }
            }
            try
            {
                // BouncyCastle's stream closes the connection: close_notify (unless it already failed or closed),
                // then the transport.
                _inner.Dispose();
            }
            catch (IOException)
            {
                // The peer may already be gone; closing is all that is left to do.
            }
            catch (ObjectDisposedException)
            {
                // Likewise.
            }
            finally
            {
                transport.Dispose();
                Volatile.Read(ref _readAhead)?.Discard();
            }
        }
        base.Dispose(disposing);
    }

    private WriteBehind GetWriteBehind()
    {
        var writeBehind = Volatile.Read(ref _writeBehind);
        if (writeBehind is not null)
            return writeBehind;
        lock (_start)
            return _writeBehind ??= new WriteBehind(_inner);
    }

    private ReadAhead GetReadAhead()
    {
        var readAhead = Volatile.Read(ref _readAhead);
        if (readAhead is not null)
            return readAhead;
        lock (_start)
            return _readAhead ??= new ReadAhead(protocol, _inner, transport);
    }

    /// <summary>
    /// Copies each async write into a queue that a BouncyCastle thread writes through, one <c>Write</c> per async
    /// write (so records are cut as a direct write would cut them). The writer waits only when a high-water mark of
    /// bytes is queued, until the queue falls to a low-water mark. A failed write fails the writes and flushes after it.
    /// </summary>
    private sealed class WriteBehind(Stream inner)
    {
        private const int HighWater = 256 * 1024;
        private const int LowWater = 64 * 1024;

        private readonly Lock _lock = new();
        private readonly Queue<(byte[] Array, int Count)> _chunks = new();
        private int _queuedBytes;
        private bool _draining;
        private ExceptionDispatchInfo? _error;
        private TaskCompletionSource? _space;
        private TaskCompletionSource? _drained;

        public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            if (data.IsEmpty)
                return ValueTask.CompletedTask;
            var array = ArrayPool<byte>.Shared.Rent(data.Length);
            data.Span.CopyTo(array);
            Task? wait = null;
            lock (_lock)
            {
                if (_error is not null)
                {
                    ArrayPool<byte>.Shared.Return(array);
                    return ValueTask.FromException(_error.SourceException);
                }
                _chunks.Enqueue((array, data.Length));
                _queuedBytes += data.Length;
                if (!_draining)
                {
                    _draining = true;
                    _ = BouncyCastleThreads.Run(WriteThrough);
                }
                if (_queuedBytes >= HighWater)
                    wait = (_space ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }
            return wait is null ? ValueTask.CompletedTask : new ValueTask(wait.WaitAsync(cancellationToken));
        }

        /// <summary>Completes (or fails) once everything queued so far has been written through.</summary>
        public Task DrainAsync()
        {
            lock (_lock)
            {
                if (_error is not null)
                    return Task.FromException(_error.SourceException);
                if (!_draining)
                    return Task.CompletedTask;
                return (_drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }
        }

        public void Drain() => DrainAsync().GetAwaiter().GetResult();

        private void WriteThrough()
        {
            while (true)
            {
                (byte[] Array, int Count) chunk;
                lock (_lock)
                {
                    if (!_chunks.TryDequeue(out chunk))
                    {
                        _draining = false;
                        Release(ref _drained, null);
                        return;
                    }
                }
                try
                {
                    inner.Write(chunk.Array, 0, chunk.Count);
                }
                catch (Exception ex)
                {
                    lock (_lock)
                    {
                        _error = ExceptionDispatchInfo.Capture(ex);
                        _draining = false;
                        while (_chunks.TryDequeue(out var dropped))
                            ArrayPool<byte>.Shared.Return(dropped.Array);
                        _queuedBytes = 0;
                        Release(ref _space, ex);
                        Release(ref _drained, ex);
                    }
                    return;
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(chunk.Array);
                }
                lock (_lock)
                {
                    _queuedBytes -= chunk.Count;
                    if (_queuedBytes <= LowWater)
                        Release(ref _space, null);
                }
            }
        }

        private static void Release(ref TaskCompletionSource? waiters, Exception? error)
        {
            var released = waiters;
            waiters = null;
            if (error is null)
                released?.TrySetResult();
            else
                released?.TrySetException(error);
        }
    }

    /// <summary>
    /// A BouncyCastle thread reads (one <c>Read</c>, so about one record, at a time) into a queue that the reads drain.
    /// It starts when a read finds the queue empty and keeps going while more data is at hand (see
    /// <see cref="MoreAtHand"/>), up to a high-water mark of unread bytes (then it resumes when the reads bring them to
    /// a low-water mark). So a flowing connection is read ahead, while an idle one holds no thread. The end of the
    /// stream and a failed read are reported after the data before them.
    /// </summary>
    private sealed class ReadAhead(TlsProtocol protocol, Stream inner, Stream transport)
    {
        private const int ChunkSize = 16 * 1024;
        private const int HighWater = 256 * 1024;
        private const int LowWater = 64 * 1024;
        private static readonly TimeSpan FlowWait = TimeSpan.FromMilliseconds(1);

        private readonly Lock _lock = new();
        private readonly Queue<Chunk> _chunks = new();
        private int _bufferedBytes;
        private bool _pumping;
        private bool _full;
        private bool _ended;
        private bool _discarded;
        private ExceptionDispatchInfo? _error;
        private TaskCompletionSource? _arrived;

        public async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken)
        {
            while (true)
            {
                var wait = TryRead(destination.Span, out int read);
                if (wait is null)
                    return read;
                await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        public int Read(Span<byte> destination)
        {
            while (true)
            {
                var wait = TryRead(destination, out int read);
                if (wait is null)
                    return read;
                wait.GetAwaiter().GetResult();
            }
        }

        /// <summary>Drops what was read ahead once the stream is disposed.</summary>
        public void Discard()
        {
            lock (_lock)
            {
                _discarded = true;
                while (_chunks.TryDequeue(out var chunk))
                    ArrayPool<byte>.Shared.Return(chunk.Array);
                _bufferedBytes = 0;
                _error ??= ExceptionDispatchInfo.Capture(new ObjectDisposedException(nameof(BouncyCastleTlsStream)));
                Arrived();
            }
        }

        /// <summary>Copies what is buffered (returning null), or returns what to wait for.</summary>
        private Task? TryRead(Span<byte> destination, out int read)
        {
            read = 0;
            lock (_lock)
            {
                while (read < destination.Length && _chunks.TryPeek(out var chunk))
                {
                    int n = Math.Min(chunk.Count, destination.Length - read);
                    chunk.Array.AsSpan(chunk.Offset, n).CopyTo(destination[read..]);
                    read += n;
                    _bufferedBytes -= n;
                    if (n == chunk.Count)
                    {
                        _chunks.Dequeue();
                        ArrayPool<byte>.Shared.Return(chunk.Array);
                    }
                    else
                    {
                        chunk.Offset += n;
                        chunk.Count -= n;
                    }
                }
                if (read > 0)
                {
                    if (_full && _bufferedBytes <= LowWater)
                    {
                        _full = false;
                        StartPump();
                    }
                    return null;
                }
                if (_ended || _error is not null)
                {
                    _error?.Throw();
                    return null;
                }
                if (!_pumping)
                    StartPump();
                return (_arrived ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }
        }

        private void StartPump()
        {
            _pumping = true;
            _ = BouncyCastleThreads.Run(Pump);
        }

        private void Pump()
        {
            while (true)
            {
                var array = ArrayPool<byte>.Shared.Rent(ChunkSize);
                int n;
                try
                {
                    n = inner.Read(array, 0, ChunkSize);
                }
                catch (Exception ex)
                {
                    ArrayPool<byte>.Shared.Return(array);
                    lock (_lock)
                    {
                        _error ??= ExceptionDispatchInfo.Capture(ex);
                        _pumping = false;
                        Arrived();
                    }
                    return;
                }
                lock (_lock)
                {
                    if (n <= 0 || _discarded)
                    {
                        ArrayPool<byte>.Shared.Return(array);
                        _ended |= n <= 0;
                        _pumping = false;
                        Arrived();
                        return;
                    }
                    _chunks.Enqueue(new Chunk(array, n));
                    _bufferedBytes += n;
                    Arrived();
                    if (_bufferedBytes >= HighWater)
                    {
                        _full = true;
                        _pumping = false;
                        return;
                    }
                }
                if (MoreAtHand())
                    continue;
                lock (_lock)
                {
                    // Nothing more at hand: stop rather than hold a thread on a connection that may now be idle,
                    // unless a read came meanwhile (it left the reading to this pump). The next read that finds the
                    // queue empty starts a new pump.
                    if (_arrived is null || _discarded)
                    {
                        _pumping = false;
                        return;
                    }
                }
            }
        }

        /// <summary>
        /// Whether data is at hand or about to be: decrypted data BouncyCastle still holds, or (on a socket) bytes that
        /// arrive within <see cref="FlowWait"/>, which bridges the gaps of a flowing connection but not idleness.
        /// </summary>
        private bool MoreAtHand()
        {
            if (protocol.ApplicationDataAvailable > 0)
                return true;
            try
            {
                // Readable also when the peer has closed: the next read then reports it.
                return transport is NetworkStream network && network.Socket.Poll(FlowWait, SelectMode.SelectRead);
            }
            catch (Exception ex) when (ex is ObjectDisposedException or SocketException or IOException)
            {
                return false;
            }
        }

        private void Arrived()
        {
            var arrived = _arrived;
            _arrived = null;
            arrived?.TrySetResult();
        }

        private sealed class Chunk(byte[] array, int count)
        {
            public byte[] Array { get; } = array;

            public int Offset { get; set; }

            public int Count { get; set; } = count;
        }
    }
}
