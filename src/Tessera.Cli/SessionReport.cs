using System.Security.Cryptography.X509Certificates;

namespace Tessera.Cli;

/// <summary>The negotiated parameters of a connection, printed as s_client prints them.</summary>
internal static class SessionReport
{
    public static string Subject(IReadOnlyList<byte[]> chain)
    {
        if (chain.Count == 0)
        {
            return "(none)";
        }

        try
        {
            using var cert = X509CertificateLoader.LoadCertificate(chain[0]);
            return cert.Subject;
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return "(unparseable certificate)";
        }
    }

    public static IEnumerable<string> Lines(TlsConnection c, string? verification)
    {
        // openssl's summary line, which scripts grep for ("Reused, TLSv1.3, Cipher is ...").
        yield return $"{(c.IsResumed ? "Reused" : "New")}, {c.NegotiatedProtocol.ToDisplayName()}, Cipher is {(c.NegotiatedCipherSuite is { } suiteName ? CipherSuites.Get(suiteName).Name : "(none)")}";
        yield return $"Protocol: {c.NegotiatedProtocol.ToDisplayName()}";
        yield return $"Ciphersuite: {(c.NegotiatedCipherSuite is { } s ? CipherSuites.Get(s).Name : "(none)")}";
        yield return $"Group: {(c.NegotiatedGroup is { } g ? NamedGroups.Find(g)?.OpenSslName ?? g.ToString() : "(none)")}";
        yield return $"Peer signature: {(c.PeerSignatureScheme?.ToString() ?? "(none)")}";
        yield return $"Peer certificate: {Subject(c.PeerCertificateChain)}";
        if (c.ExternalPskIdentity is { } identity)
        {
            yield return $"PSK identity: {System.Text.Encoding.UTF8.GetString(identity)} (both sides authenticated by the external PSK)";
        }

        if (verification is not null)
        {
            yield return $"Verification: {verification}";
            if (verification == "OK")
            {
                yield return "Verify return code: 0 (ok)";
            }
        }

        yield return $"ALPN protocol: {c.NegotiatedApplicationProtocol ?? "(none)"}";
        yield return $"Server name: {c.ServerName ?? "(none)"}";
        if (c.WasHelloRetryRequest)
        {
            yield return "HelloRetryRequest: yes";
        }

        if (c.EchStatus != TlsEchStatus.NotOffered)
        {
            yield return "ECH: " + c.EchStatus switch
            {
                TlsEchStatus.Accepted => "accepted (the server name and the rest of the ClientHello travelled encrypted)",
                TlsEchStatus.Grease => "GREASE (an extension that looks like ECH; nothing hidden)",
                _ => c.IsClient ? "rejected" : "not decrypted (the outer ClientHello was used; retry configurations sent if this server has ECH keys)",
            };
        }

        if (c.EarlyDataStatus != TlsEarlyDataStatus.NotOffered)
        {
            yield return $"Early data was {(c.EarlyDataStatus == TlsEarlyDataStatus.Accepted ? "accepted" : "rejected")}";
        }

        if (c.NegotiatedProtocol == TlsProtocolVersion.Tls12)
        {
            yield return $"Session: {(c.IsResumed ? "Reused" : "New")}; extended master secret: {(c.ExtendedMasterSecret ? "yes" : "no")}; secure renegotiation: {(c.SecureRenegotiation ? "yes" : "no")}";
            if (c.NegotiatedCipherSuite is { } suite && CipherSuites.Find(suite) is { } info && info.RequiredLegacy != LegacyPolicy.None)
            {
                string what = string.Join(", ", new[]
                {
                    info.KeyExchange == TlsKeyExchange.Rsa ? "RSA key exchange (no forward secrecy)" : null,
                    info.KeyExchange == TlsKeyExchange.Dhe ? "finite-field DHE (RFC 7919 group)" : null,
                    info.IsCbc ? (c.EncryptThenMac ? "CBC with encrypt-then-MAC" : "CBC with MAC-then-encrypt") : null,
                }.OfType<string>());
                yield return $"Legacy: {what}";
            }
        }
    }

    public static string Brief(TlsConnection c) =>
        $"{c.NegotiatedProtocol.ToDisplayName()} {(c.NegotiatedCipherSuite is { } s ? CipherSuites.Get(s).Name : "?")} {(c.NegotiatedGroup is { } g ? NamedGroups.Find(g)?.OpenSslName : c.IsResumed ? "(resumed, no key exchange)" : "?")}";
}
