namespace Tessera.Messages;

/// <summary>One CertificateEntry: the DER certificate and its extensions (RFC 8446 §4.4.2).</summary>
internal sealed record CertificateEntry(byte[] Data, List<TlsExtension> Extensions);

/// <summary>Certificate (RFC 8446 §4.4.2).</summary>
internal sealed class CertificateMessage
{
    public byte[] RequestContext { get; set; } = [];

    public List<CertificateEntry> Entries { get; set; } = [];

    public static CertificateMessage Parse(ReadOnlySpan<byte> body)
    {
        var reader = new TlsReader(body);
        var message = new CertificateMessage { RequestContext = reader.ReadVector8().ToArray() };
        var list = new TlsReader(reader.ReadVector24());
        reader.EnsureEmpty("Certificate");
        while (!list.IsEmpty)
        {
            var data = list.ReadVector24();
            if (data.IsEmpty)
            {
                throw new TlsException(AlertDescription.DecodeError, "empty cert_data in a CertificateEntry");
            }

            message.Entries.Add(new CertificateEntry(data.ToArray(), ExtensionBlock.Read(ref list)));
        }

        return message;
    }

    public byte[] ToMessageBytes()
    {
        var w = new TlsWriter(4096);
        w.WriteVector8(RequestContext);
        int list = w.BeginVector(3);
        foreach (var entry in Entries)
        {
            w.WriteVector24(entry.Data);
            ExtensionBlock.Write(w, entry.Extensions);
        }

        w.EndVector(list);
        return HandshakeFraming.Frame(HandshakeType.Certificate, w);
    }
}
