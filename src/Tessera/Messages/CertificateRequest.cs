namespace Tessera.Messages;

/// <summary>CertificateRequest (RFC 8446 §4.3.2).</summary>
internal sealed class CertificateRequest
{
    public byte[] RequestContext { get; set; } = [];

    public List<TlsExtension> Extensions { get; set; } = [];

    public static CertificateRequest Parse(ReadOnlySpan<byte> body)
    {
        var reader = new TlsReader(body);
        var request = new CertificateRequest { RequestContext = reader.ReadVector8().ToArray() };
        request.Extensions = ExtensionBlock.Read(ref reader);
        reader.EnsureEmpty("CertificateRequest");
        return request;
    }

    public byte[] ToMessageBytes()
    {
        var w = new TlsWriter();
        w.WriteVector8(RequestContext);
        ExtensionBlock.Write(w, Extensions);
        return HandshakeFraming.Frame(HandshakeType.CertificateRequest, w);
    }
}
