namespace Tessera;

/// <summary>TLS protocol versions as they appear on the wire.</summary>
public enum TlsProtocolVersion : ushort
{
    /// <summary>No version negotiated yet.</summary>
    None = 0,
    /// <summary>TLS 1.0 (0x0301).</summary>
    Tls10 = 0x0301,
    /// <summary>TLS 1.1 (0x0302).</summary>
    Tls11 = 0x0302,
    /// <summary>TLS 1.2 (0x0303).</summary>
    Tls12 = 0x0303,
    /// <summary>TLS 1.3 (0x0304).</summary>
    Tls13 = 0x0304,
}

/// <summary>Names of versions.</summary>
public static class TlsProtocolVersionNames
{
    /// <summary>Returns "TLSv1.3" style names, as OpenSSL prints them.</summary>
    public static string ToDisplayName(this TlsProtocolVersion v) => v switch
    {
        TlsProtocolVersion.Tls10 => "TLSv1",
        TlsProtocolVersion.Tls11 => "TLSv1.1",
        TlsProtocolVersion.Tls12 => "TLSv1.2",
        TlsProtocolVersion.Tls13 => "TLSv1.3",
        TlsProtocolVersion.None => "(none)",
        _ => $"0x{(ushort)v:X4}",
    };
}
