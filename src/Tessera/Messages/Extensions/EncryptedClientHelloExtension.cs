using Tessera.Crypto.Hpke;
using Tessera.Ech;

namespace Tessera.Messages;

/// <summary>
/// The encrypted_client_hello extension of a ClientHello (the TLS ECH specification, ECHClientHello): the outer form
/// carries the HPKE suite, config_id, enc (empty after a HelloRetryRequest) and the encrypted inner ClientHello; the
/// inner form is empty. In EncryptedExtensions it carries retry_configs (an ECHConfigList); in a HelloRetryRequest,
/// an 8-byte acceptance confirmation.
/// </summary>
internal sealed record EncryptedClientHelloExtension(bool IsOuter, EchCipherSuite CipherSuite, byte ConfigId, byte[] Enc, byte[] Payload)
{
    public const byte Outer = 0;
    public const byte Inner = 1;

    public static EncryptedClientHelloExtension InnerMarker { get; } = new(false, default, 0, [], []);

    public static EncryptedClientHelloExtension ParseClientHello(ReadOnlySpan<byte> data)
    {
        var r = new TlsReader(data);
        byte type = r.ReadUInt8();
        if (type == Inner)
        {
            r.EnsureEmpty("encrypted_client_hello (inner)");
            return InnerMarker;
        }

        if (type != Outer)
        {
            throw new TlsException(AlertDescription.IllegalParameter, $"encrypted_client_hello of unknown type {type}");
        }

        var suite = new EchCipherSuite((HpkeKdf)r.ReadUInt16(), (HpkeAead)r.ReadUInt16());
        byte configId = r.ReadUInt8();
        var enc = r.ReadVector16().ToArray();
        var payload = r.ReadVector16();
        if (payload.IsEmpty)
        {
            throw new TlsException(AlertDescription.DecodeError, "encrypted_client_hello with an empty payload");
        }

        r.EnsureEmpty("encrypted_client_hello");
        return new EncryptedClientHelloExtension(true, suite, configId, enc, payload.ToArray());
    }

    public byte[] Encode()
    {
        if (!IsOuter)
        {
            return [Inner];
        }

        var w = new TlsWriter(16 + Enc.Length + Payload.Length);
        w.WriteUInt8(Outer);
        w.WriteUInt16((ushort)CipherSuite.Kdf);
        w.WriteUInt16((ushort)CipherSuite.Aead);
        w.WriteUInt8(ConfigId);
        w.WriteVector16(Enc);
        w.WriteVector16(Payload);
        var bytes = w.ToArray();
        w.Release();
        return bytes;
    }

    /// <summary>ech_outer_extensions: the extension types (at least one, never encrypted_client_hello itself) copied from the outer hello.</summary>
    public static IReadOnlyList<ushort> ParseOuterExtensions(ReadOnlySpan<byte> data)
    {
        var r = new TlsReader(data);
        var list = new TlsReader(r.ReadVector8());
        r.EnsureEmpty("ech_outer_extensions");
        if (list.IsEmpty || list.Remaining % 2 != 0)
        {
            throw new TlsException(AlertDescription.DecodeError, "ech_outer_extensions must list whole extension types, at least one");
        }

        var types = new List<ushort>();
        while (!list.IsEmpty)
        {
            ushort type = list.ReadUInt16();
            if (type is (ushort)ExtensionType.EncryptedClientHello or (ushort)ExtensionType.EchOuterExtensions)
            {
                throw new TlsException(AlertDescription.IllegalParameter, $"ech_outer_extensions may not refer to {ExtensionTypeNames.NameOf(type)}");
            }

            types.Add(type);
        }

        return types;
    }
}
