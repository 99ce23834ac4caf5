using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Tessera.Messages;

namespace Tessera.Cli.Scan;

/// <summary>How a server answered a probe.</summary>
internal enum ProbeOutcome
{
    /// <summary>A ServerHello (or HelloRetryRequest) came back.</summary>
    Hello,
    /// <summary>An alert came back.</summary>
    Alert,
    /// <summary>The server closed or reset the connection without an answer.</summary>
    Closed,
    /// <summary>No answer within the timeout.</summary>
    Timeout,
    /// <summary>The bytes that came back are not TLS records.</summary>
    NotTls,
    /// <summary>An SSL 2.0 SERVER-HELLO came back.</summary>
    Ssl2Hello,
}

/// <summary>Why <see cref="ProbeSession.ReadHandshakeAsync"/> returned no message.</summary>
internal sealed class HandshakeWait
{
    public ProbeOutcome? Failure { get; set; }

    public ProbeRecord? Other { get; set; }
}

/// <summary>A record as read off the wire.</summary>
internal readonly record struct ProbeRecord(ContentType Type, ushort Version, byte[] Fragment);

/// <summary>
/// One TCP connection for raw probes: connect (and STARTTLS), send bytes, read records and the plain-text handshake
/// messages of TLS ≤ 1.2 (and a TLS 1.3 ServerHello). Every wait is bounded by the target's timeout; everything a
/// server sends is bounded in size.
/// </summary>
internal sealed class ProbeSession : IAsyncDisposable
{
    private const int MaxHandshakeBytes = 256 * 1024;
    private readonly ScanTarget _target;
    private readonly TcpClient _tcp;
    private NetworkStream? _stream;
    private readonly byte[] _buffer = new byte[16384 + 2048 + 5];
    private int _buffered;
    private readonly Tessera.Handshake.HandshakeReassembler _handshake = new(MaxHandshakeBytes);

    private ProbeSession(ScanTarget target)
    {
        _target = target;
        _tcp = new TcpClient { NoDelay = true };
    }

    /// <summary>The connection (after any STARTTLS), for probes that run Tessera's engine over it.</summary>
    public NetworkStream Stream => _stream!;

    /// <summary>Everything received before anything could be parsed (for "not TLS" messages).</summary>
    public byte[] FirstBytes { get; private set; } = [];

    public static async Task<ProbeSession> ConnectAsync(ScanTarget target, CancellationToken cancellationToken)
    {
        var session = new ProbeSession(target);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(target.Timeout);
            try
            {
                await session._tcp.ConnectAsync(target.Host, target.Port, timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new ScanException($"{target}: no answer to a TCP connect within {target.Timeout.TotalSeconds:0} s");
            }
            catch (SocketException ex)
            {
                throw new ScanException(ex.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => $"{target}: connection refused (nothing listening on that port)",
                    SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => $"{target.Host}: host not found",
                    SocketError.NetworkUnreachable or SocketError.HostUnreachable => $"{target}: unreachable",
                    _ => $"{target}: cannot connect ({ex.SocketErrorCode})",
                });
            }

            session._stream = session._tcp.GetStream();
            if (target.StartTls != StartTlsProtocol.None)
            {
                await StartTls.NegotiateAsync(session._stream, target, cancellationToken);
            }

            return session;
        }
        catch
        {
            await session.DisposeAsync();
            throw;
        }
    }

    public async Task SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        try
        {
            await _stream!.WriteAsync(bytes, cancellationToken);
        }
        catch (IOException)
        {
            // The server closed first; the next read reports it.
        }
    }

    /// <summary>Sends one record of <paramref name="type"/>.</summary>
    public Task SendRecordAsync(ContentType type, ushort version, ReadOnlySpan<byte> fragment, CancellationToken cancellationToken)
    {
        var record = new byte[5 + fragment.Length];
        record[0] = (byte)type;
        BinaryPrimitives.WriteUInt16BigEndian(record.AsSpan(1), version);
        BinaryPrimitives.WriteUInt16BigEndian(record.AsSpan(3), (ushort)fragment.Length);
        fragment.CopyTo(record.AsSpan(5));
        return SendAsync(record, cancellationToken);
    }

    /// <summary>Reads <paramref name="count"/> bytes; null when the connection ended, the time ran out, or it was reset.</summary>
    private async Task<(bool Ok, ProbeOutcome Failure)> FillAsync(int count, DateTime deadline, CancellationToken cancellationToken)
    {
        while (_buffered < count)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                return (false, ProbeOutcome.Timeout);
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(left);
            int n;
            try
            {
                n = await _stream!.ReadAsync(_buffer.AsMemory(_buffered), timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return (false, ProbeOutcome.Timeout);
            }
            catch (IOException)
            {
                return (false, ProbeOutcome.Closed);
            }

            if (n == 0)
            {
                return (false, ProbeOutcome.Closed);
            }

            if (FirstBytes.Length < 64)
            {
                FirstBytes = [.. FirstBytes, .. _buffer.AsSpan(_buffered, Math.Min(n, 64 - FirstBytes.Length))];
            }

            _buffered += n;
        }

        return (true, default);
    }

    /// <summary>Reads one record; the outcome says why there is none.</summary>
    public async Task<(ProbeRecord? Record, ProbeOutcome Failure)> ReadRecordAsync(DateTime deadline, CancellationToken cancellationToken)
    {
        var (ok, failure) = await FillAsync(5, deadline, cancellationToken);
        if (!ok)
        {
            return (null, failure);
        }

        byte type = _buffer[0];
        ushort version = BinaryPrimitives.ReadUInt16BigEndian(_buffer.AsSpan(1));
        int length = BinaryPrimitives.ReadUInt16BigEndian(_buffer.AsSpan(3));
        if (type is < 20 or > 24 || (version >> 8) != 3 || length > 16384 + 2048)
        {
            return (null, (_buffer[0] & 0x80) != 0 && _buffered >= 3 && _buffer[2] == 4 ? ProbeOutcome.Ssl2Hello : ProbeOutcome.NotTls);
        }

        (ok, failure) = await FillAsync(5 + length, deadline, cancellationToken);
        if (!ok)
        {
            return (null, failure);
        }

        var fragment = _buffer.AsSpan(5, length).ToArray();
        Consume(5 + length);
        return (new ProbeRecord((ContentType)type, version, fragment), default);
    }

    /// <summary>Reads an SSL 2.0 record (two-byte header) after <see cref="ProbeOutcome.Ssl2Hello"/>.</summary>
    public async Task<byte[]?> ReadSsl2RecordAsync(DateTime deadline, CancellationToken cancellationToken)
    {
        var (ok, _) = await FillAsync(2, deadline, cancellationToken);
        if (!ok || (_buffer[0] & 0x80) == 0)
        {
            return null;
        }

        int length = ((_buffer[0] & 0x7F) << 8) | _buffer[1];
        (ok, _) = await FillAsync(2 + length, deadline, cancellationToken);
        if (!ok)
        {
            return null;
        }

        var body = _buffer.AsSpan(2, length).ToArray();
        Consume(2 + length);
        return body;
    }

    private void Consume(int count)
    {
        Buffer.BlockCopy(_buffer, count, _buffer, 0, _buffered - count);
        _buffered -= count;
    }

    /// <summary>
    /// Reads until a whole handshake message is available (reassembling across records) or something else comes:
    /// an alert, change_cipher_spec, application data or heartbeat record ends the wait and is returned as
    /// <c>Other</c>; no record at all gives the reason as <c>Failure</c>.
    /// </summary>
    public async Task<(HandshakeType Type, byte[] Body)?> ReadHandshakeAsync(DateTime deadline, HandshakeWait wait, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_handshake.TryTakeMessage(out var type, out var message))
            {
                return (type, message[4..]);
            }

            var (record, failure) = await ReadRecordAsync(deadline, cancellationToken);
            if (record is not { } r)
            {
                wait.Failure = failure;
                return null;
            }

            if (r.Type != ContentType.Handshake)
            {
                wait.Other = r;
                return null;
            }

            try
            {
                _handshake.AddRecordPayload(r.Fragment);
            }
            catch (TlsException)
            {
                // An empty handshake record, or a message over the limit: not a server worth reading on.
                wait.Failure = ProbeOutcome.NotTls;
                return null;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stream is not null)
        {
            await _stream.DisposeAsync();
        }

        _tcp.Dispose();
        _handshake.Dispose();
    }

    /// <summary>The first bytes as text a user can recognise (an HTTP status line, an SSH banner, ...).</summary>
    public static string Describe(byte[] bytes)
    {
        var text = new StringBuilder();
        foreach (var b in bytes.Take(40))
        {
            text.Append(b is >= 0x20 and < 0x7F ? (char)b : b is (byte)'\r' or (byte)'\n' ? ' ' : '.');
        }

        return text.ToString().Trim();
    }
}
