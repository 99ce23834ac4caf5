namespace Tessera.Messages;

/// <summary>Finished (RFC 8446 §4.4.4): verify_data of exactly the hash length.</summary>
internal sealed class Finished
{
    public byte[] VerifyData { get; set; } = [];

    public static Finished Parse(ReadOnlySpan<byte> body, int hashLength)
    {
        if (body.Length != hashLength)
        {
            throw new TlsException(AlertDescription.DecodeError, $"Finished of {body.Length} bytes, expected {hashLength}");
        }

        return new Finished { VerifyData = body.ToArray() };
    }

    public byte[] ToMessageBytes() => HandshakeFraming.Frame(HandshakeType.Finished, VerifyData);
}
