namespace Tessera.Messages;

/// <summary>
/// certificate_authorities (RFC 8446 §4.2.4): DistinguishedName authorities&lt;3..2^16-1&gt;, each
/// opaque&lt;1..2^16-1&gt; (DER). The same list is the TLS 1.2 CertificateRequest's certificate_authorities.
/// </summary>
internal static class CertificateAuthoritiesExtension
{
    public static List<byte[]> Parse(ReadOnlySpan<byte> data)
    {
        var reader = new TlsReader(data);
        var list = new TlsReader(reader.ReadVector16());
        reader.EnsureEmpty("certificate_authorities");
        var names = new List<byte[]>();
        while (!list.IsEmpty)
        {
            var name = list.ReadVector16();
            names.Add(name.IsEmpty ? throw new TlsException(AlertDescription.DecodeError, "empty DistinguishedName in certificate_authorities") : name.ToArray());
        }

        return names.Count > 0 ? names : throw new TlsException(AlertDescription.DecodeError, "empty certificate_authorities");
    }

    public static byte[] Encode(IEnumerable<byte[]> names)
    {
        var w = new TlsWriter();
        int list = w.BeginVector(2);
        foreach (var name in names)
        {
            w.WriteVector16(name);
        }

        w.EndVector(list);
        return w.ToArray();
    }
}
