namespace Tessera.Pki.X509;

/// <summary>The object identifiers the path validator understands (RFC 5280, RFC 6960, RFC 7633).</summary>
public static class X509Oids
{
    /// <summary>basicConstraints.</summary>
    public const string BasicConstraints = "2.5.29.19";
    /// <summary>keyUsage.</summary>
    public const string KeyUsage = "2.5.29.15";
    /// <summary>extKeyUsage.</summary>
    public const string ExtendedKeyUsage = "2.5.29.37";
    /// <summary>subjectAltName.</summary>
    public const string SubjectAltName = "2.5.29.17";
    /// <summary>nameConstraints.</summary>
    public const string NameConstraints = "2.5.29.30";
    /// <summary>subjectKeyIdentifier.</summary>
    public const string SubjectKeyIdentifier = "2.5.29.14";
    /// <summary>authorityKeyIdentifier.</summary>
    public const string AuthorityKeyIdentifier = "2.5.29.35";
    /// <summary>cRLDistributionPoints.</summary>
    public const string CrlDistributionPoints = "2.5.29.31";
    /// <summary>certificatePolicies (read, not enforced: the web PKI's policy OIDs carry no path rule).</summary>
    public const string CertificatePolicies = "2.5.29.32";
    /// <summary>authorityInfoAccess.</summary>
    public const string AuthorityInfoAccess = "1.3.6.1.5.5.7.1.1";
    /// <summary>TLS Feature (RFC 7633); status_request (5) in it means Must-Staple.</summary>
    public const string TlsFeature = "1.3.6.1.5.5.7.1.24";
    /// <summary>id-pkix-ocsp-nocheck: a delegated responder's own status is not checked (RFC 6960 §4.2.2.2.1).</summary>
    public const string OcspNoCheck = "1.3.6.1.5.5.7.48.1.5";
    /// <summary>id-ad-ocsp.</summary>
    public const string AccessOcsp = "1.3.6.1.5.5.7.48.1";
    /// <summary>id-ad-caIssuers.</summary>
    public const string AccessCaIssuers = "1.3.6.1.5.5.7.48.2";
    /// <summary>id-kp-serverAuth.</summary>
    public const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    /// <summary>id-kp-clientAuth.</summary>
    public const string ClientAuth = "1.3.6.1.5.5.7.3.2";
    /// <summary>id-kp-OCSPSigning.</summary>
    public const string OcspSigning = "1.3.6.1.5.5.7.3.9";
    /// <summary>anyExtendedKeyUsage.</summary>
    public const string AnyExtendedKeyUsage = "2.5.29.37.0";
    /// <summary>rsaEncryption.</summary>
    public const string RsaEncryption = "1.2.840.113549.1.1.1";
    /// <summary>id-RSASSA-PSS.</summary>
    public const string RsaPss = "1.2.840.113549.1.1.10";
    /// <summary>id-ecPublicKey.</summary>
    public const string EcPublicKey = "1.2.840.10045.2.1";
    /// <summary>id-Ed25519.</summary>
    public const string Ed25519 = "1.3.101.112";
}
