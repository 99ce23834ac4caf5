namespace Tessera.Messages;

/// <summary>Shared shape of extensions that carry a list of 16-bit code points.</summary>
internal static class U16List
{
    public static ushort[] Parse(ReadOnlySpan<byte> vector, string what)
    {
        if (vector.IsEmpty || vector.Length % 2 != 0)
        {
            throw new TlsException(AlertDescription.DecodeError, $"{what} must be a non-empty list of two-byte codes");
        }

        var values = new ushort[vector.Length / 2];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (ushort)((vector[2 * i] << 8) | vector[2 * i + 1]);
        }

        return values;
    }

    public static byte[] Encode(IEnumerable<ushort> values, int lengthBytes)
    {
        var w = new TlsWriter();
        int token = w.BeginVector(lengthBytes);
        foreach (var v in values)
        {
            w.WriteUInt16(v);
        }

        w.EndVector(token);
        return w.ToArray();
    }
}
