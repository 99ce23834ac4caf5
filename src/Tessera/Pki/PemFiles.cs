using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Tessera.Crypto;

namespace Tessera.Pki;

/// <summary>Loads certificate chains and private keys from PEM (or DER) files.</summary>
public static class PemFiles
{
    private const string RsaEncryptionOid = "1.2.840.113549.1.1.1";
    private const string EcPublicKeyOid = "1.2.840.10045.2.1";
    private const string Ed25519Oid = "1.3.101.112";

    /// <summary>Every certificate in a PEM file (DER bytes, in file order); a DER file gives one certificate.</summary>
    public static List<byte[]> LoadCertificates(string path) => ParseCertificates(ReadFile(path), path);

    /// <summary>Every CERTIFICATE block in PEM text (or a single DER certificate).</summary>
    public static List<byte[]> ParseCertificates(byte[] content, string source)
    {
        var certificates = new List<byte[]>();
        foreach (var (label, der) in PemBlocks(content))
        {
            if (label is "CERTIFICATE" or "TRUSTED CERTIFICATE" or "X509 CERTIFICATE")
            {
                certificates.Add(der);
            }
        }

        if (certificates.Count == 0 && LooksLikeDer(content))
        {
            certificates.Add(content);
        }

        if (certificates.Count == 0)
        {
            throw new PkiLoadException($"{source}: no certificate found (expected PEM 'BEGIN CERTIFICATE' blocks or DER)");
        }

        foreach (var der in certificates)
        {
            try
            {
                using var _ = X509CertificateLoader.LoadCertificate(der);
            }
            catch (CryptographicException ex)
            {
                throw new PkiLoadException($"{source}: a certificate cannot be parsed: {ex.Message}", ex);
            }
        }

        return certificates;
    }

    /// <summary>Loads a private key: PKCS#8 ("PRIVATE KEY": RSA, EC, Ed25519), SEC1 ("EC PRIVATE KEY") or PKCS#1 ("RSA PRIVATE KEY").</summary>
    public static ITlsPrivateKey LoadPrivateKey(string path) => ParsePrivateKey(ReadFile(path), path);

    /// <summary>Parses a private key from PEM or DER bytes.</summary>
    public static ITlsPrivateKey ParsePrivateKey(byte[] content, string source)
    {
        try
        {
            foreach (var (label, der) in PemBlocks(content))
            {
                switch (label)
                {
                    case "PRIVATE KEY":
                        return FromPkcs8(der, source);
                    case "EC PRIVATE KEY":
                        return new EcdsaPrivateKey(Imported(ECDsa.Create(), ec => ec.ImportECPrivateKey(der, out _)));
                    case "RSA PRIVATE KEY":
                        return new RsaPrivateKey(Imported(RSA.Create(), rsa => rsa.ImportRSAPrivateKey(der, out _)));
                    case "ENCRYPTED PRIVATE KEY":
                        throw new PkiLoadException($"{source}: the private key is encrypted; decrypt it first (openssl pkey -in {source} -out plain.pem)");
                }
            }

            if (LooksLikeDer(content))
            {
                return FromPkcs8(content, source);
            }
        }
        catch (Exception ex) when (ex is CryptographicException or AsnContentException or ArgumentException or PlatformNotSupportedException)
        {
            // PlatformNotSupportedException: an EC key on a curve the platform does not know (found by fuzzing).
            throw new PkiLoadException($"{source}: the private key cannot be read: {ex.Message}", ex);
        }

        throw new PkiLoadException($"{source}: no private key found (expected 'BEGIN PRIVATE KEY', 'BEGIN EC PRIVATE KEY' or 'BEGIN RSA PRIVATE KEY')");
    }

    /// <summary>Loads a certificate chain and its key, checks they belong together, and reads the leaf's DNS names.</summary>
    public static TlsCertificate LoadTlsCertificate(string certificatePath, string keyPath)
    {
        var chain = LoadCertificates(certificatePath);
        var key = LoadPrivateKey(keyPath);
        return CreateTlsCertificate(chain, key, $"{certificatePath} and {keyPath}");
    }

    /// <summary>Pairs a chain with its key after checking that the key matches the leaf.</summary>
    public static TlsCertificate CreateTlsCertificate(IReadOnlyList<byte[]> chain, ITlsPrivateKey key, string source)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(key);
        byte[] leafSpki;
        List<string> names;
        try
        {
            leafSpki = CertificatePublicKey.GetSubjectPublicKeyInfo(chain[0]);
            using var leaf = X509CertificateLoader.LoadCertificate(chain[0]);
            names = [.. HostNameMatcher.DnsNames(leaf)];
        }
        catch (CryptographicException ex)
        {
            throw new PkiLoadException($"{source}: the certificate cannot be parsed: {ex.Message}", ex);
        }

        if (!leafSpki.AsSpan().SequenceEqual(key.SubjectPublicKeyInfo.Span))
        {
            throw new PkiLoadException($"{source}: the private key does not match the certificate's public key");
        }

        return new TlsCertificate(chain, key) { DnsNames = names };
    }

    private static ITlsPrivateKey FromPkcs8(byte[] der, string source)
    {
        var reader = new AsnReader(der, AsnEncodingRules.DER);
        var info = reader.ReadSequence();
        info.ReadInteger();
        var algorithm = info.ReadSequence();
        string oid = algorithm.ReadObjectIdentifier();
        switch (oid)
        {
            case RsaEncryptionOid:
                return new RsaPrivateKey(Imported(RSA.Create(), rsa => rsa.ImportPkcs8PrivateKey(der, out _)));
            case RsaPrivateKey.RsaPssOid:
                var pssKey = info.ReadOctetString();
                try
                {
                    return new RsaPrivateKey(Imported(RSA.Create(), pss => pss.ImportRSAPrivateKey(pssKey, out _)), pssOnly: true);
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(pssKey);
                }

            case EcPublicKeyOid:
                return new EcdsaPrivateKey(Imported(ECDsa.Create(), ec => ec.ImportPkcs8PrivateKey(der, out _)));
            case Ed25519Oid:
                var wrapped = info.ReadOctetString();
                var seed = new AsnReader(wrapped, AsnEncodingRules.DER).ReadOctetString();
                try
                {
                    return Ed25519PrivateKey.FromSeed(seed);
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(seed);
                    CryptographicOperations.ZeroMemory(wrapped);
                }

            default:
                throw new PkiLoadException($"{source}: unsupported private key algorithm {oid} (RSA, RSA-PSS, EC P-256/P-384/P-521 and Ed25519 are supported)");
        }
    }

    /// <summary>Runs <paramref name="import"/> on a new key object and returns it; a key that fails to import is disposed, not left to the finalizer.</summary>
    private static T Imported<T>(T key, Action<T> import) where T : AsymmetricAlgorithm
    {
        try
        {
            import(key);
            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    private static byte[] ReadFile(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new PkiLoadException($"{path}: cannot read the file: {ex.Message}", ex);
        }
    }

    private static IEnumerable<(string Label, byte[] Der)> PemBlocks(byte[] content)
    {
        var text = Encoding.ASCII.GetString(content);
        var span = text.AsMemory();
        while (PemEncoding.TryFind(span.Span, out var fields))
        {
            var label = span.Span[fields.Label].ToString();
            var der = Convert.FromBase64String(span.Span[fields.Base64Data].ToString());
            yield return (label, der);
            span = span[fields.Location.End..];
        }
    }

    private static bool LooksLikeDer(byte[] content) => content.Length > 2 && content[0] == 0x30;
}
