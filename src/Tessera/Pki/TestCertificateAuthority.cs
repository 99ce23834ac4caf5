using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Tessera.Crypto;

namespace Tessera.Pki;

/// <summary>Key types a <see cref="TestCertificateAuthority"/> can issue.</summary>
public enum CertificateKeyType
{
    /// <summary>ECDSA on P-256.</summary>
    EcdsaP256,
    /// <summary>ECDSA on P-384.</summary>
    EcdsaP384,
    /// <summary>RSA, 2048 bits (rsaEncryption).</summary>
    Rsa2048,
    /// <summary>RSA, 2048 bits, restricted to PSS (id-RSASSA-PSS, RFC 4055).</summary>
    RsaPss2048,
    /// <summary>Ed25519.</summary>
    Ed25519,
}

/// <summary>
/// A throwaway certificate authority that lives in memory: for the demo, tests and interop runs.
/// Never for production trust.
/// </summary>
public sealed class TestCertificateAuthority : IDisposable
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    private readonly X509Certificate2 _root;
    private readonly X509SignatureGenerator _signer;
    private readonly IDisposable _key;

    private TestCertificateAuthority(X509Certificate2 root, X509SignatureGenerator signer, IDisposable key)
    {
        _root = root;
        _signer = signer;
        _key = key;
    }

    /// <summary>The root certificate (DER).</summary>
    public byte[] RootCertificateDer => _root.RawData;

    /// <summary>The root certificate (PEM).</summary>
    public string RootCertificatePem => PemEncoding.WriteString("CERTIFICATE", _root.RawData);

    /// <summary>Creates a CA with an ECDSA or RSA key (Ed25519 CAs are not supported by the platform's signer).</summary>
    public static TestCertificateAuthority Create(CertificateKeyType keyType = CertificateKeyType.EcdsaP256, string name = "Tessera Test CA")
    {
        var subject = new X500DistinguishedName($"CN={name}, O=Tessera");
        CertificateRequest request;
        X509SignatureGenerator signer;
        IDisposable key;
        switch (keyType)
        {
            case CertificateKeyType.EcdsaP256 or CertificateKeyType.EcdsaP384:
                var ec = ECDsa.Create(keyType == CertificateKeyType.EcdsaP256 ? ECCurve.NamedCurves.nistP256 : ECCurve.NamedCurves.nistP384);
                request = new CertificateRequest(subject, ec, keyType == CertificateKeyType.EcdsaP256 ? HashAlgorithmName.SHA256 : HashAlgorithmName.SHA384);
                signer = X509SignatureGenerator.CreateForECDsa(ec);
                key = ec;
                break;
            case CertificateKeyType.Rsa2048:
                var rsa = RSA.Create(2048);
                request = new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                signer = X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1);
                key = rsa;
                break;
            default:
                throw new NotSupportedException($"A test CA with a {keyType} key is not supported; use ECDSA or RSA.");
        }

        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        var root = request.Create(subject, signer, now.AddHours(-1), now.AddYears(1), NewSerial());
        return new TestCertificateAuthority(root, signer, key);
    }

    /// <summary>Issues a server certificate (serverAuth) for DNS names and IP addresses.</summary>
    /// <param name="names">DNS names and IP addresses for subjectAltName; the first is also the CN.</param>
    /// <param name="keyType">The leaf's key type.</param>
    /// <param name="notBefore">Start of validity (default: an hour ago).</param>
    /// <param name="notAfter">End of validity (default: in 30 days).</param>
    /// <param name="extraExtensions">Further extensions, for tests of odd certificates.</param>
    public TlsCertificate IssueServerCertificate(IReadOnlyList<string> names, CertificateKeyType keyType = CertificateKeyType.EcdsaP256,
        DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null, IEnumerable<X509Extension>? extraExtensions = null)
    {
        ArgumentNullException.ThrowIfNull(names);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names)
        {
            if (IPAddress.TryParse(name, out var ip))
            {
                san.AddIpAddress(ip);
            }
            else
            {
                san.AddDnsName(name);
            }
        }

        return Issue(names.Count > 0 ? names[0] : "server", keyType, ServerAuth, san.Build(), notBefore, notAfter, extraExtensions);
    }

    /// <summary>Issues a client certificate (clientAuth).</summary>
    public TlsCertificate IssueClientCertificate(string commonName, CertificateKeyType keyType = CertificateKeyType.EcdsaP256) =>
        Issue(commonName, keyType, ClientAuth, null, null, null, null);

    /// <summary>The chain of an issued certificate as PEM (leaf first, then this CA).</summary>
    public static string ExportCertificatePem(TlsCertificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var sb = new StringBuilder();
        foreach (var der in certificate.Chain)
        {
            sb.Append(PemEncoding.WriteString("CERTIFICATE", der)).Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>The private key of an issued certificate as PKCS#8 PEM.</summary>
    public static string ExportPrivateKeyPem(TlsCertificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return certificate.PrivateKey is IExportablePrivateKey exportable
            ? exportable.ExportPkcs8Pem() + "\n"
            : throw new NotSupportedException("This private key cannot be exported.");
    }

    /// <summary>Disposes the CA's key.</summary>
    public void Dispose()
    {
        _key.Dispose();
        _root.Dispose();
    }

    private TlsCertificate Issue(string commonName, CertificateKeyType keyType, Oid usage, X509Extension? san, DateTimeOffset? notBefore, DateTimeOffset? notAfter,
        IEnumerable<X509Extension>? extraExtensions)
    {
        var subject = new X500DistinguishedName($"CN={commonName}, O=Tessera");
        var (publicKey, privateKey) = NewKey(keyType);
        var request = new CertificateRequest(subject, publicKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            keyType is CertificateKeyType.Rsa2048 ? X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment : X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], false));
        if (san is not null)
        {
            request.CertificateExtensions.Add(san);
        }

        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_root, true, false));
        foreach (var extension in extraExtensions ?? [])
        {
            request.CertificateExtensions.Add(extension);
        }

        var now = DateTimeOffset.UtcNow;
        var from = notBefore ?? now.AddHours(-1);
        var until = notAfter ?? now.AddDays(30);
        using var leaf = request.Create(_root.SubjectName, _signer, from, until, NewSerial());
        var names = san is null ? new List<string>() : [.. HostNameMatcher.DnsNames(leaf)];
        return new TlsCertificate([leaf.RawData, _root.RawData], privateKey) { DnsNames = names };
    }

    private static (PublicKey PublicKey, ITlsPrivateKey PrivateKey) NewKey(CertificateKeyType keyType)
    {
        switch (keyType)
        {
            case CertificateKeyType.EcdsaP256 or CertificateKeyType.EcdsaP384:
                var ec = ECDsa.Create(keyType == CertificateKeyType.EcdsaP256 ? ECCurve.NamedCurves.nistP256 : ECCurve.NamedCurves.nistP384);
                return (new PublicKey(ec), new EcdsaPrivateKey(ec));
            case CertificateKeyType.Rsa2048:
                var rsa = RSA.Create(2048);
                return (new PublicKey(rsa), new RsaPrivateKey(rsa));
            case CertificateKeyType.RsaPss2048:
                var pss = new RsaPrivateKey(RSA.Create(2048), pssOnly: true);
                return (PublicKey.CreateFromSubjectPublicKeyInfo(pss.SubjectPublicKeyInfo.Span, out _), pss);
            case CertificateKeyType.Ed25519:
                var ed = Ed25519PrivateKey.Generate();
                return (PublicKey.CreateFromSubjectPublicKeyInfo(ed.SubjectPublicKeyInfo.Span, out _), ed);
            default:
                throw new ArgumentOutOfRangeException(nameof(keyType));
        }
    }

    private static byte[] NewSerial() => CertificateSerialNumber.New();
}
