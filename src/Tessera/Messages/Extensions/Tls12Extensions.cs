namespace Tessera.Messages;

/// <summary>renegotiation_info (RFC 5746 §3.2): renegotiated_connection&lt;0..255&gt;.</summary>
internal static class RenegotiationInfoExtension
{
    public static byte[] Parse(ReadOnlySpan<byte> data)
    {
        var reader = new TlsReader(data);
        var value = reader.ReadVector8();
        reader.EnsureEmpty("renegotiation_info");
        return value.ToArray();
    }

    public static byte[] Encode(ReadOnlySpan<byte> renegotiatedConnection)
    {
        var w = new TlsWriter(renegotiatedConnection.Length + 1);
        w.WriteVector8(renegotiatedConnection);
        return w.ToArray();
    }
}

/// <summary>ec_point_formats (RFC 8422 §5.1.2): only uncompressed (0) is used.</summary>
internal static class EcPointFormatsExtension
{
    public const byte Uncompressed = 0;

    public static byte[] Parse(ReadOnlySpan<byte> data)
    {
        var reader = new TlsReader(data);
        var formats = reader.ReadVector8();
        reader.EnsureEmpty("ec_point_formats");
        return formats.IsEmpty ? throw new TlsException(AlertDescription.DecodeError, "empty ec_point_formats") : formats.ToArray();
    }

    public static byte[] Encode() => [1, Uncompressed];
}

/// <summary>Extensions whose data must be empty (extended_master_secret, an empty session_ticket, an SNI acknowledgement).</summary>
internal static class EmptyExtension
{
    public static void Check(TlsExtension extension)
    {
        if (extension.Data.Length != 0)
        {
            throw new TlsException(AlertDescription.DecodeError, $"{ExtensionTypeNames.NameOf(extension.Type)} must be empty");
        }
    }
}
