using Tessera.Messages;
using Tessera.Records;

namespace Tessera.Handshake;

/// <summary>
/// Turns the payloads of handshake records into whole handshake messages: several messages may share
/// a record and one message may span several records (RFC 8446 §5.1). Holds at most one message of
/// the configured maximum size.
/// </summary>
internal sealed class HandshakeReassembler : IDisposable
{
    private readonly ByteQueue _buffer = new(1024);
    private readonly int _maxMessageSize;

    public HandshakeReassembler(int maxMessageSize) => _maxMessageSize = maxMessageSize;

    /// <summary>True when part of a message is buffered (so no other record type may arrive, and keys may not change).</summary>
    public bool HasPartialMessage => _buffer.Count > 0;

    /// <summary>Bytes of pooled buffer held now.</summary>
    public int BufferBytesHeld => _buffer.Capacity;

    public void AddRecordPayload(ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty)
        {
            throw new TlsException(AlertDescription.UnexpectedMessage, "zero-length handshake record");
        }

        _buffer.Append(payload);
        if (_buffer.Count >= 4)
        {
            int length = ReadLength(_buffer.Span);
            if (length > _maxMessageSize)
            {
                throw new TlsException(AlertDescription.UnexpectedMessage, $"handshake message of {length} bytes exceeds the limit of {_maxMessageSize}");
            }
        }
    }

    /// <summary>Takes the next complete message (header included) if there is one.</summary>
    public bool TryTakeMessage(out HandshakeType type, out byte[] message)
    {
        type = default;
        message = [];
        var span = _buffer.Span;
        if (span.Length < 4)
        {
            return false;
        }

        int length = ReadLength(span);
        if (length > _maxMessageSize)
        {
            throw new TlsException(AlertDescription.UnexpectedMessage, $"handshake message of {length} bytes exceeds the limit of {_maxMessageSize}");
        }

        if (span.Length < 4 + length)
        {
            return false;
        }

        type = (HandshakeType)span[0];
        message = span[..(4 + length)].ToArray();
        _buffer.Consume(4 + length);
        return true;
    }

    public void Dispose() => _buffer.Dispose();

    private static int ReadLength(ReadOnlySpan<byte> span) => (span[1] << 16) | (span[2] << 8) | span[3];
}
