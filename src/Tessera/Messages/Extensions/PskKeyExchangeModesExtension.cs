namespace Tessera.Messages;

/// <summary>psk_key_exchange_modes (RFC 8446 §4.2.9).</summary>
internal static class PskKeyExchangeModesExtension
{
    public static byte[] Parse(ReadOnlySpan<byte> data)
    {
        var reader = new TlsReader(data);
        var modes = reader.ReadVector8();
        reader.EnsureEmpty("psk_key_exchange_modes");
        return modes.IsEmpty ? throw new TlsException(AlertDescription.DecodeError, "empty psk_key_exchange_modes") : modes.ToArray();
    }

    public static byte[] Encode(ReadOnlySpan<byte> modes)
    {
        var w = new TlsWriter();
        w.WriteVector8(modes);
        return w.ToArray();
    }
}
