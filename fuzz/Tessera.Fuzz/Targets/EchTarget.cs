using Tessera.Ech;
using Tessera.Messages;

namespace Tessera.Fuzz.Targets;

/// <summary>
/// Encrypted Client Hello's parsers (RFC 9849): the first byte picks one, the rest is its input. 0: an ECHConfigList;
/// 1: the encrypted_client_hello extension of a ClientHello; 2: ech_outer_extensions; 3: a decrypted
/// EncodedClientHelloInner, rebuilt against a fixed ClientHelloOuter and checked as the server does.
/// </summary>
public sealed class EchTarget : IFuzzTarget
{
    /// <inheritdoc />
    public string Name => "ech";

    /// <inheritdoc />
    public string Description => "Encrypted Client Hello: ECHConfigList, encrypted_client_hello, ech_outer_extensions, the inner ClientHello rebuilt from the outer";

    /// <summary>The ClientHelloOuter that selector 3 decompresses against: the extensions a Tessera client's outer hello holds.</summary>
    internal static ClientHello Outer { get; } = new()
    {
        Random = new byte[32],
        LegacySessionId = new byte[32],
        CipherSuites = [0x1301, 0x1302, 0x1303],
        Extensions =
        [
            new TlsExtension((ushort)ExtensionType.ServerName, ServerNameExtension.Encode("public.example")),
            new TlsExtension((ushort)ExtensionType.SupportedVersions, SupportedVersionsExtension.EncodeClientHello([0x0304])),
            new TlsExtension((ushort)ExtensionType.SupportedGroups, SupportedGroupsExtension.Encode([0x001D, 0x0017])),
            new TlsExtension((ushort)ExtensionType.KeyShare, KeyShareExtension.EncodeClientHello([new KeyShareEntry(0x001D, new byte[32])])),
            new TlsExtension((ushort)ExtensionType.SignatureAlgorithms, SignatureAlgorithmsExtension.Encode([0x0403, 0x0804])),
            new TlsExtension((ushort)ExtensionType.PskKeyExchangeModes, PskKeyExchangeModesExtension.Encode([1])),
            new TlsExtension((ushort)ExtensionType.EncryptedClientHello, [0, 0, 1, 0, 1, 7, 0, 0, 0, 1, 0]),
        ],
    };

    /// <inheritdoc />
    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }

        try
        {
            switch (input[0] % 4)
            {
                case 0:
                    _ = EchConfigList.Parse(input[1..]).Select(c => c.IsUsable).ToList();
                    break;
                case 1:
                    _ = EncryptedClientHelloExtension.ParseClientHello(input[1..]);
                    break;
                case 2:
                    _ = EncryptedClientHelloExtension.ParseOuterExtensions(input[1..]);
                    break;
                default:
                    var inner = EncodedClientHelloInner.Decode(input[1..], Outer);
                    _ = ClientHello.Parse(inner.ToMessageBytes().AsSpan(4));
                    break;
            }
        }
        catch (TlsException ex)
        {
            Expect.PeerInputAlert(ex);
        }
    }

    /// <summary>Seeds: a real configuration list, outer and inner extensions, and encoded inner hellos with and without compression and padding.</summary>
    internal static IEnumerable<byte[]> Seeds()
    {
        using var key = EchServerKey.Generate("public.example", 7, 32);
        yield return [0, .. key.ConfigList];
        yield return [0, .. EchConfigList.Encode([key.Config, new EchConfig { ConfigId = 9, PublicKey = new byte[32], CipherSuites = [new EchCipherSuite(Crypto.Hpke.HpkeKdf.HkdfSha256, Crypto.Hpke.HpkeAead.ChaCha20Poly1305)], PublicName = "b.example", Extensions = [new EchConfigExtension(0x8001, [1])] }])];
        yield return [1, .. Outer.Extensions[^1].Data];
        yield return [1, .. EncryptedClientHelloExtension.InnerMarker.Encode()];
        yield return [2, .. EncodedClientHelloInner.EncodeOuterExtensions([0x002B, 0x000A, 0x0033])];
        var extensions = Outer.Extensions.Take(Outer.Extensions.Count - 1).ToList();
        extensions[0] = new TlsExtension((ushort)ExtensionType.ServerName, ServerNameExtension.Encode("secret.example"));
        extensions.Insert(1, new TlsExtension((ushort)ExtensionType.EncryptedClientHello, EncryptedClientHelloExtension.InnerMarker.Encode()));
        var inner = Outer.With(extensions, random: Enumerable.Repeat((byte)1, 32).ToArray());
        HashSet<ushort> all = [.. extensions.Skip(2).Select(e => e.Type)];
        yield return [3, .. EncodedClientHelloInner.Encode(inner, all, 32)];
        yield return [3, .. EncodedClientHelloInner.Encode(inner, new HashSet<ushort>(), 0)];
        yield return [3, .. EncodedClientHelloInner.Encode(inner, new HashSet<ushort> { (ushort)ExtensionType.SupportedGroups, (ushort)ExtensionType.KeyShare }, 0)];
    }
}
