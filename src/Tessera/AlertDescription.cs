namespace Tessera;

/// <summary>TLS alert descriptions (RFC 8446 §6, IANA "TLS Alerts" registry).</summary>
public enum AlertDescription : byte
{
    /// <summary>close_notify (0).</summary>
    CloseNotify = 0,
    /// <summary>unexpected_message (10).</summary>
    UnexpectedMessage = 10,
    /// <summary>bad_record_mac (20).</summary>
    BadRecordMac = 20,
    /// <summary>record_overflow (22).</summary>
    RecordOverflow = 22,
    /// <summary>handshake_failure (40).</summary>
    HandshakeFailure = 40,
    /// <summary>bad_certificate (42).</summary>
    BadCertificate = 42,
    /// <summary>unsupported_certificate (43).</summary>
    UnsupportedCertificate = 43,
    /// <summary>certificate_revoked (44).</summary>
    CertificateRevoked = 44,
    /// <summary>certificate_expired (45).</summary>
    CertificateExpired = 45,
    /// <summary>certificate_unknown (46).</summary>
    CertificateUnknown = 46,
    /// <summary>illegal_parameter (47).</summary>
    IllegalParameter = 47,
    /// <summary>unknown_ca (48).</summary>
    UnknownCa = 48,
    /// <summary>access_denied (49).</summary>
    AccessDenied = 49,
    /// <summary>decode_error (50).</summary>
    DecodeError = 50,
    /// <summary>decrypt_error (51).</summary>
    DecryptError = 51,
    /// <summary>protocol_version (70).</summary>
    ProtocolVersion = 70,
    /// <summary>insufficient_security (71).</summary>
    InsufficientSecurity = 71,
    /// <summary>internal_error (80).</summary>
    InternalError = 80,
    /// <summary>inappropriate_fallback (86).</summary>
    InappropriateFallback = 86,
    /// <summary>user_canceled (90).</summary>
    UserCanceled = 90,
    /// <summary>no_renegotiation (100), TLS 1.2 only.</summary>
    NoRenegotiation = 100,
    /// <summary>missing_extension (109).</summary>
    MissingExtension = 109,
    /// <summary>unsupported_extension (110).</summary>
    UnsupportedExtension = 110,
    /// <summary>unrecognized_name (112).</summary>
    UnrecognizedName = 112,
    /// <summary>bad_certificate_status_response (113).</summary>
    BadCertificateStatusResponse = 113,
    /// <summary>unknown_psk_identity (115).</summary>
    UnknownPskIdentity = 115,
    /// <summary>certificate_required (116).</summary>
    CertificateRequired = 116,
    /// <summary>no_application_protocol (120).</summary>
    NoApplicationProtocol = 120,
    /// <summary>ech_required (121, RFC 9849): the server did not accept Encrypted Client Hello; the client stops after authenticating the public name.</summary>
    EchRequired = 121,
}

/// <summary>Names of alerts as the RFC spells them.</summary>
public static class AlertDescriptionNames
{
    /// <summary>The RFC name of an alert, e.g. <c>handshake_failure</c>; unknown codes print as <c>alert(N)</c>.</summary>
    public static string ToRfcName(this AlertDescription alert) => alert switch
    {
        AlertDescription.CloseNotify => "close_notify",
        AlertDescription.UnexpectedMessage => "unexpected_message",
        AlertDescription.BadRecordMac => "bad_record_mac",
        AlertDescription.RecordOverflow => "record_overflow",
        AlertDescription.HandshakeFailure => "handshake_failure",
        AlertDescription.BadCertificate => "bad_certificate",
        AlertDescription.UnsupportedCertificate => "unsupported_certificate",
        AlertDescription.CertificateRevoked => "certificate_revoked",
        AlertDescription.CertificateExpired => "certificate_expired",
        AlertDescription.CertificateUnknown => "certificate_unknown",
        AlertDescription.IllegalParameter => "illegal_parameter",
        AlertDescription.UnknownCa => "unknown_ca",
        AlertDescription.AccessDenied => "access_denied",
        AlertDescription.DecodeError => "decode_error",
        AlertDescription.DecryptError => "decrypt_error",
        AlertDescription.ProtocolVersion => "protocol_version",
        AlertDescription.InsufficientSecurity => "insufficient_security",
        AlertDescription.InternalError => "internal_error",
        AlertDescription.InappropriateFallback => "inappropriate_fallback",
        AlertDescription.UserCanceled => "user_canceled",
        AlertDescription.NoRenegotiation => "no_renegotiation",
        AlertDescription.MissingExtension => "missing_extension",
        AlertDescription.UnsupportedExtension => "unsupported_extension",
        AlertDescription.UnrecognizedName => "unrecognized_name",
        AlertDescription.BadCertificateStatusResponse => "bad_certificate_status_response",
        AlertDescription.UnknownPskIdentity => "unknown_psk_identity",
        AlertDescription.CertificateRequired => "certificate_required",
        AlertDescription.NoApplicationProtocol => "no_application_protocol",
        AlertDescription.EchRequired => "ech_required",
        _ => $"alert({(byte)alert})",
    };
}
