using Tessera.Messages;

namespace Tessera.Fuzz.Targets;

/// <summary>
/// Every handshake message parser of TLS 1.3 and 1.2, and the describer the tracer uses: the first byte picks the
/// message (as its HandshakeType on the wire, plus variants), the rest is its body.
/// </summary>
public sealed class HandshakeMessageTarget : IFuzzTarget
{
    /// <inheritdoc />
    public string Name => "handshake";

    /// <inheritdoc />
    public string Description => "handshake message parsers (ClientHello ... KeyUpdate, TLS 1.2 key exchanges) and the trace describer";

    /// <summary>The selector bytes a seed should use for a message of <paramref name="type"/> in <paramref name="version"/>.</summary>
    public static byte SelectorFor(HandshakeType type, bool tls12) => (byte)((byte)type | (tls12 ? 0x80 : 0));

    /// <inheritdoc />
    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }

        byte selector = input[0];
        var body = input[1..];
        var type = (HandshakeType)(selector & 0x7F);
        bool tls12 = (selector & 0x80) != 0;
        try
        {
            Parse(type, tls12, body);
        }
        catch (TlsException ex)
        {
            Expect.PeerInputAlert(ex);
        }

        try
        {
            _ = HandshakeMessageDescriber.Describe(type, body, tls12 ? 12 : 32);
        }
        catch (TlsException ex)
        {
            Expect.PeerInputAlert(ex);
        }
    }

    private static void Parse(HandshakeType type, bool tls12, ReadOnlySpan<byte> body)
    {
        switch (type)
        {
            case HandshakeType.ClientHello:
                _ = ClientHello.Parse(body);
                break;
            case HandshakeType.ServerHello:
                _ = ServerHello.Parse(body);
                break;
            case HandshakeType.NewSessionTicket when tls12:
                _ = NewSessionTicket12.Parse(body);
                break;
            case HandshakeType.NewSessionTicket:
                _ = NewSessionTicket.Parse(body);
                break;
            case HandshakeType.EncryptedExtensions:
                _ = EncryptedExtensions.Parse(body);
                break;
            case HandshakeType.Certificate when tls12:
                _ = Certificate12.Parse(body);
                break;
            case HandshakeType.Certificate:
                _ = CertificateMessage.Parse(body);
                break;
            case HandshakeType.ServerKeyExchange:
                if (body.Length > 0 && (body[0] & 1) == 0)
                {
                    _ = ServerKeyExchangeEcdhe.Parse(body, withSignatureAlgorithm: body.Length % 3 != 0);
                }
                else
                {
                    _ = ServerKeyExchangeDhe.Parse(body, withSignatureAlgorithm: body.Length % 3 != 0);
                }

                break;
            case HandshakeType.CertificateRequest when tls12:
                _ = CertificateRequest12.Parse(body, withSignatureAlgorithms: body.Length % 3 != 0);
                break;
            case HandshakeType.CertificateRequest:
                _ = CertificateRequest.Parse(body);
                break;
            case HandshakeType.ServerHelloDone or HandshakeType.HelloRequest or HandshakeType.EndOfEarlyData:
                EmptyHandshakeMessage.Parse(body, type);
                break;
            case HandshakeType.CertificateVerify when tls12 && body.Length % 2 == 1:
                _ = CertificateVerify.ParseWithoutAlgorithm(body, 0x0401);
                break;
            case HandshakeType.CertificateVerify:
                _ = CertificateVerify.Parse(body);
                break;
            case HandshakeType.ClientKeyExchange:
                switch (body.Length % 3)
                {
                    case 0:
                        _ = ClientKeyExchangeEcdhe.Parse(body);
                        break;
                    case 1:
                        _ = ClientKeyExchangeDhe.Parse(body);
                        break;
                    default:
                        _ = ClientKeyExchangeRsa.Parse(body);
                        break;
                }

                break;
            case HandshakeType.Finished:
                _ = Finished.Parse(body, tls12 ? 12 : body.Length % 2 == 0 ? 32 : 48);
                break;
            case HandshakeType.CertificateStatus:
                _ = CertificateStatus.Parse(body);
                break;
            case HandshakeType.KeyUpdate:
                _ = KeyUpdate.Parse(body);
                break;
            default:
                break;
        }
    }
}
