using System.Security.Cryptography;

namespace Tessera.Pki;

/// <summary>Serial numbers for issued certificates: 16 random bytes, positive (RFC 5280 §4.1.2.2), never zero.</summary>
internal static class CertificateSerialNumber
{
    public static byte[] New()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        serial[0] |= 0x01;
        return serial;
    }
}
