using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Tessera.Tests.Engine;

/// <summary>The async adapter over real sockets on 127.0.0.1.</summary>
public sealed class TlsStreamTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private static async Task<(Socket Client, Socket Server)> SocketPairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accept = listener.AcceptAsync();
        await client.ConnectAsync(listener.LocalEndPoint!);
        return (client, await accept.WaitAsync(Bound));
    }

    private static async Task<(TlsStream Client, TlsStream Server)> ConnectedPairAsync(Action<TlsClientOptions>? client = null, Action<TlsServerOptions>? server = null)
    {
        var (c, s) = await SocketPairAsync();
        var clientStream = new TlsStream(new NetworkStream(c, ownsSocket: true));
        var serverStream = new TlsStream(new NetworkStream(s, ownsSocket: true));
        using var timeout = new CancellationTokenSource(Bound);
        await Task.WhenAll(
            clientStream.AuthenticateAsClientAsync(TestCerts.ClientOptions(client), timeout.Token),
            serverStream.AuthenticateAsServerAsync(TestCerts.ServerOptions(configure: server), timeout.Token));
        return (clientStream, serverStream);
    }

    private static async Task<byte[]> ReadExactlyAsync(Stream stream, int count)
    {
        var buffer = new byte[count];
        using var timeout = new CancellationTokenSource(Bound);
        await stream.ReadExactlyAsync(buffer, timeout.Token);
        return buffer;
    }

    [Fact]
    public async Task AZeroByteReadWaitsForDataWithoutHoldingABuffer()
    {
        var (client, server) = await ConnectedPairAsync();
        await using var _ = client;
        await using var __ = server;
        using var timeout = new CancellationTokenSource(Bound);
        var waiting = server.ReadAsync(Memory<byte>.Empty, timeout.Token);
        Assert.False(waiting.IsCompleted);                     // nothing sent yet
        Assert.Equal(0, server.Connection.BufferBytesHeld);    // and nothing held while waiting
        await client.WriteAsync("hello"u8.ToArray(), timeout.Token);
        Assert.Equal(0, await waiting);
        Assert.Equal(5, server.Connection.AvailableApplicationData);   // it returned because data can now be read
        Assert.Equal("hello"u8.ToArray(), await ReadExactlyAsync(server, 5));
    }

    [Fact]
    public async Task ALargeReadTakesSeveralRecordsFromOneTransportReadOnceDataStreams()
    {
        // In memory, with everything already sent: a transport read takes what has arrived, up to what it asks for.
        var pipe = new Tessera.Tests.Faults.FaultyPipe(null);
        var counting = new CountingStream(pipe.Server);
        await using var client = new TlsStream(pipe.Client);
        await using var server = new TlsStream(counting);
        using var timeout = new CancellationTokenSource(Bound);
        await Task.WhenAll(
            server.AuthenticateAsServerAsync(TestCerts.ServerOptions(), timeout.Token),
            client.AuthenticateAsClientAsync(TestCerts.ClientOptions(), timeout.Token));
        var sent = new byte[1 << 20];
        Random.Shared.NextBytes(sent);
        await client.WriteAsync(sent, timeout.Token);   // 64 records, all buffered in the pipe
        (int reads, long bytes) = (counting.Reads, counting.Bytes);
        var received = new byte[sent.Length];
        int total = 0;
        while (total < sent.Length)
        {
            total += await server.ReadAsync(received.AsMemory(total, Math.Min(64 * 1024, sent.Length - total)), timeout.Token);
        }

        Assert.True(sent.AsSpan().SequenceEqual(received));
        double perRead = (counting.Bytes - bytes) / (double)(counting.Reads - reads);
        Assert.True(perRead > 48 * 1024, $"{perRead:0} bytes per transport read");   // 64 KiB reads once data streams (a record's worth would be under 33 KiB)
    }

    private sealed class CountingStream(Stream inner) : Stream
    {
        public int Reads { get; private set; }

        public long Bytes { get; private set; }

        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            int n = await inner.ReadAsync(buffer, cancellationToken);
            if (buffer.Length > 0)
            {
                Reads++;
                Bytes += n;
            }

            return n;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    [Fact]
    public async Task AServerHandshakeThatTakesTooLongEndsInATimeoutAndClosesTheTransport()
    {
        // A client that connects and then sends half a ClientHello and nothing more (slowloris).
        var (c, s) = await SocketPairAsync();
        using var silentClient = c;
        await using var server = new TlsStream(new NetworkStream(s, ownsSocket: true));
        var options = TestCerts.ServerOptions(configure: o => o.HandshakeTimeout = TimeSpan.FromMilliseconds(300));
        var handshake = server.AuthenticateAsServerAsync(options);
        await c.SendAsync(new byte[] { 22, 3, 1, 0, 200, 1, 0, 0 });
        var error = await Assert.ThrowsAsync<TimeoutException>(() => handshake.WaitAsync(Bound));
        Assert.Contains("HandshakeTimeout", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, options.HandshakesInProgress);
        var buffer = new byte[16];
        using var read = new CancellationTokenSource(Bound);
        Assert.Equal(0, await c.ReceiveAsync(buffer, SocketFlags.None, read.Token));   // the server closed the connection
    }

    [Fact]
    public async Task CancellingAServerHandshakeIsACancellationAndLeavesACallersTransportOpen()
    {
        var (c, s) = await SocketPairAsync();
        using var silentClient = c;
        await using var transport = new NetworkStream(s, ownsSocket: true);
        await using var server = new TlsStream(transport, leaveInnerStreamOpen: true);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var options = TestCerts.ServerOptions(configure: o => o.HandshakeTimeout = TimeSpan.FromSeconds(30));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => server.AuthenticateAsServerAsync(options, cancel.Token).WaitAsync(Bound));
        Assert.Equal(0, options.HandshakesInProgress);
        await transport.WriteAsync(new byte[] { 1, 2, 3 });   // still the caller's, still open
        var buffer = new byte[3];
        using var read = new CancellationTokenSource(Bound);
        Assert.Equal(3, await c.ReceiveAsync(buffer, SocketFlags.None, read.Token));
    }

    [Fact]
    public async Task AHandshakeWithinTheTimeoutIsUnaffected()
    {
        var (client, server) = await ConnectedPairAsync(server: o => o.HandshakeTimeout = TimeSpan.FromSeconds(5));
        await using var _ = client;
        await using var __ = server;
        await Task.Delay(300);
        using var timeout = new CancellationTokenSource(Bound);
        await client.WriteAsync("still here"u8.ToArray(), timeout.Token);
        Assert.Equal("still here"u8.ToArray(), await ReadExactlyAsync(server, 10));
    }

    [Fact]
    public void PerEndpointCopiesOfServerOptions_CountHandshakesAgainstTheOriginalsLimit()
    {
        // Tessera.AspNetCore copies the options per Kestrel endpoint: the flood limit must not multiply with them.
        var options = TestCerts.ServerOptions(configure: o => o.MaxConcurrentHandshakes = 2);
        var first = options.CopyForEndpoint();
        var second = options.CopyForEndpoint();
        Assert.True(first.TryEnterHandshake());
        Assert.True(second.TryEnterHandshake());
        Assert.False(options.TryEnterHandshake());
        Assert.False(first.TryEnterHandshake());
        Assert.Equal(2, options.HandshakesInProgress);
        first.ExitHandshake();
        Assert.Equal(1, second.HandshakesInProgress);
        Assert.True(second.TryEnterHandshake());
        second.ExitHandshake();
        second.ExitHandshake();
        Assert.Equal(0, options.HandshakesInProgress);
    }

    [Fact]
    public async Task HandshakesPastMaxConcurrentHandshakesAreRefusedAtOnceAndTheSlotsComeBack()
    {
        var options = TestCerts.ServerOptions(configure: o => { o.MaxConcurrentHandshakes = 2; o.HandshakeTimeout = Timeout.InfiniteTimeSpan; });
        var sockets = new List<Socket>();
        var streams = new List<TlsStream>();
        try
        {
            using var stop = new CancellationTokenSource();
            var pending = new List<Task>();
            for (int i = 0; i < 2; i++)
            {
                var (c, s) = await SocketPairAsync();
                sockets.Add(c);
                var stream = new TlsStream(new NetworkStream(s, ownsSocket: true));
                streams.Add(stream);
                pending.Add(stream.AuthenticateAsServerAsync(options, stop.Token));   // silent clients: these wait
            }

            Assert.Equal(2, options.HandshakesInProgress);
            var (c3, s3) = await SocketPairAsync();
            sockets.Add(c3);
            await using var third = new TlsStream(new NetworkStream(s3, ownsSocket: true));
            var refused = await Assert.ThrowsAsync<TlsException>(() => third.AuthenticateAsServerAsync(options).WaitAsync(Bound));
            Assert.Equal(AlertDescription.InternalError, refused.Alert);
            Assert.Contains("MaxConcurrentHandshakes", refused.Message, StringComparison.Ordinal);
            var alert = new byte[7];
            using (var read = new CancellationTokenSource(Bound))
            {
                Assert.Equal(7, await c3.ReceiveAsync(alert, SocketFlags.None, read.Token));
            }

            Assert.Equal(new byte[] { 21, 3, 3, 0, 2, 2, 80 }, alert);   // a fatal internal_error alert in the clear

            await stop.CancelAsync();
            foreach (var task in pending)
            {
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task.WaitAsync(Bound));
            }

            Assert.Equal(0, options.HandshakesInProgress);
            var (c4, s4) = await SocketPairAsync();
            await using var client = new TlsStream(new NetworkStream(c4, ownsSocket: true));
            await using var server = new TlsStream(new NetworkStream(s4, ownsSocket: true));
            using var timeout = new CancellationTokenSource(Bound);
            await Task.WhenAll(server.AuthenticateAsServerAsync(options, timeout.Token), client.AuthenticateAsClientAsync(TestCerts.ClientOptions(), timeout.Token));
            Assert.True(server.IsAuthenticated);
        }
        finally
        {
            foreach (var stream in streams)
            {
                await stream.DisposeAsync();
            }

            sockets.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task DisposingWithAReadPendingEndsTheRead()
    {
        var (client, server) = await ConnectedPairAsync();
        await using var _ = client;
        var pending = server.ReadAsync(new byte[100]).AsTask();
        Assert.False(pending.IsCompleted);
        Assert.True(server.Connection.BufferBytesHeld > 0);   // the transport reads straight into the engine's input
        await server.DisposeAsync();
        var ended = await Assert.ThrowsAnyAsync<Exception>(() => pending.WaitAsync(Bound));
        Assert.True(ended is IOException or ObjectDisposedException or OperationCanceledException, ended.ToString());
        await client.WriteAsync(new byte[10]).AsTask().WaitAsync(Bound).ContinueWith(_ => { }, TaskScheduler.Default);   // the peer may write into nothing
    }

    [Fact]
    public async Task ConcurrentReadsAndWritesInBothDirections()
    {
        var (client, server) = await ConnectedPairAsync();
        await using var _ = client;
        await using var __ = server;
        Assert.True(client.IsAuthenticated && server.IsAuthenticated);
        Assert.Equal(TlsProtocolVersion.Tls13, client.NegotiatedProtocol);
        Assert.Equal("localhost", server.ServerName);

        var up = RandomNumberGenerator.GetBytes(1 << 20);
        var down = RandomNumberGenerator.GetBytes(1 << 20);
        async Task WriteChunks(Stream s, byte[] data)
        {
            for (int i = 0; i < data.Length; i += 7000)
            {
                await s.WriteAsync(data.AsMemory(i, Math.Min(7000, data.Length - i)));
            }
        }

        var results = await Task.WhenAll(
            Task.Run(async () => { await WriteChunks(client, up); return Array.Empty<byte>(); }),
            Task.Run(async () => { await WriteChunks(server, down); return Array.Empty<byte>(); }),
            Task.Run(() => ReadExactlyAsync(server, up.Length)),
            Task.Run(() => ReadExactlyAsync(client, down.Length))).WaitAsync(Bound);
        Assert.Equal(up, results[2]);
        Assert.Equal(down, results[3]);

        // Key updates interleave with data.
        await client.UpdateKeysAsync(requestPeerUpdate: true);
        await client.WriteAsync("after update"u8.ToArray());
        Assert.Equal("after update"u8.ToArray(), await ReadExactlyAsync(server, 12));
        await server.WriteAsync("ack"u8.ToArray());
        Assert.Equal("ack"u8.ToArray(), await ReadExactlyAsync(client, 3));
        Assert.Equal(1, client.Connection.KeyUpdateCount.Received);
    }

    [Fact]
    public async Task CloseNotifyIsACleanEndOfStream()
    {
        var (client, server) = await ConnectedPairAsync();
        await using var _ = client;
        await using var __ = server;
        await server.WriteAsync("bye"u8.ToArray());
        await server.ShutdownAsync();
        Assert.Equal("bye"u8.ToArray(), await ReadExactlyAsync(client, 3));
        using var timeout = new CancellationTokenSource(Bound);
        Assert.Equal(0, await client.ReadAsync(new byte[16], timeout.Token));
        Assert.True(client.Connection.IsReadClosed);
    }

    [Fact]
    public async Task TransportClosedWithoutCloseNotifyIsTruncation()
    {
        var (c, s) = await SocketPairAsync();
        await using var client = new TlsStream(new NetworkStream(c, ownsSocket: true));
        var rawServer = new NetworkStream(s, ownsSocket: true);
        await using var server = new TlsStream(rawServer, leaveInnerStreamOpen: true);
        using var timeout = new CancellationTokenSource(Bound);
        await Task.WhenAll(
            client.AuthenticateAsClientAsync(TestCerts.ClientOptions(), timeout.Token),
            server.AuthenticateAsServerAsync(TestCerts.ServerOptions(), timeout.Token));
        await server.WriteAsync("partial"u8.ToArray());
        s.Shutdown(SocketShutdown.Both);
        rawServer.Dispose();

        Assert.Equal("partial"u8.ToArray(), await ReadExactlyAsync(client, 7));
        var ex = await Assert.ThrowsAsync<IOException>(() => client.ReadAsync(new byte[16], timeout.Token).AsTask());
        Assert.Contains("close_notify", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadIsCancellable()
    {
        var (client, server) = await ConnectedPairAsync();
        await using var _ = client;
        await using var __ = server;
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var started = DateTime.UtcNow;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.ReadAsync(new byte[16], cts.Token).AsTask());
        Assert.True(DateTime.UtcNow - started < Bound);
    }

    [Fact]
    public async Task ASecondConcurrentReadIsRefused()
    {
        var (client, server) = await ConnectedPairAsync();
        await using var _ = client;
        await using var __ = server;
        using var cts = new CancellationTokenSource(Bound);
        var first = client.ReadAsync(new byte[16], cts.Token).AsTask();
        await Assert.ThrowsAsync<NotSupportedException>(() => client.ReadAsync(new byte[16], cts.Token).AsTask());
        await server.WriteAsync("x"u8.ToArray());
        Assert.Equal(1, await first.WaitAsync(Bound));
    }

    [Fact]
    public async Task PeerVanishingDuringTheHandshakeIsAnIOException()
    {
        var (c, s) = await SocketPairAsync();
        await using var client = new TlsStream(new NetworkStream(c, ownsSocket: true));
        var handshake = client.AuthenticateAsClientAsync(TestCerts.ClientOptions());
        var buffer = new byte[512];
        _ = await s.ReceiveAsync(buffer);   // the ClientHello arrives; then the "server" hangs up
        s.Close();
        await Assert.ThrowsAsync<IOException>(() => handshake.WaitAsync(Bound));
    }

    [Fact]
    public async Task HandshakeFailureReachesBothStreamsAsTlsExceptions()
    {
        var (c, s) = await SocketPairAsync();
        await using var client = new TlsStream(new NetworkStream(c, ownsSocket: true));
        await using var server = new TlsStream(new NetworkStream(s, ownsSocket: true));
        var clientTask = client.AuthenticateAsClientAsync(TestCerts.ClientOptions(o => o.ApplicationProtocols = ["h2"]));
        var serverTask = server.AuthenticateAsServerAsync(TestCerts.ServerOptions(configure: o => o.ApplicationProtocols = ["smtp"]));
        var serverError = await Assert.ThrowsAsync<TlsException>(() => serverTask.WaitAsync(Bound));
        var clientError = await Assert.ThrowsAsync<TlsException>(() => clientTask.WaitAsync(Bound));
        Assert.Equal(AlertDescription.NoApplicationProtocol, serverError.Alert);
        Assert.Equal(AlertSource.Local, serverError.AlertSource);
        Assert.Equal(AlertDescription.NoApplicationProtocol, clientError.Alert);
        Assert.Equal(AlertSource.Remote, clientError.AlertSource);
    }
}
