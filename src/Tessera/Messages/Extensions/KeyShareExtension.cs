namespace Tessera.Messages;

/// <summary>One KeyShareEntry: a group and its public share (RFC 8446 §4.2.8).</summary>
internal sealed record KeyShareEntry(ushort Group, byte[] KeyExchange);

/// <summary>key_share in its three forms: ClientHello, ServerHello, HelloRetryRequest.</summary>
internal static class KeyShareExtension
{
    public static List<KeyShareEntry> ParseClientHello(ReadOnlySpan<byte> data)
    {
        var reader = new TlsReader(data);
        var list = new TlsReader(reader.ReadVector16());
        reader.EnsureEmpty("key_share");
        var entries = new List<KeyShareEntry>();
        while (!list.IsEmpty)
        {
            var entry = ReadEntry(ref list);
            if (entries.Exists(e => e.Group == entry.Group))
            {
                throw new TlsException(AlertDescription.IllegalParameter, $"two key shares for group {NamedGroups.NameOf(entry.Group)}");
            }

            entries.Add(entry);
        }

        return entries;
    }

    public static byte[] EncodeClientHello(IEnumerable<KeyShareEntry> entries)
    {
        var w = new TlsWriter();
        int list = w.BeginVector(2);
        foreach (var e in entries)
        {
            WriteEntry(w, e);
        }

        w.EndVector(list);
        return w.ToArray();
    }

    public static KeyShareEntry ParseServerHello(ReadOnlySpan<byte> data)
    {
        var reader = new TlsReader(data);
        var entry = ReadEntry(ref reader);
        reader.EnsureEmpty("key_share");
        return entry;
    }

    public static byte[] EncodeServerHello(KeyShareEntry entry)
    {
        var w = new TlsWriter();
        WriteEntry(w, entry);
        return w.ToArray();
    }

    public static ushort ParseHelloRetryRequest(ReadOnlySpan<byte> data)
    {
        var reader = new TlsReader(data);
        var group = reader.ReadUInt16();
        reader.EnsureEmpty("key_share");
        return group;
    }

    public static byte[] EncodeHelloRetryRequest(ushort group) => [(byte)(group >> 8), (byte)group];

    private static KeyShareEntry ReadEntry(ref TlsReader reader)
    {
        ushort group = reader.ReadUInt16();
        var share = reader.ReadVector16();
        if (share.IsEmpty)
        {
            throw new TlsException(AlertDescription.DecodeError, "empty key_exchange in a KeyShareEntry");
        }

        return new KeyShareEntry(group, share.ToArray());
    }

    private static void WriteEntry(TlsWriter w, KeyShareEntry entry)
    {
        w.WriteUInt16(entry.Group);
        w.WriteVector16(entry.KeyExchange);
    }
}
