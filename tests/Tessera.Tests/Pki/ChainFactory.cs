using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Tessera.Crypto;
using Tessera.Pki;
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
    public CertificateKeyType? KeyType { get; init; }   // set: the key is made by Tessera (Ed25519, RSA-PSS, P-384, ...)
    public bool SignWithPss { get; init; }              // an RSA issuer signs this one with RSASSA-PSS
    public string[] Emails { get; init; } = [];
    public string[] Uris { get; init; } = [];
    public string? Subject { get; init; }                // a whole DN instead of CN=name
    public byte[]? Serial { get; init; }
    public bool UnknownNonCriticalExtension { get; init; }
    public bool ExplicitNotCa { get; init; }              // basicConstraints present with cA false
}

/// <summary>A generated certificate with its key, for issuing more.</summary>
internal sealed class Issued : IDisposable
{
    public required X509Certificate2 X509 { get; init; }
    public required AsymmetricAlgorithm? Key { get; init; }   // the BCL key (ECDSA P-256 or RSA); null when TlsKey holds it
    public ITlsPrivateKey? TlsKey { get; init; }
    public Certificate Parsed => Certificate.Parse(X509.RawData);
    public string Name => X509.Subject;

    public void Dispose()
    {
        X509.Dispose();
        Key?.Dispose();
        (TlsKey as IDisposable)?.Dispose();
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
        AsymmetricAlgorithm? key = null;
        ITlsPrivateKey? tlsKey = null;
        CertificateRequest request;
        var subject = new X500DistinguishedName(spec.Subject ?? "CN=" + name);
        if (spec.KeyType is { } keyType)
        {
            tlsKey = keyType switch
            {
                CertificateKeyType.EcdsaP256 => new EcdsaPrivateKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)),
                CertificateKeyType.EcdsaP384 => new EcdsaPrivateKey(ECDsa.Create(ECCurve.NamedCurves.nistP384)),
                CertificateKeyType.Rsa2048 => new RsaPrivateKey(RSA.Create(2048)),
                CertificateKeyType.RsaPss2048 => new RsaPrivateKey(RSA.Create(2048), pssOnly: true),
                _ => Ed25519PrivateKey.Generate(),
            };
            request = new CertificateRequest(subject, PublicKey.CreateFromSubjectPublicKeyInfo(tlsKey.SubjectPublicKeyInfo.Span, out _), HashAlgorithmName.SHA256);
        }
        else
        {
            key = spec.RsaBits > 0 ? RSA.Create(spec.RsaBits) : ECDsa.Create(ECCurve.NamedCurves.nistP256);
            request = key is RSA rsa
                ? new CertificateRequest(subject, rsa, spec.Hash, RSASignaturePadding.Pkcs1)
                : new CertificateRequest(subject, (ECDsa)key, spec.Hash);
        }

        if (spec.Ca || spec.PathLength is not null || spec.ExplicitNotCa)
        {
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(spec.Ca, spec.PathLength is not null, spec.PathLength ?? 0, critical: true));
        }

        var usage = spec.KeyUsage ?? (spec.Ca ? X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign : X509KeyUsageFlags.DigitalSignature);
        if (usage != X509KeyUsageFlags.None)
        {
            request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, critical: true));
        }

        if (spec.Eku is { } eku)
        {
            var oids = new OidCollection();
            foreach (var oid in eku)
            {
                oids.Add(new Oid(oid));
            }

            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, critical: false));
        }

        if (spec.Dns.Length + spec.Ips.Length + spec.Emails.Length + spec.Uris.Length > 0)
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

            foreach (var email in spec.Emails)
            {
                san.AddEmailAddress(email);
            }

            foreach (var uri in spec.Uris)
            {
                san.AddUri(new Uri(uri));
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

        if (spec.UnknownNonCriticalExtension)
        {
            request.CertificateExtensions.Add(new X509Extension("1.3.6.1.4.1.99999.2", [0x05, 0x00], critical: false));
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
        var serial = spec.Serial ?? RandomNumberGenerator.GetBytes(12);
        if (spec.Serial is null)
        {
            serial[0] &= 0x7F;
            serial[0] |= 0x01;
        }

        var (signerKey, signerTlsKey, issuerName) = issuer is null ? (key, tlsKey, subject) : (issuer.Key, issuer.TlsKey, issuer.X509.SubjectName);
        X509SignatureGenerator generator = signerTlsKey is not null
            ? new TlsKeySignatureGenerator(signerTlsKey, spec.SignWithPss)
            : signerKey is RSA signerRsa
                ? spec.Hash == HashAlgorithmName.SHA1 ? new Sha1RsaSignatureGenerator(signerRsa) : X509SignatureGenerator.CreateForRSA(signerRsa, spec.SignWithPss ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1)
                : X509SignatureGenerator.CreateForECDsa((ECDsa)signerKey!);
        var certificate = request.Create(issuerName, generator, notBefore, notAfter, serial);
        return new Issued { X509 = certificate, Key = key, TlsKey = tlsKey };
    }

    /// <summary>sha1WithRSAEncryption, which the BCL's own generator no longer produces: only to prove SHA-1 is refused.</summary>
    private sealed class Sha1RsaSignatureGenerator(RSA key) : X509SignatureGenerator
    {
        public override byte[] GetSignatureAlgorithmIdentifier(HashAlgorithmName hashAlgorithm) =>
            [0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x05, 0x05, 0x00];

        public override byte[] SignData(byte[] data, HashAlgorithmName hashAlgorithm) => key.SignData(data, HashAlgorithmName.SHA1, RSASignaturePadding.Pkcs1);

        protected override PublicKey BuildPublicKey() => new(key);
    }

    /// <summary>nameConstraints DER: permitted and excluded subtrees of dNSName, iPAddress (address+mask), rfc822Name, URI and directoryName.</summary>
    public static byte[] NameConstraints(string[]? permittedDns = null, string[]? excludedDns = null, byte[][]? permittedIp = null, byte[][]? excludedIp = null,
        string[]? permittedEmail = null, string[]? excludedEmail = null, string[]? permittedUri = null, string[]? permittedDirName = null, string[]? excludedDirName = null)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            WriteSubtrees(writer, 0, permittedDns, permittedIp, permittedEmail, permittedUri, permittedDirName);
            WriteSubtrees(writer, 1, excludedDns, excludedIp, excludedEmail, null, excludedDirName);
        }

        return writer.Encode();
    }

    private static void WriteSubtrees(AsnWriter writer, int tag, string[]? dns, byte[][]? ips, string[]? emails, string[]? uris, string[]? dirNames)
    {
        if ((dns?.Length ?? 0) + (ips?.Length ?? 0) + (emails?.Length ?? 0) + (uris?.Length ?? 0) + (dirNames?.Length ?? 0) == 0)
        {
            return;
        }

        using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, tag, isConstructed: true)))
        {
            void Ia5(string value, int generalNameTag)
            {
                using (writer.PushSequence())
                {
                    writer.WriteCharacterString(UniversalTagNumber.IA5String, value, new Asn1Tag(TagClass.ContextSpecific, generalNameTag));
                }
            }

            foreach (var email in emails ?? [])
            {
                Ia5(email, 1);
            }

            foreach (var name in dns ?? [])
            {
                Ia5(name, 2);
            }

            foreach (var dirName in dirNames ?? [])
            {
                using (writer.PushSequence())
                using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 4, isConstructed: true)))
                {
                    writer.WriteEncodedValue(new X500DistinguishedName(dirName).RawData);
                }
            }

            foreach (var uri in uris ?? [])
            {
                Ia5(uri, 6);
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
