using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Tessera.Pki.X509;

namespace Tessera.Tests.Pki;

/// <summary>The strict DER certificate parser: every field read, every deviation a <see cref="CertificateFormatException"/>, never a reader exception.</summary>
public sealed class CertificateParsingTests
{
    [Fact]
    public void EveryUnderstoodFieldIsRead()
    {
        using var root = ChainFactory.Root();
        using var leaf = ChainFactory.Issue(root, "leaf", new CertSpec
        {
            Dns = ["www.example.com"],
            Ips = [System.Net.IPAddress.Parse("192.0.2.1")],
            Eku = ["1.3.6.1.5.5.7.3.1"],
        });
        var certificate = leaf.Parsed;
        Assert.Equal(3, certificate.Version);
        Assert.Equal("CN=leaf", certificate.Subject.ToString());
        Assert.Equal("CN=Test Root", certificate.Issuer.ToString());
        Assert.False(certificate.IsCa);
        Assert.Equal(KeyUsageFlags.DigitalSignature, certificate.KeyUsage);
        Assert.Equal(["1.3.6.1.5.5.7.3.1"], certificate.ExtendedKeyUsage);
        Assert.Equal(["DNS:www.example.com", "IP:192.0.2.1"], certificate.SubjectAltNames.Select(n => n.ToString()));
        Assert.NotNull(certificate.SubjectKeyIdentifier);
        Assert.Equal(root.Parsed.SubjectKeyIdentifier, certificate.AuthorityKeyIdentifier);
        Assert.Equal(leaf.X509.NotAfter.ToUniversalTime(), certificate.NotAfter.UtcDateTime);
        Assert.Empty(certificate.UnhandledCriticalExtensions);
        Assert.True(root.Parsed.IsCa);
        Assert.True(root.Parsed.IsSelfIssued);
    }

    [Fact]
    public void TheTestCaCertificatesParseToo()
    {
        var certificate = Certificate.Parse(Engine.TestCerts.Server().Chain[0]);
        Assert.Contains(certificate.SubjectAltNames, n => n.Text == "localhost");
    }

    public static TheoryData<string> Corruptions() => ["truncated", "trailing byte", "negative serial", "long serial", "version 2", "duplicate extension", "signature algorithms differ", "BER length"];

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void MalformedCertificatesAreFormatErrors(string corruption)
    {
        using var root = ChainFactory.Root();
        var der = root.X509.RawData;
        byte[] bad = corruption switch
        {
            "truncated" => der[..^10],
            "trailing byte" => [.. der, 0],
            "negative serial" => Rebuild(der, tbs => tbs.Serial = [0x80, 1]),
            "long serial" => Rebuild(der, tbs => tbs.Serial = [1, .. new byte[20]]),
            "version 2" => Rebuild(der, tbs => tbs.Version = 1),
            "duplicate extension" => Rebuild(der, tbs => tbs.DuplicateFirstExtension = true),
            "signature algorithms differ" => Rebuild(der, tbs => tbs.OuterAlgorithm = [0x30, 0x0A, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x03]),
            _ => [0x30, 0x81, (byte)(der.Length - 3), .. der[2..]],   // a long-form length where the short form fits (if it does)
        };
        Assert.Throws<CertificateFormatException>(() => Certificate.Parse(bad));
    }

    [Fact]
    public void RandomGarbageIsAFormatErrorEveryTime()
    {
        var random = new Random(7);
        using var root = ChainFactory.Root();
        var der = root.X509.RawData;
        for (int i = 0; i < 2000; i++)
        {
            var copy = (byte[])der.Clone();
            copy[random.Next(copy.Length)] ^= (byte)(1 << random.Next(8));
            try
            {
                _ = Certificate.Parse(copy);
            }
            catch (CertificateFormatException)
            {
            }
        }
    }

    private sealed class TbsEdit
    {
        public byte[]? Serial { get; set; }
        public int? Version { get; set; }
        public bool DuplicateFirstExtension { get; set; }
        public byte[]? OuterAlgorithm { get; set; }
    }

    /// <summary>Re-encodes a certificate with one field changed (the signature no longer matters to the parser).</summary>
    private static byte[] Rebuild(byte[] der, Action<TbsEdit> edit)
    {
        var change = new TbsEdit();
        edit(change);
        var certificate = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
        var tbs = certificate.ReadSequence();
        var algorithm = certificate.ReadEncodedValue();
        var signature = certificate.ReadBitString(out _);
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence())
            {
                var versionTag = new Asn1Tag(TagClass.ContextSpecific, 0, true);
                var version = tbs.ReadSequence(versionTag).ReadInteger();
                using (writer.PushSequence(versionTag))
                {
                    writer.WriteInteger(change.Version ?? (int)version);
                }

                var serial = tbs.ReadIntegerBytes();
                writer.WriteEncodedValue(change.Serial is { } s ? Integer(s) : Integer(serial.ToArray()));
                while (tbs.HasData)
                {
                    var tag = tbs.PeekTag();
                    if (change.DuplicateFirstExtension && tag.HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 3, true)))
                    {
                        var extensions = tbs.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 3, true)).ReadSequence();
                        var first = extensions.ReadEncodedValue().ToArray();
                        using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 3, true)))
                        using (writer.PushSequence())
                        {
                            writer.WriteEncodedValue(first);
                            writer.WriteEncodedValue(first);
                            while (extensions.HasData)
                            {
                                writer.WriteEncodedValue(extensions.ReadEncodedValue().Span);
                            }
                        }
                    }
                    else
                    {
                        writer.WriteEncodedValue(tbs.ReadEncodedValue().Span);
                    }
                }
            }

            writer.WriteEncodedValue(change.OuterAlgorithm ?? algorithm.ToArray());
            writer.WriteBitString(signature);
        }

        return writer.Encode();
    }

    private static byte[] Integer(byte[] content) => [0x02, (byte)content.Length, .. content];
}
