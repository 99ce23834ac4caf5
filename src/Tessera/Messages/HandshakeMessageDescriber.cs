using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Tessera.Messages;

/// <summary>
/// Turns a handshake message into the lines a protocol analyzer prints: every field, extensions by
/// name with their decoded contents. Never throws: malformed input becomes a "malformed:" line.
/// </summary>
internal static class HandshakeMessageDescriber
{
    public static IReadOnlyList<string> Describe(HandshakeType type, ReadOnlySpan<byte> body, int hashLength = 32)
    {
        var lines = new List<string>();
        try
        {
            switch (type)
            {
                case HandshakeType.ClientHello:
                    DescribeClientHello(ClientHello.Parse(body), lines);
                    break;
                case HandshakeType.ServerHello:
                    DescribeServerHello(ServerHello.Parse(body), lines);
                    break;
                case HandshakeType.EncryptedExtensions:
                    DescribeExtensions(EncryptedExtensions.Parse(body).Extensions, lines, HandshakeType.EncryptedExtensions);
                    break;
                case HandshakeType.Certificate:
                    DescribeCertificate(CertificateMessage.Parse(body), lines);
                    break;
                case HandshakeType.CertificateRequest:
                    var request = CertificateRequest.Parse(body);
                    lines.Add($"certificate_request_context: {request.RequestContext.Length} bytes");
                    DescribeExtensions(request.Extensions, lines, HandshakeType.CertificateRequest);
                    break;
                case HandshakeType.CertificateVerify:
                    var cv = CertificateVerify.Parse(body);
                    lines.Add($"algorithm: {SignatureSchemes.NameOf(cv.Algorithm)} (0x{cv.Algorithm:X4})");
                    lines.Add($"signature: {cv.Signature.Length} bytes");
                    break;
                case HandshakeType.Finished:
                    lines.Add($"verify_data: {body.Length} bytes (HMAC over the transcript)");
                    break;
                case HandshakeType.NewSessionTicket:
                    var ticket = NewSessionTicket.Parse(body);
                    lines.Add($"ticket_lifetime: {ticket.TicketLifetime} s");
                    lines.Add($"ticket_age_add: {ticket.TicketAgeAdd}");
                    lines.Add($"ticket_nonce: {Convert.ToHexStringLower(ticket.TicketNonce)}");
                    lines.Add($"ticket: {ticket.Ticket.Length} bytes");
                    DescribeExtensions(ticket.Extensions, lines, HandshakeType.NewSessionTicket);
                    break;
                case HandshakeType.KeyUpdate:
                    lines.Add($"request_update: {(KeyUpdate.Parse(body).UpdateRequested ? "update_requested" : "update_not_requested")}");
                    break;
                default:
                    lines.Add($"{body.Length} bytes");
                    break;
            }
        }
        catch (TlsException ex)
        {
            lines.Add($"malformed: {ex.Reason}");
        }

        _ = hashLength;
        return lines;
    }

    private static string Version(ushort v) => $"{((TlsProtocolVersion)v).ToDisplayName()} (0x{v:X4})";

    private static bool IsGrease(ushort v) => (v & 0x0F0F) == 0x0A0A && (v >> 8) == (v & 0xFF);

    private static string Short(ReadOnlySpan<byte> bytes, int max = 16) =>
        bytes.Length <= max ? Convert.ToHexStringLower(bytes) : Convert.ToHexStringLower(bytes[..max]) + "…";

    private static void DescribeClientHello(ClientHello hello, List<string> lines)
    {
        lines.Add($"legacy_version: {Version(hello.LegacyVersion)}");
        lines.Add($"random: {Convert.ToHexStringLower(hello.Random)}");
        lines.Add($"legacy_session_id: {hello.LegacySessionId.Length} bytes {Short(hello.LegacySessionId)}");
        lines.Add($"cipher_suites ({hello.CipherSuites.Length}):");
        foreach (var suite in hello.CipherSuites)
        {
            lines.Add($"  {(IsGrease(suite) ? "GREASE" : CipherSuites.NameOf(suite))} (0x{suite:X4})");
        }

        lines.Add($"legacy_compression_methods: {string.Join(", ", hello.LegacyCompressionMethods.Select(m => m == 0 ? "null" : m.ToString(System.Globalization.CultureInfo.InvariantCulture)))}");
        DescribeExtensions(hello.Extensions, lines, HandshakeType.ClientHello);
    }

    private static void DescribeServerHello(ServerHello hello, List<string> lines)
    {
        lines.Add($"legacy_version: {Version(hello.LegacyVersion)}");
        lines.Add(hello.IsHelloRetryRequest ? "random: HelloRetryRequest marker (SHA-256 of \"HelloRetryRequest\")" : $"random: {Convert.ToHexStringLower(hello.Random)}");
        lines.Add($"legacy_session_id_echo: {hello.LegacySessionIdEcho.Length} bytes {Short(hello.LegacySessionIdEcho)}");
        lines.Add($"cipher_suite: {CipherSuites.NameOf(hello.CipherSuite)} (0x{hello.CipherSuite:X4})");
        lines.Add($"legacy_compression_method: {hello.LegacyCompressionMethod}");
        DescribeExtensions(hello.Extensions, lines, hello.IsHelloRetryRequest ? HandshakeType.HelloRequest : HandshakeType.ServerHello);
    }

    private static void DescribeCertificate(CertificateMessage message, List<string> lines)
    {
        lines.Add($"certificate_request_context: {message.RequestContext.Length} bytes");
        lines.Add($"certificate_list ({message.Entries.Count}):");
        foreach (var entry in message.Entries)
        {
            string who;
            try
            {
                using var cert = X509CertificateLoader.LoadCertificate(entry.Data);
                who = $"subject \"{cert.Subject}\", issuer \"{cert.Issuer}\", key {cert.PublicKey.Oid.FriendlyName ?? cert.PublicKey.Oid.Value}";
            }
            catch (CryptographicException)
            {
                who = "not a parseable X.509 certificate";
            }

            lines.Add($"  {entry.Data.Length} bytes: {who}");
            foreach (var ext in entry.Extensions)
            {
                lines.Add($"    extension {ExtensionTypeNames.NameOf(ext.Type)}: {ext.Data.Length} bytes");
            }
        }
    }

    // HelloRequest stands in for "HelloRetryRequest" here, which has no message type of its own.
    private static void DescribeExtensions(List<TlsExtension> extensions, List<string> lines, HandshakeType context)
    {
        lines.Add($"extensions ({extensions.Count}):");
        foreach (var ext in extensions)
        {
            string name = IsGrease(ext.Type) ? "GREASE" : ExtensionTypeNames.NameOf(ext.Type);
            string detail;
            try
            {
                detail = Detail(ext, context);
            }
            catch (TlsException ex)
            {
                detail = $"malformed: {ex.Reason}";
            }

            lines.Add($"  {name} ({ext.Type}): {detail}");
        }
    }

    private static string Detail(TlsExtension ext, HandshakeType context)
    {
        var data = ext.Data;
        switch ((ExtensionType)ext.Type)
        {
            case ExtensionType.ServerName:
                return data.Length == 0 ? "acknowledged" : $"host_name \"{ServerNameExtension.Parse(data)}\"";
            case ExtensionType.SupportedVersions:
                return context == HandshakeType.ClientHello
                    ? string.Join(", ", SupportedVersionsExtension.ParseClientHello(data).Select(v => IsGrease(v) ? "GREASE" : Version(v)))
                    : Version(SupportedVersionsExtension.ParseServerHello(data));
            case ExtensionType.SupportedGroups:
                return string.Join(", ", SupportedGroupsExtension.Parse(data).Select(g => IsGrease(g) ? "GREASE" : NamedGroups.NameOf(g)));
            case ExtensionType.SignatureAlgorithms:
            case ExtensionType.SignatureAlgorithmsCert:
                return string.Join(", ", SignatureAlgorithmsExtension.Parse(data).Select(s => IsGrease(s) ? "GREASE" : SignatureSchemes.NameOf(s)));
            case ExtensionType.KeyShare:
                if (context == HandshakeType.HelloRequest)
                {
                    return $"selected_group {NamedGroups.NameOf(KeyShareExtension.ParseHelloRetryRequest(data))}";
                }

                var entries = context == HandshakeType.ClientHello ? KeyShareExtension.ParseClientHello(data) : [KeyShareExtension.ParseServerHello(data)];
                return string.Join("; ", entries.Select(e => $"{(IsGrease(e.Group) ? "GREASE" : NamedGroups.NameOf(e.Group))}, {e.KeyExchange.Length} bytes {Short(e.KeyExchange)}"));
            case ExtensionType.ApplicationLayerProtocolNegotiation:
                return string.Join(", ", AlpnExtension.Parse(data).Select(p => $"\"{p}\""));
            case ExtensionType.RecordSizeLimit:
                return $"{RecordSizeLimitExtension.Parse(data)} bytes";
            case ExtensionType.Cookie:
                return $"{CookieExtension.Parse(data).Length} bytes";
            case ExtensionType.PskKeyExchangeModes:
                return string.Join(", ", PskKeyExchangeModesExtension.Parse(data).Select(m => m switch { 0 => "psk_ke", 1 => "psk_dhe_ke", _ => m.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
            default:
                return data.Length == 0 ? "empty" : $"{data.Length} bytes {Short(data)}";
        }
    }
}
