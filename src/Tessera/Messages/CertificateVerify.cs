namespace Tessera.Messages;

/// <summary>CertificateVerify (RFC 8446 §4.4.3).</summary>
internal sealed class CertificateVerify
{
    public ushort Algorithm { get; set; }

    public byte[] Signature { get; set; } = [];

    public static CertificateVerify Parse(ReadOnlySpan<byte> body)
    {
        var reader = new TlsReader(body);
        var cv = new CertificateVerify { Algorithm = reader.ReadUInt16(), Signature = reader.ReadVector16().ToArray() };
        reader.EnsureEmpty("CertificateVerify");
        if (cv.Signature.Length == 0)
        {
            throw new TlsException(AlertDescription.DecodeError, "empty CertificateVerify signature");
        }

        return cv;
    }

    public byte[] ToMessageBytes()
    {
        var w = new TlsWriter(Signature.Length + 8);
        w.WriteUInt16(Algorithm);
        w.WriteVector16(Signature);
        return HandshakeFraming.Frame(HandshakeType.CertificateVerify, w);
    }
}
