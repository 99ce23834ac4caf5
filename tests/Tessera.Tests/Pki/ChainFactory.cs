using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Tessera.Pki.X509;

namespace Tessera.Tests.Pki;

/// <summary>What a generated certificate looks like; every field has the ordinary value unless a test changes it.</summary>
internal sealed record CertSpec
{
    public bool Ca { get; init; }
    public int? PathLength { get; init; }
    public X509KeyUsageFlags? KeyUsage { get; init; }
    public string[]? Eku { get; init; }
    public string[] Dns { get; init; } = [];
    public IPAddress[] Ips { get; init; } = [];
    public byte[]? NameConstraints { get; init; }
    public TimeSpan NotBeforeOffset { get; init; } = TimeSpan.FromDays(-1);
    public TimeSpan NotAfterOffset { get; init; } = TimeSpan.FromDays(30);
    public HashAlgorithmName Hash { get; init; } = HashAlgorithmName.SHA256;
    public int RsaBits { get; init; }   // 0: ECDSA P-256
    public bool UnknownCriticalExtension { get; init; }
    public bool NoKeyIdentifiers { get; init; }
    public byte[]? AuthorityKeyIdOverride { get; init; }
}

/// <summary>A generated certificate with its key, for issuing more.</summary>
internal sealed class Issued : IDisposable
{
    public required X509Certificate2 X509 { get; init; }
    public required AsymmetricAlgorithm Key { get; init; }
    public Certificate Parsed => Certificate.Parse(X509.RawData);
    public string Name => X509.Subject;

    public void Dispose()
    {
        X509.Dispose();
        Key.Dispose();
    }
}

/// <summary>Builds test chains with the BCL's CertificateRequest: every rule the validator enforces can be broken on purpose.</summary>
internal static class ChainFactory
{
    public static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    public static Issued Root(string name = "Test Root", CertSpec? spec = null) => Create(name, null, (spec ?? new CertSpec()) with { Ca = true });

    public static Issued Issue(Issued issuer, string name, CertSpec? spec = null) => Create(name, issuer, spec ?? new CertSpec());

    private static Issued Create(string name, Issued? issuer, CertSpec spec)
    {
        AsymmetricAlgorithm key = spec.RsaBits > 0 ? RSA.Create(spec.RsaBits) : ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = new X500DistinguishedName("CN=" + name);
        var request = key is RSA rsa
            ? new CertificateRequest(subject, rsa, spec.Hash, RSASignaturePadding.Pkcs1)
            : new CertificateRequest(subject, (ECDsa)key, spec.Hash);
        if (spec.Ca || spec.PathLength is not null)
        {
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(spec.Ca, spec.PathLength is not null, spec.PathLength ?? 0, critical: true));
        }

        var usage = spec.KeyUsage ?? (spec.Ca ? X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign : X509KeyUsageFlags.DigitalSignature);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, critical: true));
        if (spec.Eku is { } eku)
        {
            var oids = new OidCollection();
            foreach (var oid in eku)
            {
                oids.Add(new Oid(oid));
            }

            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, critical: false));
        }

        if (spec.Dns.Length + spec.Ips.Length > 0)
        {
            var san = new SubjectAlternativeNameBuilder();
            foreach (var dns in spec.Dns)
            {
                san.AddDnsName(dns);
            }

            foreach (var ip in spec.Ips)
            {
                san.AddIpAddress(ip);
            }

            request.CertificateExtensions.Add(san.Build());
        }

        if (spec.NameConstraints is { } constraints)
        {
            request.CertificateExtensions.Add(new X509Extension("2.5.29.30", constraints, critical: true));
        }

        if (spec.UnknownCriticalExtension)
        {
            request.CertificateExtensions.Add(new X509Extension("1.3.6.1.4.1.99999.1", [0x05, 0x00], critical: true));
        }

        if (!spec.NoKeyIdentifiers)
        {
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
            if (spec.AuthorityKeyIdOverride is { } akid)
            {
                request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(akid));
            }
            else if (issuer is not null)
            {
                request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer.X509, true, false));
            }
        }

        var notBefore = Now + spec.NotBeforeOffset;
        var notAfter = Now + spec.NotAfterOffset;
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7F;
        serial[0] |= 0x01;
        X509Certificate2 certificate;
        if (issuer is null)
        {
            var generator = key is RSA r ? X509SignatureGenerator.CreateForRSA(r, RSASignaturePadding.Pkcs1) : X509SignatureGenerator.CreateForECDsa((ECDsa)key);
            certificate = request.Create(subject, generator, notBefore, notAfter, serial);
        }
        else
        {
            var generator = issuer.Key is RSA ir
                ? spec.Hash == HashAlgorithmName.SHA1 ? new Sha1RsaSignatureGenerator(ir) : X509SignatureGenerator.CreateForRSA(ir, RSASignaturePadding.Pkcs1)
                : X509SignatureGenerator.CreateForECDsa((ECDsa)issuer.Key);
            certificate = request.Create(issuer.X509.SubjectName, generator, notBefore, notAfter, serial);
        }

        return new Issued { X509 = certificate, Key = key };
    }

    /// <summary>sha1WithRSAEncryption, which the BCL's own generator no longer produces: only to prove SHA-1 is refused.</summary>
    private sealed class Sha1RsaSignatureGenerator(RSA key) : X509SignatureGenerator
    {
        public override byte[] GetSignatureAlgorithmIdentifier(HashAlgorithmName hashAlgorithm) =>
            [0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x05, 0x05, 0x00];

        public override byte[] SignData(byte[] data, HashAlgorithmName hashAlgorithm) => key.SignData(data, HashAlgorithmName.SHA1, RSASignaturePadding.Pkcs1);

        protected override PublicKey BuildPublicKey() => new(key);
    }

    /// <summary>nameConstraints DER: permitted and excluded dNSName / iPAddress (address+mask) subtrees.</summary>
    public static byte[] NameConstraints(string[]? permittedDns = null, string[]? excludedDns = null, byte[][]? permittedIp = null, byte[][]? excludedIp = null)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            WriteSubtrees(writer, 0, permittedDns, permittedIp);
            WriteSubtrees(writer, 1, excludedDns, excludedIp);
        }

        return writer.Encode();
    }

    private static void WriteSubtrees(AsnWriter writer, int tag, string[]? dns, byte[][]? ips)
    {
        if ((dns?.Length ?? 0) + (ips?.Length ?? 0) == 0)
        {
            return;
        }

        using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, tag, isConstructed: true)))
        {
            foreach (var name in dns ?? [])
            {
                using (writer.PushSequence())
                {
                    writer.WriteCharacterString(UniversalTagNumber.IA5String, name, new Asn1Tag(TagClass.ContextSpecific, 2));
                }
            }

            foreach (var ip in ips ?? [])
            {
                using (writer.PushSequence())
                {
                    writer.WriteOctetString(ip, new Asn1Tag(TagClass.ContextSpecific, 7));
                }
            }
        }
    }
}
