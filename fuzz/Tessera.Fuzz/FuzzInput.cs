namespace Tessera.Fuzz;

/// <summary>
/// Reads a fuzz input as a few leading configuration bytes and then chunks of [op][length][length bytes], so that
/// one input describes a sequence of actions. A short input just ends the sequence early; nothing is ever rejected.
/// </summary>
public ref struct FuzzInput
{
    private ReadOnlySpan<byte> _rest;

    /// <summary>Wraps <paramref name="input"/>.</summary>
    public FuzzInput(ReadOnlySpan<byte> input) => _rest = input;

    /// <summary>True when nothing is left.</summary>
    public readonly bool IsEmpty => _rest.IsEmpty;

    /// <summary>What is left, unread.</summary>
    public readonly ReadOnlySpan<byte> Rest => _rest;

    /// <summary>The next byte, or 0 past the end.</summary>
    public byte NextByte()
    {
        if (_rest.IsEmpty)
        {
            return 0;
        }

        byte b = _rest[0];
        _rest = _rest[1..];
        return b;
    }

    /// <summary>The next chunk: an op byte, then a length byte and that many bytes (fewer at the end of the input).</summary>
    public bool TryNextChunk(out byte op, out ReadOnlySpan<byte> data)
    {
        data = default;
        op = 0;
        if (_rest.IsEmpty)
        {
            return false;
        }

        op = NextByte();
        int length = NextByte();
        if (length == 255 && _rest.Length >= 2)
        {
            // 255 announces a two-byte length: records and messages longer than 254 bytes.
            length = (_rest[0] << 8) | _rest[1];
            _rest = _rest[2..];
        }

        length = Math.Min(length, _rest.Length);
        data = _rest[..length];
        _rest = _rest[length..];
        return true;
    }

    /// <summary>Encodes one chunk in the format <see cref="TryNextChunk"/> reads (for seeds).</summary>
    public static void WriteChunk(List<byte> output, byte op, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Add(op);
        if (data.Length < 255)
        {
            output.Add((byte)data.Length);
        }
        else
        {
            int length = Math.Min(data.Length, ushort.MaxValue);
            output.Add(255);
            output.Add((byte)(length >> 8));
            output.Add((byte)length);
            data = data[..length];
        }

        output.AddRange(data);
    }
}
