using System.Diagnostics;
using System.Text;
using Tessera.Pki;
using Tessera.Pki.X509;

namespace Tessera.Tests.Pki;

/// <summary>
/// Hostile bytes everywhere the PKI reads them: certificates of every key type (as leaf and as intermediate),
/// CRLs, OCSP requests and responses, PEM bundles. Each mutation (bit flip, truncation, inserted or deleted
/// byte, length byte changed) ends in the library's own error or an ordinary verdict — never another
/// exception — and the whole run is bounded in time.
/// </summary>
public sealed class PkiMutationTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("tessera-pki-mutation-");

    public void Dispose() => _directory.Delete(recursive: true);

    /// <summary>Fixed seeds, so a failure reproduces; TESSERA_MUTATION_SEED shifts them all for a longer hunt.</summary>
    private static Random Seeded(int seed) =>
        new(seed + (int.TryParse(Environment.GetEnvironmentVariable("TESSERA_MUTATION_SEED"), out var shift) ? shift * 1000 : 0));

    private static byte[] Mutate(byte[] original, Random random)
    {
        var copy = new List<byte>(original);
        switch (random.Next(5))
        {
            case 0:
                copy[random.Next(copy.Count)] ^= (byte)(1 << random.Next(8));
                break;
            case 1:
                int cut = random.Next(1, copy.Count);
                copy.RemoveRange(cut, copy.Count - cut);
                break;
            case 2:
                copy.Insert(random.Next(copy.Count), (byte)random.Next(256));
                break;
            case 3:
                copy.RemoveAt(random.Next(copy.Count));
                break;
            default:
                // Aim at a length octet: after a constructed tag (0x30, 0x31, 0xA0-0xA3) set it to something odd.
                var at = Enumerable.Range(0, copy.Count - 1).Where(i => copy[i] is 0x30 or 0x31 or >= 0xA0 and <= 0xA3).ToList();
                if (at.Count > 0)
                {
                    copy[at[random.Next(at.Count)] + 1] = (byte)(new[] { 0x00, 0x7F, 0x80, 0x81, 0x84, 0xFF })[random.Next(6)];
                }

                break;
        }

        return [.. copy];
    }

    [Theory]
    [InlineData(CertificateKeyType.EcdsaP256)]
    [InlineData(CertificateKeyType.EcdsaP384)]
    [InlineData(CertificateKeyType.Rsa2048)]
    [InlineData(CertificateKeyType.RsaPss2048)]
    [InlineData(CertificateKeyType.Ed25519)]
    public void MutatedCertificatesGiveAFormatErrorOrAVerdict(CertificateKeyType keyType)
    {
        using var chain = new ChainCase();
        var root = chain.Root("Mutation Root", new CertSpec { KeyType = keyType });
        var ca = chain.Issue(root, "Mutation CA", new CertSpec { Ca = true, KeyType = keyType, NameConstraints = ChainFactory.NameConstraints(permittedDns: ["example.com"]) });
        var leaf = chain.Issue(ca, "leaf", new CertSpec { Dns = ["www.example.com"], Ips = [System.Net.IPAddress.Loopback], Eku = [ValidationTable.ServerAuth], KeyType = keyType });
        var validator = new CertificateValidator([root.Parsed]);
        var context = new ValidationContext { Time = ChainFactory.Now, ExpectedName = "www.example.com" };
        Assert.True(validator.Validate(leaf.Parsed, [ca.Parsed], context).IsValid);

        var random = Seeded((int)keyType + 11);
        var clock = Stopwatch.StartNew();
        int parsed = 0;
        for (int i = 0; i < 600; i++)
        {
            bool mutateLeaf = i % 2 == 0;
            var bytes = Mutate(mutateLeaf ? leaf.X509.RawData : ca.X509.RawData, random);
            Certificate certificate;
            try
            {
                certificate = Certificate.Parse(bytes);
            }
            catch (CertificateFormatException)
            {
                continue;
            }

            parsed++;
            var result = mutateLeaf ? validator.Validate(certificate, [ca.Parsed], context) : validator.Validate(leaf.Parsed, [certificate], context);
            if (result.IsValid)
            {
                // Only a change outside what the signature covers can leave the chain valid: never the to-be-signed part.
                Assert.Equal((mutateLeaf ? leaf.Parsed : ca.Parsed).TbsDer.ToArray(), certificate.TbsDer.ToArray());
            }
        }

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
        Assert.True(parsed > 0, "no mutation parsed at all: the test would prove nothing");
    }

    [Fact]
    public void MutatedCrlsAndOcspMessagesGiveAFormatErrorOrAnAnswer()
    {
        var ca = FileCertificateAuthority.Init(Path.Combine(_directory.FullName, "ca"), CertificateKeyType.EcdsaP256, "Mutation CA", TimeSpan.FromDays(30));
        var issued = ca.Issue(IssuedCertificateKind.Server, "m", ["m.example"], CertificateKeyType.EcdsaP256, TimeSpan.FromDays(3));
        var leafDer = PemFiles.ParseCertificates(Encoding.ASCII.GetBytes(issued.CertificateChainPem), "issued")[0];
        ca.Revoke(leafDer, System.Security.Cryptography.X509Certificates.X509RevocationReason.Superseded);
        var leaf = Certificate.Parse(leafDer);
        var issuer = Certificate.Parse(ca.CertificateDer);
        var crl = ca.CreateCrl(TimeSpan.FromDays(1));
        var request = OcspCertificateId.For(leaf, issuer).ToRequest();
        var response = ca.CreateOcspResponse(request, TimeSpan.FromDays(1));
        var validator = new CertificateValidator([issuer]);

        var random = Seeded(5);
        for (int i = 0; i < 600; i++)
        {
            try
            {
                var parsed = CertificateRevocationList.Parse(Mutate(crl, random));
                _ = validator.Validate(leaf, [], new ValidationContext { Time = ChainFactory.Now, ExpectedName = "m.example", Crls = [parsed], Revocation = RevocationMode.HardFail });
            }
            catch (CertificateFormatException)
            {
            }

            try
            {
                var parsed = OcspResponse.Parse(Mutate(response, random));
                _ = parsed.StatusOf(leaf, issuer, ChainFactory.Now, TimeSpan.FromMinutes(5), out _);
                _ = validator.Validate(leaf, [], new ValidationContext { Time = ChainFactory.Now, ExpectedName = "m.example", OcspResponses = [parsed], Revocation = RevocationMode.HardFail });
            }
            catch (CertificateFormatException)
            {
            }

            try
            {
                _ = OcspCertificateId.FromRequest(Mutate(request, random));
            }
            catch (CertificateFormatException)
            {
            }

            // The CA answering a mutated request answers (an error status at worst), it does not throw.
            _ = OcspResponse.Parse(ca.CreateOcspResponse(Mutate(request, random), TimeSpan.FromDays(1)));
        }
    }

    [Fact]
    public void MutatedPemBundlesGiveALoadError()
    {
        using var chain = new ChainCase();
        var root = chain.Root();
        var pem = Encoding.ASCII.GetBytes(root.X509.ExportCertificatePem() + "\n" + chain.Issue(root, "CA", new CertSpec { Ca = true }).X509.ExportCertificatePem() + "\n");
        var random = Seeded(9);
        for (int i = 0; i < 400; i++)
        {
            try
            {
                var certificates = PemFiles.ParseCertificates(Mutate(pem, random), "bundle.pem");
                _ = TrustStore.FromDer(certificates, "bundle.pem");
            }
            catch (PkiLoadException)
            {
            }
        }
    }
}
