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

    /// <summary>TLS 1.0/1.1: the signature alone, its algorithm implied by the key (RFC 4346 §7.4.8).</summary>
    public static CertificateVerify ParseWithoutAlgorithm(ReadOnlySpan<byte> body, ushort impliedAlgorithm)
    {
        var reader = new TlsReader(body);
        var cv = new CertificateVerify { Algorithm = impliedAlgorithm, Signature = reader.ReadVector16().ToArray() };
        reader.EnsureEmpty("CertificateVerify");
        return cv.Signature.Length == 0 ? throw new TlsException(AlertDescription.DecodeError, "empty CertificateVerify signature") : cv;
    }

    /// <summary>TLS 1.0/1.1 encoding: no algorithm field.</summary>
    public byte[] ToMessageBytesWithoutAlgorithm()
    {
        var w = new TlsWriter(Signature.Length + 4);
        w.WriteVector16(Signature);
        return HandshakeFraming.Frame(HandshakeType.CertificateVerify, w);
    }
}
