namespace Tessera.Messages;

/// <summary>cookie (RFC 8446 §4.2.2).</summary>
internal static class CookieExtension
{
    public static byte[] Parse(ReadOnlySpan<byte> data)
    {
        var reader = new TlsReader(data);
        var cookie = reader.ReadVector16();
        reader.EnsureEmpty("cookie");
        return cookie.IsEmpty ? throw new TlsException(AlertDescription.DecodeError, "empty cookie") : cookie.ToArray();
    }

    public static byte[] Encode(ReadOnlySpan<byte> cookie)
    {
        var w = new TlsWriter(cookie.Length + 2);
        w.WriteVector16(cookie);
        return w.ToArray();
    }
}
