namespace Tessera.Pki.X509;

/// <summary>A certificate, CRL or OCSP structure that is not valid DER of the expected shape.</summary>
public sealed class CertificateFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CertificateFormatException(string message) : base(message) { }

    /// <summary>Creates the exception around the reader's error.</summary>
    public CertificateFormatException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates the exception.</summary>
    public CertificateFormatException() : base("Malformed certificate.") { }
}
