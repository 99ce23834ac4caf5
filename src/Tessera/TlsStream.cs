using System.Runtime.CompilerServices;
using Tessera.Messages;
using Tessera.Records;

namespace Tessera;

/// <summary>
/// A <see cref="Stream"/> of plaintext over a transport stream, shaped like SslStream: authenticate,
/// then read and write. It drives a <see cref="TlsConnection"/>, reading the transport only when the
/// engine needs more input, so the bytes it holds stay bounded.
/// </summary>
public sealed class TlsStream : Stream
{
    private const int TransportReadSize = 16 * 1024 + 512;
    private bool _lastReadFilled;
    private const int MaxTransportReadSize = 64 * 1024;   // one pooled 64 KiB array (not the large-object heap)

    private readonly Stream _inner;
    private readonly bool _leaveInnerStreamOpen;
    private ByteQueue? _spareOutput;
    private int _receiving;   // 1 while a transport read writes into the engine's input buffer
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Lock _engineGate = new();
    private TlsConnection? _connection;
    private bool _transportEof;
    private int _readInProgress;
    private bool _disposed;

    /// <summary>Wraps <paramref name="innerStream"/> (for example a NetworkStream).</summary>
    public TlsStream(Stream innerStream, bool leaveInnerStreamOpen = false)
    {
        ArgumentNullException.ThrowIfNull(innerStream);
        _inner = innerStream;
        _leaveInnerStreamOpen = leaveInnerStreamOpen;
    }

    /// <summary>The engine under this stream (after authentication starts).</summary>
    public TlsConnection Connection => _connection ?? throw new InvalidOperationException("Authenticate first.");

    /// <summary>True once the handshake completed.</summary>
    public bool IsAuthenticated => _connection?.IsHandshakeComplete == true;

    /// <summary>The negotiated protocol version.</summary>
    public TlsProtocolVersion NegotiatedProtocol => Connection.NegotiatedProtocol;

    /// <summary>The negotiated cipher suite.</summary>
    public CipherSuite? NegotiatedCipherSuite => Connection.NegotiatedCipherSuite;

    /// <summary>The key-exchange group used.</summary>
    public NamedGroup? NegotiatedGroup => Connection.NegotiatedGroup;

    /// <summary>The ALPN protocol agreed on, or null.</summary>
    public string? NegotiatedApplicationProtocol => Connection.NegotiatedApplicationProtocol;

    /// <summary>The SNI host name sent or received (with Encrypted Client Hello accepted, the inner, encrypted one).</summary>
    public string? ServerName => Connection.ServerName;

    /// <summary>Whether Encrypted Client Hello was offered, and whether the server used the inner ClientHello.</summary>
    public TlsEchStatus EchStatus => Connection.EchStatus;

    /// <summary>The peer's certificate chain (DER, end-entity first).</summary>
    public IReadOnlyList<byte[]> PeerCertificateChain => Connection.PeerCertificateChain;

    /// <inheritdoc />
    public override bool CanRead => !_disposed;

    /// <inheritdoc />
    public override bool CanWrite => !_disposed;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>Runs the client handshake.</summary>
    public Task AuthenticateAsClientAsync(TlsClientOptions options, CancellationToken cancellationToken = default)
    {
        StartAuthentication(TlsConnection.CreateClient(options));
        return HandshakeAsync(cancellationToken);
    }

    /// <summary>
    /// Runs the server handshake, within <see cref="TlsServerOptions.HandshakeTimeout"/> (then the transport is closed and
    /// <see cref="TimeoutException"/> thrown) and only while fewer than <see cref="TlsServerOptions.MaxConcurrentHandshakes"/>
    /// are in progress with the same options (else an internal_error alert and <see cref="TlsException"/>).
    /// </summary>
    public async Task AuthenticateAsServerAsync(TlsServerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.TryEnterHandshake())
        {
            await RefuseAsync(cancellationToken).ConfigureAwait(false);
            throw new TlsException(AlertDescription.InternalError, AlertSource.Local,
                $"{options.MaxConcurrentHandshakes} handshakes are already in progress (TlsServerOptions.MaxConcurrentHandshakes)");
        }

        try
        {
            StartAuthentication(TlsConnection.CreateServer(options));
            if (options.HandshakeTimeout == Timeout.InfiniteTimeSpan)
            {
                await HandshakeAsync(cancellationToken).ConfigureAwait(false);
                return;
            }

            // The timer alone may close the transport (a caller's cancellation only cancels): a transport that ignores
            // cancellation is closed, so the handshake ends on time either way. The state (0 running, 1 finished,
            // 2 timed out) settles the race between the timer and the last flight. With leaveInnerStreamOpen the
            // transport is the caller's, and only cancellation is used.
            using var timer = new CancellationTokenSource(options.HandshakeTimeout);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
            var state = new StrongBox<int>();
            using var close = timer.Token.Register(() =>
            {
                if (Interlocked.CompareExchange(ref state.Value, 2, 0) == 0 && !_leaveInnerStreamOpen)
                {
                    _inner.Dispose();
                }
            });
            try
            {
                await HandshakeAsync(linked.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not TlsException && timer.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                // Whatever the timer's cancellation or the closed transport made of the last read (found by fault injection:
                // the read's cancellation can surface before the timer's callback has run).
                throw new TimeoutException(TimeoutMessage(options), ex);
            }

            if (Interlocked.CompareExchange(ref state.Value, 1, 0) == 2)
            {
                throw new TimeoutException(TimeoutMessage(options));   // the timer closed the transport as the last flight came in
            }
        }
        finally
        {
            options.ExitHandshake();
        }
    }

    private static string TimeoutMessage(TlsServerOptions options) =>
        $"The TLS handshake did not complete within {options.HandshakeTimeout.TotalSeconds:0.###} s (TlsServerOptions.HandshakeTimeout).";

    /// <summary>Refuses a handshake before it starts: a fatal internal_error alert in the clear, best effort.</summary>
    private async Task RefuseAsync(CancellationToken cancellationToken)
    {
        byte[] alert = [(byte)ContentType.Alert, 0x03, 0x03, 0x00, 0x02, 2, (byte)AlertDescription.InternalError];
        try
        {
            await _inner.WriteAsync(alert, cancellationToken).ConfigureAwait(false);
            await _inner.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The client may be gone already; the refusal stands either way.
        }
    }

    /// <inheritdoc />
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var connection = Connection;
        if (!connection.IsHandshakeComplete)
        {
            throw new InvalidOperationException("Authenticate first.");
        }

        // One read at a time, as with SslStream; a read may run alongside a write.
        if (Interlocked.Exchange(ref _readInProgress, 1) != 0)
        {
            throw new NotSupportedException("Another read is already in progress on this TlsStream.");
        }

        try
        {
            return await ReadCoreAsync(connection, buffer, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _readInProgress, 0);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadCoreAsync(TlsConnection connection, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            lock (_engineGate)
            {
                if (connection.AvailableApplicationData > 0)
                {
                    return connection.ReadApplicationData(buffer.Span);
                }
            }

            if (connection.IsReadClosed)
            {
                return 0;
            }

            if (_transportEof)
            {
                throw new IOException("The peer closed the transport without close_notify; the data may be truncated.");
            }

            if (buffer.Length == 0)
            {
                // A zero-byte read (as with SslStream) waits for data without holding a buffer meanwhile: the transport
                // is asked for zero bytes first, then what arrived is decrypted; 0 is returned once data can be read.
                await _inner.ReadAsync(Memory<byte>.Empty, cancellationToken).ConfigureAwait(false);
                await ReceiveAsync(connection, cancellationToken).ConfigureAwait(false);
                lock (_engineGate)
                {
                    if (connection.AvailableApplicationData > 0 || connection.IsReadClosed || _transportEof)
                    {
                        return 0;
                    }
                }

                continue;
            }

            await ReceiveAsync(connection, cancellationToken, ReceiveSizeFor(buffer.Length)).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// How much one transport read asks for: a record's worth, or up to <see cref="MaxTransportReadSize"/> when the
    /// caller's buffer can take the plaintext of several records and the last read filled all it asked for (data is
    /// streaming in: fewer reads for bulk transfers). A connection that waits for data waits with a record's worth.
    /// </summary>
    private int ReceiveSizeFor(int callerBuffer) =>
        _lastReadFilled ? Math.Clamp(callerBuffer + 1024, TransportReadSize, MaxTransportReadSize) : TransportReadSize;

    /// <inheritdoc />
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var connection = Connection;
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_engineGate)
            {
                connection.WriteApplicationData(buffer.Span);
            }

            await FlushOutputAsync(connection, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Sends close_notify; the stream can still read until the peer closes.</summary>
    public async Task ShutdownAsync(CancellationToken cancellationToken = default)
    {
        var connection = Connection;
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_engineGate)
            {
                connection.Close();
            }

            await FlushOutputAsync(connection, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Sends a KeyUpdate (optionally asking the peer to update too).</summary>
    public async Task UpdateKeysAsync(bool requestPeerUpdate, CancellationToken cancellationToken = default)
    {
        var connection = Connection;
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_engineGate)
            {
                connection.RequestKeyUpdate(requestPeerUpdate);
            }

            await FlushOutputAsync(connection, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// Server, TLS 1.3: asks the client for a certificate after the handshake (see <see cref="TlsConnection.RequestClientCertificate"/>);
    /// the answer is processed as the stream is read.
    /// </summary>
    public async Task RequestClientCertificateAsync(CancellationToken cancellationToken = default)
    {
        var connection = Connection;
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_engineGate)
            {
                connection.RequestClientCertificate();
            }

            await FlushOutputAsync(connection, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// Starts a TLS 1.2 secure renegotiation (see <see cref="TlsConnection.Renegotiate"/>). The new handshake
    /// completes as the stream is read; application data keeps flowing meanwhile.
    /// </summary>
    public async Task RenegotiateAsync(CancellationToken cancellationToken = default)
    {
        var connection = Connection;
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_engineGate)
            {
                connection.Renegotiate();
            }

            await FlushOutputAsync(connection, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <inheritdoc />
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc />
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc />
    public override void Flush() => _inner.Flush();

    /// <inheritdoc />
    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            // Under the gate: a read or write on another thread is either done with the engine's pooled buffers or
            // has not started on them, and finds the connection disposed.
            lock (_engineGate)
            {
                if (Volatile.Read(ref _receiving) != 0)
                {
                    // A transport read may still be writing into the engine's input buffer: it must not go back to the
                    // pool for someone else to rent. Let the collector have it instead.
                    _connection?.AbandonReceiveBuffer();
                }

                _connection?.Dispose();
            }

            Interlocked.Exchange(ref _spareOutput, null)?.Dispose();
            _writeLock.Dispose();
            if (!_leaveInnerStreamOpen)
            {
                _inner.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        Dispose(true);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private void StartAuthentication(TlsConnection connection)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_connection is not null)
        {
            connection.Dispose();
            throw new InvalidOperationException("Authentication was already started on this stream.");
        }

        _connection = connection;
    }

    private async Task HandshakeAsync(CancellationToken cancellationToken)
    {
        var connection = _connection!;
        try
        {
            lock (_engineGate)
            {
                connection.Start();
            }

            await FlushOutputAsync(connection, cancellationToken).ConfigureAwait(false);
            while (!connection.IsHandshakeComplete)
            {
                if (_transportEof)
                {
                    throw new IOException("The peer closed the transport during the handshake.");
                }

                await ReceiveAsync(connection, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (TlsException)
        {
            // Deliver the alert the engine queued before surfacing the error.
            await TryFlushAsync(connection).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Reads from the transport until <paramref name="done"/> holds (e.g. a TLS 1.3 ticket has arrived) or the peer
    /// closes; application data read meanwhile stays buffered for the next read. Not concurrent with a read.
    /// </summary>
    internal async Task<bool> ReceiveUntilAsync(Func<TlsConnection, bool> done, CancellationToken cancellationToken)
    {
        var connection = _connection ?? throw new InvalidOperationException("Authenticate first.");
        while (!done(connection) && !_transportEof && !connection.IsReadClosed)
        {
            await ReceiveAsync(connection, cancellationToken).ConfigureAwait(false);
        }

        return done(connection);
    }

    /// <summary>One transport read straight into the engine's input (no copy), then whatever the engine has to say is sent.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ReceiveAsync(TlsConnection connection, CancellationToken cancellationToken, int size = TransportReadSize)
    {
        // _receiving changes only under the gate, where Dispose looks at it: a buffer the transport may still be
        // writing into is never handed back to the pool, and a disposed engine is never handed a buffer or bytes.
        Memory<byte> room;
        lock (_engineGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            room = connection.GetReceiveBuffer(size);
            Volatile.Write(ref _receiving, 1);
        }

        int n;
        try
        {
            n = await _inner.ReadAsync(room, cancellationToken).ConfigureAwait(false);
            _lastReadFilled = n == room.Length;
        }
        catch
        {
            ReleaseReceiveBuffer(connection);
            throw;
        }

        if (n == 0)
        {
            ReleaseReceiveBuffer(connection);
            _transportEof = true;
            return;
        }

        try
        {
            lock (_engineGate)
            {
                Volatile.Write(ref _receiving, 0);
                ObjectDisposedException.ThrowIf(_disposed, this);
                connection.CommitReceived(n);
            }

            while (connection.PendingOperation is { } pending)
            {
                await pending.WaitAsync(cancellationToken).ConfigureAwait(false);
                lock (_engineGate)
                {
                    connection.ResumePendingOperation();
                }
            }
        }
        catch (TlsException)
        {
            await TryFlushAsync(connection).ConfigureAwait(false);
            throw;
        }

        if (connection.PendingOutputLength > 0)
        {
            await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await FlushOutputAsync(connection, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _writeLock.Release();
            }
        }
    }

    private void ReleaseReceiveBuffer(TlsConnection connection)
    {
        lock (_engineGate)
        {
            Volatile.Write(ref _receiving, 0);
            if (!_disposed)
            {
                connection.ReleaseReceiveBuffer();
            }
        }
    }

    /// <summary>
    /// Sends everything the engine has queued: its output queue is swapped for an empty spare and written to the
    /// transport as it is, in one write per flight, without copying.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask FlushOutputAsync(TlsConnection connection, CancellationToken cancellationToken)
    {
        while (true)
        {
            ByteQueue full;
            lock (_engineGate)
            {
                if (connection.PendingOutputLength == 0)
                {
                    break;
                }

                full = connection.SwapOutput(Interlocked.Exchange(ref _spareOutput, null) ?? new ByteQueue(TransportReadSize));
            }

            try
            {
                await _inner.WriteAsync(full.Memory, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                full.Clear();
                if (_disposed || Interlocked.CompareExchange(ref _spareOutput, full, null) is not null)
                {
                    full.Dispose();
                }
            }
        }

        await _inner.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task TryFlushAsync(TlsConnection connection)
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await FlushOutputAsync(connection, cts.Token).ConfigureAwait(false);
        }
        catch (IOException)
        {
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
