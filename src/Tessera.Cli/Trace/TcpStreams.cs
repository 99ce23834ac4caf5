using System.Net;

namespace Tessera.Cli.Trace;

/// <summary>One direction of a TCP connection put back in order: bytes are handed on once every byte before them is there.</summary>
internal sealed class TcpDirection
{
    private const int MaxPendingBytes = 8 * 1024 * 1024;
    private readonly SortedDictionary<long, byte[]> _pending = [];
    private int _pendingBytes;
    private uint? _next;

    public void Syn(uint sequence) => _next = sequence + 1;

    /// <summary>Adds a segment; returns the bytes that became contiguous (possibly none).</summary>
    public byte[] Add(uint sequence, byte[] payload)
    {
        if (payload.Length == 0)
        {
            return [];
        }

        _next ??= sequence;     // the capture started after the SYN
        var output = new MemoryStream();
        Place(sequence, payload, output);
        bool progressed = true;
        while (progressed && _pending.Count > 0)
        {
            progressed = false;
            foreach (var (offset, data) in _pending)
            {
                if (offset <= 0)
                {
                    _pending.Remove(offset);
                    _pendingBytes -= data.Length;
                    Place(_next!.Value + (uint)(int)offset, data, output);
                    progressed = true;
                    break;
                }

                break;
            }
        }

        return output.ToArray();
    }

    private void Place(uint sequence, byte[] payload, MemoryStream output)
    {
        int ahead = (int)(sequence - _next!.Value);
        if (ahead > 0)
        {
            if (_pendingBytes + payload.Length <= MaxPendingBytes && _pending.TryAdd(ahead, payload))
            {
                _pendingBytes += payload.Length;
            }

            RebasePending(0);
            return;
        }

        int skip = -ahead;
        if (skip >= payload.Length)
        {
            return;     // a retransmission of what was delivered already
        }

        output.Write(payload, skip, payload.Length - skip);
        uint advance = (uint)(payload.Length - skip);
        _next += advance;
        RebasePending(advance);
    }

    /// <summary>Pending segments are keyed by their distance from the next expected byte; moving on shifts them.</summary>
    private void RebasePending(uint advance)
    {
        if (advance == 0 || _pending.Count == 0)
        {
            return;
        }

        var moved = _pending.Select(p => (p.Key - advance, p.Value)).ToList();
        _pending.Clear();
        foreach (var (key, value) in moved)
        {
            _pending[key] = value;
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
