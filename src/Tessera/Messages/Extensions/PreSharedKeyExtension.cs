namespace Tessera.Messages;

/// <summary>One offered PSK: its identity (for resumption, the ticket) and the obfuscated ticket age (RFC 8446 §4.2.11).</summary>
internal sealed record PskIdentity(byte[] Identity, uint ObfuscatedTicketAge);

/// <summary>
/// pre_shared_key (RFC 8446 §4.2.11): in a ClientHello the identities and their binders, in a ServerHello the
/// index of the one selected. The binders are the last bytes of the ClientHello, so that the hello up to them
/// (the "truncated" ClientHello) can be hashed into each binder.
/// </summary>
internal static class PreSharedKeyExtension
{
    /// <summary>How many identities a server looks at; more are a decode error rather than work.</summary>
    public const int MaxIdentities = 16;

    public static (List<PskIdentity> Identities, List<byte[]> Binders) ParseClientHello(ReadOnlySpan<byte> data)
    {
        var reader = new TlsReader(data);
        var identities = new TlsReader(reader.ReadVector16());
        var binders = new TlsReader(reader.ReadVector16());
        reader.EnsureEmpty("pre_shared_key");
        var offered = new List<PskIdentity>();
        while (!identities.IsEmpty)
        {
            var identity = identities.ReadVector16();
            uint age = identities.ReadUInt32();
            if (identity.IsEmpty || offered.Count == MaxIdentities)
            {
                throw new TlsException(AlertDescription.DecodeError, identity.IsEmpty ? "empty PSK identity" : $"more than {MaxIdentities} PSK identities");
            }

            offered.Add(new PskIdentity(identity.ToArray(), age));
        }

        var binderList = new List<byte[]>();
        while (!binders.IsEmpty)
        {
            var binder = binders.ReadVector8();
            if (binder.Length < 32)
            {
                throw new TlsException(AlertDescription.DecodeError, "PSK binder shorter than 32 bytes");
            }

            binderList.Add(binder.ToArray());
        }

        if (offered.Count == 0 || offered.Count != binderList.Count)
        {
            throw new TlsException(AlertDescription.IllegalParameter, "pre_shared_key has no identities, or not one binder per identity");
        }

        return (offered, binderList);
    }

    public static byte[] EncodeClientHello(IReadOnlyList<PskIdentity> identities, IReadOnlyList<int> binderLengths)
    {
        var w = new TlsWriter();
        int list = w.BeginVector(2);
        foreach (var identity in identities)
        {
            w.WriteVector16(identity.Identity);
            w.WriteUInt32(identity.ObfuscatedTicketAge);
        }

        w.EndVector(list);
        w.WriteUInt16((ushort)BindersLength(binderLengths));
        foreach (int length in binderLengths)
        {
            w.WriteVector8(new byte[length]);   // filled in once the truncated ClientHello can be hashed
        }

        return w.ToArray();
    }

    /// <summary>The binders vector's content length (each binder with its one-byte length).</summary>
    public static int BindersLength(IReadOnlyList<int> binderLengths) => binderLengths.Sum(l => 1 + l);

    public static ushort ParseServerHello(ReadOnlySpan<byte> data)
    {
        var reader = new TlsReader(data);
        ushort selected = reader.ReadUInt16();
        reader.EnsureEmpty("pre_shared_key");
        return selected;
    }

    public static byte[] EncodeServerHello(ushort selected)
    {
        var w = new TlsWriter(2);
        w.WriteUInt16(selected);
        return w.ToArray();
    }
}
