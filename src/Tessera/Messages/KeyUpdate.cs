namespace Tessera.Messages;

/// <summary>KeyUpdate (RFC 8446 §4.6.3).</summary>
internal sealed class KeyUpdate
{
    public bool UpdateRequested { get; set; }

    public static KeyUpdate Parse(ReadOnlySpan<byte> body)
    {
        var reader = new TlsReader(body);
        byte value = reader.ReadUInt8();
        reader.EnsureEmpty("KeyUpdate");
        return value switch
        {
            0 => new KeyUpdate { UpdateRequested = false },
            1 => new KeyUpdate { UpdateRequested = true },
            _ => throw new TlsException(AlertDescription.IllegalParameter, $"KeyUpdate request_update value {value}"),
        };
    }

    public byte[] ToMessageBytes() => HandshakeFraming.Frame(HandshakeType.KeyUpdate, [UpdateRequested ? (byte)1 : (byte)0]);
}
