namespace Tessera.Messages;

/// <summary>One extension as it appears on the wire: its code point and its opaque data.</summary>
internal sealed record TlsExtension(ushort Type, byte[] Data);

/// <summary>Reads and writes <c>Extension extensions&lt;0..2^16-1&gt;</c> blocks.</summary>
internal static class ExtensionBlock
{
    /// <summary>Reads an extension block; a repeated extension type is illegal_parameter (RFC 8446 §4.2).</summary>
    public static List<TlsExtension> Read(ref TlsReader reader)
    {
        var block = new TlsReader(reader.ReadVector16());
        var list = new List<TlsExtension>();
        var seen = new HashSet<ushort>();
        while (!block.IsEmpty)
        {
            ushort type = block.ReadUInt16();
            var data = block.ReadVector16();
            if (!seen.Add(type))
            {
                throw new TlsException(AlertDescription.IllegalParameter, $"extension {ExtensionTypeNames.NameOf(type)} appears twice");
            }

            list.Add(new TlsExtension(type, data.ToArray()));
        }

        return list;
    }

    public static void Write(TlsWriter writer, IReadOnlyList<TlsExtension> extensions)
    {
        int token = writer.BeginVector(2);
        foreach (var ext in extensions)
        {
            writer.WriteUInt16(ext.Type);
            writer.WriteVector16(ext.Data);
        }

        writer.EndVector(token);
    }

    public static TlsExtension? Find(IReadOnlyList<TlsExtension> list, ExtensionType type)
    {
        foreach (var ext in list)
        {
            if (ext.Type == (ushort)type)
            {
                return ext;
            }
        }

        return null;
    }
}

/// <summary>Frames handshake messages: <c>msg_type(1) length(3) body</c>.</summary>
internal static class HandshakeFraming
{
    public static byte[] Frame(HandshakeType type, ReadOnlySpan<byte> body)
    {
        var message = new byte[4 + body.Length];
        message[0] = (byte)type;
        message[1] = (byte)(body.Length >> 16);
        message[2] = (byte)(body.Length >> 8);
        message[3] = (byte)body.Length;
        body.CopyTo(message.AsSpan(4));
        return message;
    }

    public static byte[] Frame(HandshakeType type, TlsWriter body)
    {
        var message = Frame(type, body.WrittenSpan);
        body.Release();
        return message;
    }
}
