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
                case HandshakeType.Certificate when IsTls12Certificate(body):
                    DescribeCertificates(Certificate12.Parse(body).Certificates.Select(c => new CertificateEntry(c, [])).ToList(), lines);
                    break;
                case HandshakeType.Certificate:
                    var certificate = CertificateMessage.Parse(body);
                    lines.Add($"certificate_request_context: {certificate.RequestContext.Length} bytes");
                    DescribeCertificates(certificate.Entries, lines);
                    break;
                case HandshakeType.CertificateRequest when body.Length > 0 && body[0] > 0 && TryParse(CertificateRequest12.Parse, body.ToArray()) is { } request12:
                    lines.Add($"certificate_types: {string.Join(", ", request12.CertificateTypes.Select(t => t switch { 1 => "rsa_sign", 64 => "ecdsa_sign", _ => t.ToString(System.Globalization.CultureInfo.InvariantCulture) }))}");
                    lines.Add($"supported_signature_algorithms: {string.Join(", ", request12.SignatureAlgorithms.Select(SignatureSchemes.NameOf))}");
                    lines.Add($"certificate_authorities: {request12.CertificateAuthorities.Count}");
                    break;
                case HandshakeType.CertificateRequest:
                    var request = CertificateRequest.Parse(body);
                    lines.Add($"certificate_request_context: {request.RequestContext.Length} bytes");
                    DescribeExtensions(request.Extensions, lines, HandshakeType.CertificateRequest);
                    break;
                case HandshakeType.ServerKeyExchange when body.Length > 0 && body[0] != 3 && TryParse(b => ServerKeyExchangeDhe.Parse(b), body.ToArray()) is { } dhe:
                    var prime = dhe.Prime.AsSpan().TrimStart((byte)0).ToArray();
                    var known = Crypto.FfdheKeyExchange.All.FirstOrDefault(g => prime.AsSpan().SequenceEqual(g.Prime));
                    lines.Add($"dh_p: {prime.Length * 8} bits ({(known is null ? "not an RFC 7919 group" : NamedGroups.NameOf((ushort)known.Group))}), dh_g: {Short(dhe.Generator)}");
                    lines.Add($"dh_Ys (public): {dhe.PublicKey.Length} bytes {Short(dhe.PublicKey)}");
                    lines.Add($"signature algorithm: {SignatureSchemes.NameOf(dhe.SignatureAlgorithm)} (0x{dhe.SignatureAlgorithm:X4}), signature: {dhe.Signature.Length} bytes");
                    break;
                case HandshakeType.ServerKeyExchange:
                    var ske = ServerKeyExchangeEcdhe.Parse(body);
                    lines.Add($"curve_type: named_curve, named_curve: {NamedGroups.NameOf(ske.Group)}");
                    lines.Add($"public: {ske.PublicKey.Length} bytes {Short(ske.PublicKey)}");
                    lines.Add($"signature algorithm: {SignatureSchemes.NameOf(ske.SignatureAlgorithm)} (0x{ske.SignatureAlgorithm:X4}), signature: {ske.Signature.Length} bytes");
                    break;
                case HandshakeType.ClientKeyExchange when body.Length >= 2 && body[0] != body.Length - 1 && ((body[0] << 8) | body[1]) == body.Length - 2:
                    lines.Add($"exchange_keys: {body.Length - 2} bytes {Short(body[2..].ToArray())} (an RSA-encrypted premaster secret or a DH public value)");
                    break;
                case HandshakeType.ClientKeyExchange:
                    var cke = ClientKeyExchangeEcdhe.Parse(body);
                    lines.Add($"ecdh_Yc (public): {cke.PublicKey.Length} bytes {Short(cke.PublicKey)}");
                    break;
                case HandshakeType.ServerHelloDone or HandshakeType.HelloRequest:
                    EmptyHandshakeMessage.Parse(body, type);
                    lines.Add("(empty)");
                    break;
                case HandshakeType.CertificateVerify:
                    var cv = CertificateVerify.Parse(body);
                    lines.Add($"algorithm: {SignatureSchemes.NameOf(cv.Algorithm)} (0x{cv.Algorithm:X4})");
                    lines.Add($"signature: {cv.Signature.Length} bytes");
                    break;
                case HandshakeType.Finished:
                    lines.Add(body.Length == 12 ? "verify_data: 12 bytes (TLS 1.2 PRF over the handshake hash)" : $"verify_data: {body.Length} bytes (HMAC over the transcript hash)");
                    break;
                case HandshakeType.NewSessionTicket when body.Length >= 6 && ((body[4] << 8) | body[5]) == body.Length - 6:
                    var ticket12 = NewSessionTicket12.Parse(body);
                    lines.Add($"ticket_lifetime_hint: {ticket12.LifetimeHint} s (TLS 1.2, RFC 5077)");
                    lines.Add($"ticket: {ticket12.Ticket.Length} bytes");
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

    /// <summary>A TLS 1.2 Certificate is just a 3-byte-length list; a TLS 1.3 one starts with a context vector.</summary>
    private static bool IsTls12Certificate(ReadOnlySpan<byte> body) =>
        body.Length >= 3 && ((body[0] << 16) | (body[1] << 8) | body[2]) == body.Length - 3;

    private static T? TryParse<T>(Func<byte[], T> parse, byte[] body)
        where T : class
    {
        try
        {
            return parse(body);
        }
        catch (TlsException)
        {
            return null;
        }
    }

    private static void DescribeCertificates(List<CertificateEntry> entries, List<string> lines)
    {
        lines.Add($"certificate_list ({entries.Count}):");
        foreach (var entry in entries)
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
            case ExtensionType.RenegotiationInfo:
                var renegotiated = RenegotiationInfoExtension.Parse(data);
                return renegotiated.Length == 0 ? "renegotiated_connection: empty (initial handshake)" : $"renegotiated_connection: {renegotiated.Length} bytes";
            case ExtensionType.EcPointFormats:
                return string.Join(", ", EcPointFormatsExtension.Parse(data).Select(f => f == 0 ? "uncompressed" : f.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            case ExtensionType.ExtendedMasterSecret:
                return data.Length == 0 ? "on" : "malformed: not empty";
            case ExtensionType.SessionTicket:
                return data.Length == 0 ? "empty (asks for / promises a ticket)" : $"ticket of {data.Length} bytes (resumption)";
            case ExtensionType.StatusRequest when data.Length == 0:
                return "empty (the server will staple an OCSP response)";
            case ExtensionType.StatusRequest:
                var status = StatusRequestExtension.Parse(data);
                return status.StatusType == StatusRequestExtension.Ocsp
                    ? $"ocsp, {status.ResponderIds.Count} responder ids, {status.RequestExtensions.Length} bytes of request extensions"
                    : $"status_type {status.StatusType} (unknown)";
            case ExtensionType.EncryptedClientHello when context == HandshakeType.ClientHello:
                var ech = EncryptedClientHelloExtension.ParseClientHello(data);
                return ech.IsOuter
                    ? $"outer, config_id {ech.ConfigId}, {ech.CipherSuite.Kdf}/{ech.CipherSuite.Aead}, enc {ech.Enc.Length} bytes, payload {ech.Payload.Length} bytes (the encrypted inner ClientHello)"
                    : "inner";
            case ExtensionType.EncryptedClientHello when context == HandshakeType.EncryptedExtensions:
                var retry = Tessera.Ech.EchConfigList.Parse(data);
                return $"retry_configs: {retry.Count} ECHConfig(s), public names {string.Join(", ", retry.Select(c => c.PublicName))}";
            case ExtensionType.EncryptedClientHello when context == HandshakeType.HelloRequest:
                return $"acceptance confirmation, {data.Length} bytes";
            case ExtensionType.EchOuterExtensions:
                return string.Join(", ", EncryptedClientHelloExtension.ParseOuterExtensions(data).Select(ExtensionTypeNames.NameOf));
            case ExtensionType.PskKeyExchangeModes:
                return string.Join(", ", PskKeyExchangeModesExtension.Parse(data).Select(m => m switch { 0 => "psk_ke", 1 => "psk_dhe_ke", _ => m.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
            default:
                return data.Length == 0 ? "empty" : $"{data.Length} bytes {Short(data)}";
        }
    }
}
