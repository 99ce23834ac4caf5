using Tessera.Messages;

namespace Tessera.Ech;

/// <summary>
/// EncodedClientHelloInner (RFC 9849 §5.1): the inner ClientHello without its legacy_session_id, a contiguous run of
/// extensions replaced by ech_outer_extensions (they are copied from the outer hello), then zero padding.
/// </summary>
internal static class EncodedClientHelloInner
{
    /// <summary>
    /// Encodes <paramref name="inner"/>, compressing the extensions whose types are in <paramref name="compressed"/>
    /// (they must be contiguous in the inner hello), padded as §6.1.3 recommends for <paramref name="maximumNameLength"/>.
    /// </summary>
    public static byte[] Encode(ClientHello inner, IReadOnlySet<ushort> compressed, int maximumNameLength)
    {
        var extensions = new List<TlsExtension>();
        var references = new List<ushort>();
        int run = -1;
        foreach (var ext in inner.Extensions)
        {
            if (!compressed.Contains(ext.Type))
            {
                extensions.Add(ext);
                continue;
            }

            if (run < 0)
            {
                run = extensions.Count;
                extensions.Add(ext);   // placeholder for ech_outer_extensions
            }
            else if (run != extensions.Count - 1)
            {
                throw new InvalidOperationException("compressed extensions must be contiguous in the inner ClientHello");
            }

            references.Add(ext.Type);
        }

        if (run >= 0)
        {
            extensions[run] = new TlsExtension((ushort)ExtensionType.EchOuterExtensions, EncodeOuterExtensions(references));
        }

        var body = inner.With(extensions, legacySessionId: []).ToMessageBytes().AsSpan(4);

        // §6.1.3: pad the server name to maximum_name_length (or add a whole server_name's worth), then to a multiple of 32.
        int padding = ExtensionBlock.Find(inner.Extensions, ExtensionType.ServerName) is { } sni
            ? Math.Max(0, maximumNameLength - ServerNameExtension.Parse(sni.Data).Length)
            : maximumNameLength + 9;
        int length = body.Length + padding;
        padding += 31 - ((length - 1) % 32);
        var encoded = new byte[body.Length + padding];
        body.CopyTo(encoded);
        return encoded;
    }

    /// <summary>
    /// Rebuilds ClientHelloInner from a decrypted EncodedClientHelloInner and the outer hello: non-zero padding, a
    /// non-empty legacy_session_id and every bad ech_outer_extensions reference are illegal_parameter. Linear in the
    /// size of both hellos (Appendix A): each outer extension is looked at once.
    /// </summary>
    public static ClientHello Decode(ReadOnlySpan<byte> encoded, ClientHello outer)
    {
        var hello = ClientHello.ParsePrefix(encoded, out int length);
        if (encoded[length..].ContainsAnyExcept((byte)0))
        {
            throw new TlsException(AlertDescription.IllegalParameter, "EncodedClientHelloInner padding is not all zeros");
        }

        if (hello.LegacySessionId.Length != 0)
        {
            throw new TlsException(AlertDescription.IllegalParameter, "EncodedClientHelloInner carries a legacy_session_id");
        }

        hello.LegacySessionId = outer.LegacySessionId;
        int index = hello.Extensions.FindIndex(e => e.Type == (ushort)ExtensionType.EchOuterExtensions);
        if (index < 0)
        {
            return hello;
        }

        var references = EncryptedClientHelloExtension.ParseOuterExtensions(hello.Extensions[index].Data);
        var copied = new List<TlsExtension>(references.Count);
        int cursor = 0;
        foreach (ushort type in references)
        {
            // §5.1: each reference must exist in the outer hello, once, in the outer hello's order.
            while (cursor < outer.Extensions.Count && outer.Extensions[cursor].Type != type)
            {
                cursor++;
            }

            if (cursor == outer.Extensions.Count)
            {
                throw new TlsException(AlertDescription.IllegalParameter,
                    $"ech_outer_extensions refers to {ExtensionTypeNames.NameOf(type)}, which the outer ClientHello does not hold at that place (missing, repeated or out of order)");
            }

            copied.Add(outer.Extensions[cursor++]);
        }

        hello.Extensions.RemoveAt(index);
        hello.Extensions.InsertRange(index, copied);
        return hello;
    }

    /// <summary>ClientHelloOuterAAD (§5.2): the outer hello without its handshake header, the ECH payload (the extension's last field) zeroed.</summary>
    public static byte[] OuterAad(ClientHello outer, TlsExtension ext, int payloadLength)
    {
        var zeroed = (byte[])ext.Data.Clone();
        zeroed.AsSpan(zeroed.Length - payloadLength).Clear();
        return outer.With([.. outer.Extensions.Select(e => ReferenceEquals(e, ext) ? new TlsExtension(e.Type, zeroed) : e)]).ToMessageBytes()[4..];
    }

    public static byte[] EncodeOuterExtensions(IReadOnlyList<ushort> types)
    {
        var w = new TlsWriter(1 + 2 * types.Count);
        int list = w.BeginVector(1);
        foreach (var type in types)
        {
            w.WriteUInt16(type);
        }

        w.EndVector(list);
        var bytes = w.ToArray();
        w.Release();
        return bytes;
    }
}
