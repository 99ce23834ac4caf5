using System.Globalization;
using System.Net;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Tessera.Crypto;

namespace Tessera.Pki;

/// <summary>What a <see cref="FileCertificateAuthority"/> issues.</summary>
public enum IssuedCertificateKind
{
    /// <summary>A TLS server (serverAuth, subjectAltName).</summary>
    Server,
    /// <summary>A TLS client (clientAuth).</summary>
    Client,
    /// <summary>An intermediate CA (pathLenConstraint 0).</summary>
    Intermediate,
    /// <summary>A delegated OCSP responder (id-kp-OCSPSigning, id-pkix-ocsp-nocheck; RFC 6960 §4.2.2.2).</summary>
    OcspResponder,
}

/// <summary>One certificate and its key, as PEM.</summary>
/// <param name="CertificateChainPem">The certificate, then the CA's.</param>
/// <param name="PrivateKeyPem">PKCS#8.</param>
/// <param name="SerialNumber">Hex.</param>
public sealed record IssuedCertificate(string CertificateChainPem, string PrivateKeyPem, string SerialNumber);

/// <summary>
/// A small development CA kept in a directory (what mkcert or <c>openssl ca</c> give): <c>ca.pem</c>,
/// <c>ca-key.pem</c> (PKCS#8), <c>index.tsv</c> (serial, status, revocation time and reason, subject)
/// and <c>crlnumber</c>. For development and tests, never for production trust.
/// </summary>
public sealed class FileCertificateAuthority
{
    private const string TlsFeatureOid = "1.3.6.1.5.5.7.1.24";

    private readonly string _directory;
    private readonly X509Certificate2 _certificate;
    private readonly ITlsPrivateKey _key;

    private FileCertificateAuthority(string directory, X509Certificate2 certificate, ITlsPrivateKey key)
    {
        _directory = directory;
        _certificate = certificate;
        _key = key;
    }

    /// <summary>The CA certificate (DER).</summary>
    public byte[] CertificateDer => _certificate.RawData;

    /// <summary>The CA certificate (PEM).</summary>
    public string CertificatePem => PemEncoding.WriteString("CERTIFICATE", _certificate.RawData) + "\n";

    private string IndexPath => Path.Combine(_directory, "index.tsv");

    /// <summary>Creates a root CA in <paramref name="directory"/> (which must not hold one already).</summary>
    public static FileCertificateAuthority Init(string directory, CertificateKeyType keyType, string name, TimeSpan validity)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (File.Exists(Path.Combine(directory, "ca.pem")))
        {
            throw new PkiLoadException($"{directory} already holds a CA (ca.pem)");
        }

        Directory.CreateDirectory(directory);
        var key = NewKey(keyType);
        var generator = new TlsKeySignatureGenerator(key);
        var subject = new X500DistinguishedName($"CN={name}");
        var request = new CertificateRequest(subject, PublicKey.CreateFromSubjectPublicKeyInfo(key.SubjectPublicKeyInfo.Span, out _), generator.HashAlgorithm);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        var certificate = request.Create(subject, generator, now.AddMinutes(-10), now + validity, NewSerial());
        File.WriteAllText(Path.Combine(directory, "ca.pem"), PemEncoding.WriteString("CERTIFICATE", certificate.RawData) + "\n");
        WritePrivate(Path.Combine(directory, "ca-key.pem"), ((IExportablePrivateKey)key).ExportPkcs8Pem() + "\n");
        File.WriteAllText(Path.Combine(directory, "index.tsv"), "");
        File.WriteAllText(Path.Combine(directory, "crlnumber"), "1\n");
        return new FileCertificateAuthority(directory, certificate, key);
    }

    /// <summary>Opens the CA in <paramref name="directory"/>.</summary>
    public static FileCertificateAuthority Open(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var certificatePath = Path.Combine(directory, "ca.pem");
        if (!File.Exists(certificatePath))
        {
            throw new PkiLoadException($"{directory}: no CA here (no ca.pem); create one with 'tessera ca init'");
        }

        var certificate = X509CertificateLoader.LoadCertificate(PemFiles.LoadCertificates(certificatePath)[0]);
        var key = PemFiles.LoadPrivateKey(Path.Combine(directory, "ca-key.pem"));
        if (!key.SubjectPublicKeyInfo.Span.SequenceEqual(certificate.PublicKey.ExportSubjectPublicKeyInfo()))
        {
            throw new PkiLoadException($"{directory}: ca-key.pem does not belong to ca.pem");
        }

        return new FileCertificateAuthority(directory, certificate, key);
    }

    /// <summary>Issues a certificate and records it in the index.</summary>
    /// <param name="kind">Server, client or intermediate.</param>
    /// <param name="commonName">The CN.</param>
    /// <param name="names">DNS names and IP addresses for subjectAltName (servers; optional for clients).</param>
    /// <param name="keyType">The new key's type.</param>
    /// <param name="validity">How long it is valid.</param>
    /// <param name="mustStaple">Add the TLS Feature extension with status_request (RFC 7633).</param>
    /// <param name="ocspUrl">An OCSP responder URL for authorityInfoAccess, if any.</param>
    /// <param name="crlUrl">A CRL distribution point URL, if any.</param>
    public IssuedCertificate Issue(IssuedCertificateKind kind, string commonName, IReadOnlyList<string> names, CertificateKeyType keyType, TimeSpan validity,
        bool mustStaple = false, string? ocspUrl = null, string? crlUrl = null)
    {
        ArgumentNullException.ThrowIfNull(commonName);
        ArgumentNullException.ThrowIfNull(names);
        if (kind == IssuedCertificateKind.Server && names.Count == 0)
        {
            throw new ArgumentException("A server certificate needs at least one DNS name or IP address.", nameof(names));
        }

        var key = NewKey(keyType);
        var generator = new TlsKeySignatureGenerator(_key);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={commonName}"), PublicKey.CreateFromSubjectPublicKeyInfo(key.SubjectPublicKeyInfo.Span, out _), generator.HashAlgorithm);
        if (kind == IssuedCertificateKind.Intermediate)
        {
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        }
        else if (kind == IssuedCertificateKind.OcspResponder)
        {
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.9")], false));
            request.CertificateExtensions.Add(new X509Extension("1.3.6.1.5.5.7.48.1.5", [0x05, 0x00], critical: false));   // ocsp-nocheck
        }
        else
        {
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(
                keyType == CertificateKeyType.Rsa2048 ? X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment : X509KeyUsageFlags.DigitalSignature, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(kind == IssuedCertificateKind.Server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        }

        if (names.Count > 0)
        {
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

            request.CertificateExtensions.Add(san.Build());
        }

        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_certificate, true, false));
        if (ocspUrl is not null)
        {
            request.CertificateExtensions.Add(new X509AuthorityInformationAccessExtension([ocspUrl], null));
        }

        if (crlUrl is not null)
        {
            request.CertificateExtensions.Add(CertificateRevocationListBuilder.BuildCrlDistributionPointExtension([crlUrl]));
        }

        if (mustStaple)
        {
            // TLS Feature (RFC 7633): SEQUENCE { INTEGER 5 (status_request) }.
            request.CertificateExtensions.Add(new X509Extension(TlsFeatureOid, [0x30, 0x03, 0x02, 0x01, 0x05], critical: false));
        }

        var now = DateTimeOffset.UtcNow;
        var serial = NewSerial();
        var notAfter = now + validity > _certificate.NotAfter ? new DateTimeOffset(_certificate.NotAfter.ToUniversalTime()) : now + validity;
        using var certificate = request.Create(_certificate.SubjectName, generator, now.AddMinutes(-10), notAfter, serial);
        string serialHex = Convert.ToHexString(serial);
        File.AppendAllText(IndexPath, $"{serialHex}\tV\t\t\t{certificate.Subject}\n");
        var chain = PemEncoding.WriteString("CERTIFICATE", certificate.RawData) + "\n" + CertificatePem;
        return new IssuedCertificate(chain, ((IExportablePrivateKey)key).ExportPkcs8Pem() + "\n", serialHex);
    }

    /// <summary>
    /// Marks an issued certificate revoked; the next CRL lists it. <paramref name="reason"/> is a CRL reason code other
    /// than removeFromCRL, which only delta CRLs use (RFC 5280 §5.3.1).
    /// </summary>
    public void Revoke(ReadOnlySpan<byte> certificateDer, X509RevocationReason reason)
    {
        if (!IsCrlReason(reason))
        {
            throw new ArgumentOutOfRangeException(nameof(reason), reason, "Not a reason this CA writes in a CRL (removeFromCRL is for delta CRLs, aACompromise for attribute certificates).");
        }

        using var certificate = X509CertificateLoader.LoadCertificate(certificateDer);
        if (!certificate.IssuerName.RawData.AsSpan().SequenceEqual(_certificate.SubjectName.RawData))
        {
            throw new PkiLoadException($"{certificate.Subject} was not issued by this CA");
        }

        var serial = certificate.SerialNumber;
        var lines = File.ReadAllLines(IndexPath).ToList();
        int at = lines.FindIndex(l => l.StartsWith(serial + "\t", StringComparison.OrdinalIgnoreCase));
        if (at < 0)
        {
            throw new PkiLoadException($"serial {serial} is not in this CA's index");
        }

        var fields = lines[at].Split('\t');
        if (fields[1] == "R")
        {
            throw new PkiLoadException($"serial {serial} is already revoked");
        }

        lines[at] = $"{fields[0]}\tR\t{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}\t{(int)reason}\t{fields[4]}";
        File.WriteAllLines(IndexPath, lines);
    }

    /// <summary>The revoked entries of the index: serial, time, reason. A damaged line is a <see cref="PkiLoadException"/>.</summary>
    public IReadOnlyList<(byte[] Serial, DateTimeOffset RevokedAt, X509RevocationReason Reason)> Revoked()
    {
        var revoked = new List<(byte[], DateTimeOffset, X509RevocationReason)>();
        var number = 0;
        foreach (var line in File.ReadAllLines(IndexPath))
        {
            number++;
            var f = line.Split('\t');
            if (f.Length < 5 || f[1] != "R")
            {
                continue;
            }

            try
            {
                var reason = (X509RevocationReason)int.Parse(f[3], NumberStyles.None, CultureInfo.InvariantCulture);
                if (!IsCrlReason(reason))
                {
                    throw new FormatException($"reason code {f[3]} cannot be listed in a CRL");
                }

                revoked.Add((Convert.FromHexString(f[0]), DateTimeOffset.FromUnixTimeSeconds(long.Parse(f[2], NumberStyles.None, CultureInfo.InvariantCulture)), reason));
            }
            catch (Exception ex) when (ex is FormatException or OverflowException or ArgumentOutOfRangeException)
            {
                throw new PkiLoadException($"{IndexPath} line {number}: a damaged revocation entry ({ex.Message})");
            }
        }

        return revoked;
    }

    /// <summary>
    /// The CRL reason codes of RFC 5280 §5.3.1 this CA writes: not removeFromCRL (delta CRLs only), not aACompromise
    /// (attribute certificates, which .NET's CRL builder refuses), and 7 is unused.
    /// </summary>
    public static bool IsCrlReason(X509RevocationReason reason) =>
        Enum.IsDefined(reason) && reason is not (X509RevocationReason.RemoveFromCrl or X509RevocationReason.AACompromise);

    /// <summary>Signs a CRL of every revoked certificate, valid for <paramref name="validity"/>; the CRL number goes up each time.</summary>
    public byte[] CreateCrl(TimeSpan validity)
    {
        var builder = new CertificateRevocationListBuilder();
        foreach (var (serial, revokedAt, reason) in Revoked())
        {
            builder.AddEntry(serial, revokedAt, reason);
        }

        var numberPath = Path.Combine(_directory, "crlnumber");
        var number = BigInteger.Parse(File.ReadAllText(numberPath).Trim(), CultureInfo.InvariantCulture);
        File.WriteAllText(numberPath, (number + 1).ToString(CultureInfo.InvariantCulture) + "\n");
        var now = DateTimeOffset.UtcNow;
        var generator = new TlsKeySignatureGenerator(_key);
        return builder.Build(_certificate.SubjectName, generator, number, now + validity, generator.HashAlgorithm,
            X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_certificate, true, false), now.AddMinutes(-5));
    }

    /// <summary>
    /// Answers an OCSP request (RFC 6960) for a certificate of this CA from the index: good, revoked (with time
    /// and reason) or unknown; signed by the CA itself, responder named by key. A request about another
    /// issuer gets "unauthorized" (6), a malformed one "malformedRequest" (1).
    /// </summary>
    public byte[] CreateOcspResponse(ReadOnlySpan<byte> request, TimeSpan validity)
    {
        X509.OcspCertificateId id;
        try
        {
            id = X509.OcspCertificateId.FromRequest(request);
        }
        catch (X509.CertificateFormatException)
        {
            return OcspStatusOnly(1);
        }

        // The request must name this CA as the issuer (the hashes of its name and key).
        var me = X509.Certificate.Parse(_certificate.RawData);
        var mine = X509.OcspCertificateId.For(me, me, id.HashAlgorithmOid);
        if (mine.IssuerNameHash.Length == 0 || !mine.IssuerNameHash.AsSpan().SequenceEqual(id.IssuerNameHash) || !mine.IssuerKeyHash.AsSpan().SequenceEqual(id.IssuerKeyHash))
        {
            return OcspStatusOnly(6);
        }

        string serial = Convert.ToHexString(id.SerialNumber.AsSpan().TrimStart((byte)0));
        var entry = File.ReadAllLines(IndexPath).Select(l => l.Split('\t'))
            .FirstOrDefault(f => f.Length >= 5 && string.Equals(f[0].TrimStart('0'), serial.TrimStart('0'), StringComparison.OrdinalIgnoreCase));
        var now = DateTimeOffset.UtcNow;
        var keyHash = X509.OcspCertificateId.For(me, me).IssuerKeyHash;   // responderID byKey: SHA-1 of the CA's public key

        var tbs = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        using (tbs.PushSequence())
        {
            using (tbs.PushSequence(new System.Formats.Asn1.Asn1Tag(System.Formats.Asn1.TagClass.ContextSpecific, 2, true)))
            {
                tbs.WriteOctetString(keyHash);
            }

            tbs.WriteGeneralizedTime(now, omitFractionalSeconds: true);
            using (tbs.PushSequence())
            using (tbs.PushSequence())
            {
                id.Write(tbs);
                if (entry is null)
                {
                    tbs.WriteNull(new System.Formats.Asn1.Asn1Tag(System.Formats.Asn1.TagClass.ContextSpecific, 2));
                }
                else if (entry[1] == "R")
                {
                    using (tbs.PushSequence(new System.Formats.Asn1.Asn1Tag(System.Formats.Asn1.TagClass.ContextSpecific, 1, true)))
                    {
                        tbs.WriteGeneralizedTime(DateTimeOffset.FromUnixTimeSeconds(long.Parse(entry[2], CultureInfo.InvariantCulture)), omitFractionalSeconds: true);
                        using (tbs.PushSequence(new System.Formats.Asn1.Asn1Tag(System.Formats.Asn1.TagClass.ContextSpecific, 0, true)))
                        {
                            tbs.WriteEnumeratedValue((X509.RevocationReason)int.Parse(entry[3], CultureInfo.InvariantCulture));
                        }
                    }
                }
                else
                {
                    tbs.WriteNull(new System.Formats.Asn1.Asn1Tag(System.Formats.Asn1.TagClass.ContextSpecific, 0));
                }

                tbs.WriteGeneralizedTime(now.AddMinutes(-5), omitFractionalSeconds: true);
                using (tbs.PushSequence(new System.Formats.Asn1.Asn1Tag(System.Formats.Asn1.TagClass.ContextSpecific, 0, true)))
                {
                    tbs.WriteGeneralizedTime(now + validity, omitFractionalSeconds: true);
                }
            }
        }

        var tbsDer = tbs.Encode();
        var generator = new TlsKeySignatureGenerator(_key);
        var basic = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        using (basic.PushSequence())
        {
            basic.WriteEncodedValue(tbsDer);
            basic.WriteEncodedValue(generator.GetSignatureAlgorithmIdentifier(generator.HashAlgorithm));
            basic.WriteBitString(generator.SignData(tbsDer, generator.HashAlgorithm));
        }

        var response = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        using (response.PushSequence())
        {
            response.WriteEnumeratedValue(OcspResponseStatus.Successful);
            using (response.PushSequence(new System.Formats.Asn1.Asn1Tag(System.Formats.Asn1.TagClass.ContextSpecific, 0, true)))
            using (response.PushSequence())
            {
                response.WriteObjectIdentifier("1.3.6.1.5.5.7.48.1.1");
                response.WriteOctetString(basic.Encode());
            }
        }

        return response.Encode();
    }

    private static byte[] OcspStatusOnly(int status)
    {
        var writer = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteEnumeratedValue((OcspResponseStatus)status);
        }

        return writer.Encode();
    }

    private enum OcspResponseStatus
    {
        Successful = 0,
        MalformedRequest = 1,
        Unauthorized = 6,
    }

    private static ITlsPrivateKey NewKey(CertificateKeyType keyType) => keyType switch
    {
        CertificateKeyType.EcdsaP256 => new EcdsaPrivateKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)),
        CertificateKeyType.EcdsaP384 => new EcdsaPrivateKey(ECDsa.Create(ECCurve.NamedCurves.nistP384)),
        CertificateKeyType.Rsa2048 => new RsaPrivateKey(RSA.Create(2048)),
        CertificateKeyType.Ed25519 => Ed25519PrivateKey.Generate(),
        _ => throw new NotSupportedException($"{keyType} keys are not issued by the file CA"),
    };

    private static byte[] NewSerial() => CertificateSerialNumber.New();

    private static void WritePrivate(string path, string content)
    {
        File.WriteAllText(path, "");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.WriteAllText(path, content, Encoding.ASCII);
    }

    /// <summary>Writes a private key file readable by its owner only.</summary>
    public static void WritePrivateKeyFile(string path, string pem) => WritePrivate(path, pem);
}
