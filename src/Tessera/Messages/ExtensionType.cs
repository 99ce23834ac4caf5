namespace Tessera.Messages;

/// <summary>TLS extension code points (IANA "TLS ExtensionType Values").</summary>
public enum ExtensionType : ushort
{
    /// <summary>server_name (0).</summary>
    ServerName = 0,
    /// <summary>max_fragment_length (1).</summary>
    MaxFragmentLength = 1,
    /// <summary>status_request (5).</summary>
    StatusRequest = 5,
    /// <summary>supported_groups (10).</summary>
    SupportedGroups = 10,
    /// <summary>ec_point_formats (11).</summary>
    EcPointFormats = 11,
    /// <summary>signature_algorithms (13).</summary>
    SignatureAlgorithms = 13,
    /// <summary>use_srtp (14).</summary>
    UseSrtp = 14,
    /// <summary>heartbeat (15).</summary>
    Heartbeat = 15,
    /// <summary>application_layer_protocol_negotiation (16).</summary>
    ApplicationLayerProtocolNegotiation = 16,
    /// <summary>signed_certificate_timestamp (18).</summary>
    SignedCertificateTimestamp = 18,
    /// <summary>client_certificate_type (19).</summary>
    ClientCertificateType = 19,
    /// <summary>server_certificate_type (20).</summary>
    ServerCertificateType = 20,
    /// <summary>padding (21).</summary>
    Padding = 21,
    /// <summary>encrypt_then_mac (22).</summary>
    EncryptThenMac = 22,
    /// <summary>extended_master_secret (23).</summary>
    ExtendedMasterSecret = 23,
    /// <summary>compress_certificate (27).</summary>
    CompressCertificate = 27,
    /// <summary>record_size_limit (28).</summary>
    RecordSizeLimit = 28,
    /// <summary>session_ticket (35).</summary>
    SessionTicket = 35,
    /// <summary>pre_shared_key (41).</summary>
    PreSharedKey = 41,
    /// <summary>early_data (42).</summary>
    EarlyData = 42,
    /// <summary>supported_versions (43).</summary>
    SupportedVersions = 43,
    /// <summary>cookie (44).</summary>
    Cookie = 44,
    /// <summary>psk_key_exchange_modes (45).</summary>
    PskKeyExchangeModes = 45,
    /// <summary>certificate_authorities (47).</summary>
    CertificateAuthorities = 47,
    /// <summary>oid_filters (48).</summary>
    OidFilters = 48,
    /// <summary>post_handshake_auth (49).</summary>
    PostHandshakeAuth = 49,
    /// <summary>signature_algorithms_cert (50).</summary>
    SignatureAlgorithmsCert = 50,
    /// <summary>key_share (51).</summary>
    KeyShare = 51,
    /// <summary>renegotiation_info (65281).</summary>
    RenegotiationInfo = 0xFF01,
    /// <summary>ech_outer_extensions (0xfd00, TLS ECH): outer extensions the inner ClientHello refers to.</summary>
    EchOuterExtensions = 0xFD00,
    /// <summary>encrypted_client_hello (0xfe0d, TLS ECH).</summary>
    EncryptedClientHello = 0xFE0D,
}

/// <summary>Names of extensions.</summary>
public static class ExtensionTypeNames
{
    /// <summary>The RFC name of an extension code point (e.g. <c>key_share</c>), or <c>unknown(N)</c>.</summary>
    public static string NameOf(ushort code) => (ExtensionType)code switch
    {
        ExtensionType.ServerName => "server_name",
        ExtensionType.MaxFragmentLength => "max_fragment_length",
        ExtensionType.StatusRequest => "status_request",
        ExtensionType.SupportedGroups => "supported_groups",
        ExtensionType.EcPointFormats => "ec_point_formats",
        ExtensionType.SignatureAlgorithms => "signature_algorithms",
        ExtensionType.UseSrtp => "use_srtp",
        ExtensionType.Heartbeat => "heartbeat",
        ExtensionType.ApplicationLayerProtocolNegotiation => "application_layer_protocol_negotiation",
        ExtensionType.SignedCertificateTimestamp => "signed_certificate_timestamp",
        ExtensionType.ClientCertificateType => "client_certificate_type",
        ExtensionType.ServerCertificateType => "server_certificate_type",
        ExtensionType.Padding => "padding",
        ExtensionType.EncryptThenMac => "encrypt_then_mac",
        ExtensionType.ExtendedMasterSecret => "extended_master_secret",
        ExtensionType.CompressCertificate => "compress_certificate",
        ExtensionType.RecordSizeLimit => "record_size_limit",
        ExtensionType.SessionTicket => "session_ticket",
        ExtensionType.PreSharedKey => "pre_shared_key",
        ExtensionType.EarlyData => "early_data",
        ExtensionType.SupportedVersions => "supported_versions",
        ExtensionType.Cookie => "cookie",
        ExtensionType.PskKeyExchangeModes => "psk_key_exchange_modes",
        ExtensionType.CertificateAuthorities => "certificate_authorities",
        ExtensionType.OidFilters => "oid_filters",
        ExtensionType.PostHandshakeAuth => "post_handshake_auth",
        ExtensionType.SignatureAlgorithmsCert => "signature_algorithms_cert",
        ExtensionType.KeyShare => "key_share",
        ExtensionType.RenegotiationInfo => "renegotiation_info",
        ExtensionType.EchOuterExtensions => "ech_outer_extensions",
        ExtensionType.EncryptedClientHello => "encrypted_client_hello",
        _ => $"unknown({code})",
    };
}
