using System.Net;

namespace Tessera.Cli.Trace;

/// <summary>
/// One direction of a TCP connection put back in order: bytes are handed on once every byte before them is there.
/// Sequence numbers compare with 32-bit wraparound; out-of-order segments wait, bounded in count and bytes.
/// </summary>
internal sealed class TcpDirection
{
    private const int MaxPendingBytes = 8 * 1024 * 1024;
    private const int MaxPendingSegments = 4096;
    private readonly List<(uint Sequence, byte[] Data)> _pending = [];
    private int _pendingBytes;
    private uint? _next;

    /// <summary>The SYN fixes where data starts; a later (retransmitted or forged) SYN changes nothing.</summary>
    public void Syn(uint sequence) => _next ??= sequence + 1;

    /// <summary>Adds a segment; returns the bytes that became contiguous (possibly none).</summary>
    public byte[] Add(uint sequence, byte[] payload)
    {
        if (payload.Length == 0)
        {
            return [];
        }

        _next ??= sequence;     // the capture started after the SYN
        var output = new MemoryStream();
        if (!Place(sequence, payload, output))
        {
            Hold(sequence, payload);
        }

        bool progressed = true;
        while (progressed && _pending.Count > 0)
        {
            progressed = false;
            for (int i = 0; i < _pending.Count; i++)
            {
                var (pendingSequence, data) = _pending[i];
                if (Distance(pendingSequence) <= 0)
                {
                    _pending.RemoveAt(i);
                    _pendingBytes -= data.Length;
                    Place(pendingSequence, data, output);
                    progressed = true;
                    break;
                }
            }
        }

        return output.ToArray();
    }

    /// <summary>How far <paramref name="sequence"/> lies ahead of the next expected byte (negative: behind), with wraparound.</summary>
    private long Distance(uint sequence) => (int)(sequence - _next!.Value);

    /// <summary>Writes what is new in a segment that starts at or before the next expected byte; false when it starts ahead.</summary>
    private bool Place(uint sequence, byte[] payload, MemoryStream output)
    {
        long ahead = Distance(sequence);
        if (ahead > 0)
        {
            return false;
        }

        long skip = -ahead;
        if (skip >= payload.Length)
        {
            return true;    // a retransmission of what was delivered already
        }

        output.Write(payload, (int)skip, payload.Length - (int)skip);
        _next += (uint)(payload.Length - skip);
        return true;
    }

    /// <summary>Keeps a segment that starts ahead; at the same start the longer one wins; beyond the bounds it is dropped.</summary>
    private void Hold(uint sequence, byte[] payload)
    {
        int existing = _pending.FindIndex(p => p.Sequence == sequence);
        if (existing >= 0)
        {
            if (_pending[existing].Data.Length >= payload.Length)
            {
                return;
            }

            _pendingBytes -= _pending[existing].Data.Length;
            _pending.RemoveAt(existing);
        }

        if (_pending.Count < MaxPendingSegments && _pendingBytes + payload.Length <= MaxPendingBytes)
        {
            _pending.Add((sequence, payload));
            _pendingBytes += payload.Length;
        }
    }
}

/// <summary>A TCP connection seen in a capture, with its two directions.</summary>
internal sealed class TcpConnection(int number, IPEndPoint first, IPEndPoint second)
{
    public int Number { get; } = number;

    /// <summary>The endpoint that opened the connection (sent the SYN), or sent first.</summary>
    public IPEndPoint First { get; } = first;

    public IPEndPoint Second { get; } = second;

    public TcpDirection FromFirst { get; } = new();

    public TcpDirection FromSecond { get; } = new();

    public static (IPEndPoint, IPEndPoint) Key(IPEndPoint a, IPEndPoint b) =>
        string.CompareOrdinal(a.ToString(), b.ToString()) <= 0 ? (a, b) : (b, a);
}
