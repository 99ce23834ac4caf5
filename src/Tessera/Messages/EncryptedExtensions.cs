namespace Tessera.Messages;

/// <summary>EncryptedExtensions (RFC 8446 §4.3.1).</summary>
internal sealed class EncryptedExtensions
{
    public List<TlsExtension> Extensions { get; set; } = [];

    public static EncryptedExtensions Parse(ReadOnlySpan<byte> body)
    {
        var reader = new TlsReader(body);
        var result = new EncryptedExtensions { Extensions = ExtensionBlock.Read(ref reader) };
        reader.EnsureEmpty("EncryptedExtensions");
        return result;
    }

    public byte[] ToMessageBytes()
    {
        var w = new TlsWriter();
        ExtensionBlock.Write(w, Extensions);
        return HandshakeFraming.Frame(HandshakeType.EncryptedExtensions, w);
    }
}
