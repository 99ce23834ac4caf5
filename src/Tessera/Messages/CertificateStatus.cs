namespace Tessera.Messages;

/// <summary>
/// CertificateStatus (RFC 6066 §8): status_type ocsp(1) and an OCSPResponse&lt;1..2^24-1&gt;. The TLS 1.2
/// handshake message after Certificate, and in TLS 1.3 the status_request extension of the leaf's
/// CertificateEntry (RFC 8446 §4.4.2.1).
/// </summary>
internal static class CertificateStatus
{
    /// <summary>The most a peer may staple (a response with a few certificates is a few kilobytes).</summary>
    public const int MaxResponseLength = 64 * 1024;

    public static byte[] Encode(ReadOnlySpan<byte> ocspResponse)
    {
        var w = new TlsWriter(ocspResponse.Length + 4);
        w.WriteUInt8(StatusRequestExtension.Ocsp);
        w.WriteVector24(ocspResponse);
        return w.ToArray();
    }

    public static byte[] ToMessageBytes(ReadOnlySpan<byte> ocspResponse)
    {
        var w = new TlsWriter(ocspResponse.Length + 4);
        w.WriteBytes(Encode(ocspResponse));
        return HandshakeFraming.Frame(HandshakeType.CertificateStatus, w);
    }

    /// <summary>The OCSP response inside; decode_error when malformed, empty or oversized.</summary>
    public static byte[] Parse(ReadOnlySpan<byte> data)
    {
        var reader = new TlsReader(data);
        if (reader.ReadUInt8() != StatusRequestExtension.Ocsp)
        {
            throw new TlsException(AlertDescription.DecodeError, "CertificateStatus of an unknown status_type");
        }

        var response = reader.ReadVector24();
        reader.EnsureEmpty("CertificateStatus");
        return response.IsEmpty || response.Length > MaxResponseLength
            ? throw new TlsException(AlertDescription.DecodeError, "CertificateStatus holds no (or an oversized) OCSP response")
            : response.ToArray();
    }
}
