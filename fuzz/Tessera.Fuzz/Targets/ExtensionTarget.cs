using Tessera.Messages;

namespace Tessera.Fuzz.Targets;

/// <summary>
/// Every extension parser, each in the message it can appear in, and the extension block reader: the first byte picks
/// the parser, the rest is the extension's data (or, for selector 0xFF, a whole extensions block).
/// </summary>
public sealed class ExtensionTarget : IFuzzTarget
{
    /// <summary>Selectors: the extension's code for the ClientHello form; +0x80 for the ServerHello / HelloRetryRequest form.</summary>
    public const byte ServerForm = 0x80;

    /// <summary>The selector of the extensions block reader.</summary>
    public const byte Block = 0xFF;

    /// <inheritdoc />
    public string Name => "extension";

    /// <inheritdoc />
    public string Description => "extension parsers (SNI, ALPN, groups, signature algorithms, key_share, supported_versions, PSK, ...) and the extensions block";

    /// <summary>The selector for an extension's data in the ClientHello (or, with <paramref name="serverForm"/>, in the server's messages).</summary>
    public static byte SelectorFor(ExtensionType type, bool serverForm) => (byte)(((ushort)type == 0xFF01 ? 0x3F : (byte)type) | (serverForm ? ServerForm : 0));

    /// <inheritdoc />
    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }

        try
        {
            Parse(input[0], input[1..]);
        }
        catch (TlsException ex)
        {
            Expect.PeerInputAlert(ex);
        }
    }

    private static void Parse(byte selector, ReadOnlySpan<byte> data)
    {
        if (selector == Block)
        {
            var reader = new TlsReader(data);
            _ = ExtensionBlock.Read(ref reader);
            return;
        }

        bool server = (selector & ServerForm) != 0;
        switch ((ExtensionType)(selector & 0x7F))
        {
            case ExtensionType.ServerName:
                _ = ServerNameExtension.Parse(data);
                break;
            case ExtensionType.StatusRequest:
                _ = StatusRequestExtension.Parse(data);
                break;
            case ExtensionType.SupportedGroups:
                _ = SupportedGroupsExtension.Parse(data);
                break;
            case ExtensionType.EcPointFormats:
                _ = EcPointFormatsExtension.Parse(data);
                break;
            case ExtensionType.SignatureAlgorithms or ExtensionType.SignatureAlgorithmsCert:
                _ = SignatureAlgorithmsExtension.Parse(data);
                break;
            case ExtensionType.ApplicationLayerProtocolNegotiation:
                _ = AlpnExtension.Parse(data);
                break;
            case ExtensionType.RecordSizeLimit:
                _ = RecordSizeLimitExtension.Parse(data);
                break;
            case ExtensionType.PreSharedKey when server:
                _ = PreSharedKeyExtension.ParseServerHello(data);
                break;
            case ExtensionType.PreSharedKey:
                _ = PreSharedKeyExtension.ParseClientHello(data);
                break;
            case ExtensionType.SupportedVersions when server:
                _ = SupportedVersionsExtension.ParseServerHello(data);
                break;
            case ExtensionType.SupportedVersions:
                _ = SupportedVersionsExtension.ParseClientHello(data);
                break;
            case ExtensionType.Cookie:
                _ = CookieExtension.Parse(data);
                break;
            case ExtensionType.PskKeyExchangeModes:
                _ = PskKeyExchangeModesExtension.Parse(data);
                break;
            case ExtensionType.CertificateAuthorities:
                _ = CertificateAuthoritiesExtension.Parse(data);
                break;
            case ExtensionType.KeyShare when server && data.Length == 2:
                _ = KeyShareExtension.ParseHelloRetryRequest(data);
                break;
            case ExtensionType.KeyShare when server:
                _ = KeyShareExtension.ParseServerHello(data);
                break;
            case ExtensionType.KeyShare:
                _ = KeyShareExtension.ParseClientHello(data);
                break;
            case (ExtensionType)0x3F:
                _ = RenegotiationInfoExtension.Parse(data);
                break;
            case ExtensionType.ExtendedMasterSecret or ExtensionType.EncryptThenMac or ExtensionType.SessionTicket or ExtensionType.EarlyData:
                EmptyExtension.Check(new TlsExtension((ushort)(selector & 0x7F), data.ToArray()));
                break;
            default:
                _ = U16List.Parse(data, "list");
                break;
        }
    }
}
