namespace Tessera.Messages;

/// <summary>Handshake message types (RFC 8446 §4).</summary>
public enum HandshakeType : byte
{
    /// <summary>hello_request (0), TLS 1.2 only.</summary>
    HelloRequest = 0,
    /// <summary>client_hello (1).</summary>
    ClientHello = 1,
    /// <summary>server_hello (2).</summary>
    ServerHello = 2,
    /// <summary>new_session_ticket (4).</summary>
    NewSessionTicket = 4,
    /// <summary>end_of_early_data (5).</summary>
    EndOfEarlyData = 5,
    /// <summary>encrypted_extensions (8).</summary>
    EncryptedExtensions = 8,
    /// <summary>certificate (11).</summary>
    Certificate = 11,
    /// <summary>server_key_exchange (12), TLS 1.2 only.</summary>
    ServerKeyExchange = 12,
    /// <summary>certificate_request (13).</summary>
    CertificateRequest = 13,
    /// <summary>server_hello_done (14), TLS 1.2 only.</summary>
    ServerHelloDone = 14,
    /// <summary>certificate_verify (15).</summary>
    CertificateVerify = 15,
    /// <summary>client_key_exchange (16), TLS 1.2 only.</summary>
    ClientKeyExchange = 16,
    /// <summary>finished (20).</summary>
    Finished = 20,
    /// <summary>certificate_status (22), TLS 1.2 only.</summary>
    CertificateStatus = 22,
    /// <summary>key_update (24).</summary>
    KeyUpdate = 24,
    /// <summary>message_hash (254): synthetic transcript entry after HelloRetryRequest.</summary>
    MessageHash = 254,
}
