namespace Tessera.Fuzz;

/// <summary>Blind mutations of an input, for fuzzing without coverage (the tests' smoke runs).</summary>
public static class Mutator
{
    /// <summary>One to eight edits of <paramref name="input"/>, sometimes spliced with <paramref name="other"/>.</summary>
    public static byte[] Mutate(byte[] input, byte[] other, Random random)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(other);
        ArgumentNullException.ThrowIfNull(random);
        var bytes = new List<byte>(input);
        int edits = 1 + random.Next(8);
        for (int e = 0; e < edits; e++)
        {
            int at = bytes.Count == 0 ? 0 : random.Next(bytes.Count);
            switch (random.Next(8))
            {
                case 0 when bytes.Count > 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when bytes.Count > 0:
                    bytes[at] = (byte)(random.Next(4) switch { 0 => 0x00, 1 => 0xFF, 2 => 0x7F, _ => random.Next(256) });
                    break;
                case 2:
                    bytes.Insert(at, (byte)random.Next(256));
                    break;
                case 3 when bytes.Count > 0:
                    bytes.RemoveRange(at, Math.Min(bytes.Count - at, 1 + random.Next(16)));
                    break;
                case 4 when bytes.Count > 0:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 5 when other.Length > 0:
                    int from = random.Next(other.Length);
                    bytes.InsertRange(at, other.AsSpan(from, Math.Min(other.Length - from, 1 + random.Next(64))).ToArray());
                    break;
                case 6 when bytes.Count > 1:
                    // a length field made large or small: two bytes as big-endian
                    int value = random.Next(3) switch { 0 => 0, 1 => 0xFFFF, _ => random.Next(0x10000) };
                    bytes[at] = (byte)(value >> 8);
                    if (at + 1 < bytes.Count)
                    {
                        bytes[at + 1] = (byte)value;
                    }

                    break;
                default:
                    if (bytes.Count > 0)
                    {
                        int count = Math.Min(bytes.Count - at, 1 + random.Next(32));
                        bytes.InsertRange(at, bytes.GetRange(at, count));   // repeat a run of bytes
                    }

                    break;
            }
        }

        return [.. bytes];
    }
}
