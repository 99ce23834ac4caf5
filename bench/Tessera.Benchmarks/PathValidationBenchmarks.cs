using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using Tessera.Pki.X509;

namespace Tessera.Benchmarks;

/// <summary>
/// Validating a root → intermediate → leaf chain (ECDSA P-256 or RSA-2048), name and serverAuth included, no
/// revocation: Tessera's <see cref="CertificateValidator"/> against .NET's <see cref="X509Chain"/> (the platform
/// engine, OpenSSL underneath on Linux) with a custom root. Parsing of the DER is part of each operation. A validator
/// that has verified a signature before remembers it, so a chain seen again costs hashing rather than public-key work.
/// </summary>
[MemoryDiagnoser]
public class PathValidationBenchmarks
{
    private byte[] _root = [];
    private byte[] _intermediate = [];
    private byte[] _leaf = [];
    private X509Certificate2? _rootX509;
    private X509Certificate2? _intermediateX509;

    [Params("ECDSA-P256", "RSA-2048")]
    public string Keys { get; set; } = "ECDSA-P256";

    [GlobalSetup]
    public void Setup()
    {
        var now = DateTimeOffset.UtcNow;
        (CertificateRequest Request, X509SignatureGenerator Signer, IDisposable Key) Make(string name, bool ca)
        {
            if (Keys == "RSA-2048")
            {
                var rsa = RSA.Create(2048);
                var request = new CertificateRequest("CN=" + name, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                return (Decorate(request, ca), X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1), rsa);
            }

            var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            return (Decorate(new CertificateRequest("CN=" + name, ec, HashAlgorithmName.SHA256), ca), X509SignatureGenerator.CreateForECDsa(ec), ec);
        }

        var (rootRequest, rootSigner, rootKey) = Make("Bench Root", ca: true);
        var (caRequest, caSigner, caKey) = Make("Bench CA", ca: true);
        var (leafRequest, _, leafKey) = Make("leaf", ca: false);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("www.example.com");
        leafRequest.CertificateExtensions.Add(san.Build());
        leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var root = rootRequest.Create(rootRequest.SubjectName, rootSigner, now.AddDays(-1), now.AddYears(1), [1]);
        using var intermediate = caRequest.Create(root.SubjectName, rootSigner, now.AddDays(-1), now.AddYears(1), [2]);
        using var leaf = leafRequest.Create(intermediate.SubjectName, caSigner, now.AddDays(-1), now.AddDays(90), [3]);
        (_root, _intermediate, _leaf) = (root.RawData, intermediate.RawData, leaf.RawData);
        _rootX509 = X509CertificateLoader.LoadCertificate(_root);
        _intermediateX509 = X509CertificateLoader.LoadCertificate(_intermediate);
        rootKey.Dispose();
        caKey.Dispose();
        leafKey.Dispose();
    }

    private static CertificateRequest Decorate(CertificateRequest request, bool ca)
    {
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(ca, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(ca ? X509KeyUsageFlags.KeyCertSign : X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request;
    }

    /// <summary>A new validator each time: both signatures verified.</summary>
    [Benchmark(Baseline = true)]
    public bool Tessera()
    {
        var validator = new CertificateValidator([Certificate.Parse(_root)]);
        return validator.Validate(Certificate.Parse(_leaf), [Certificate.Parse(_intermediate)], new ValidationContext { ExpectedName = "www.example.com" }).IsValid;
    }

    /// <summary>A long-lived validator seeing the same chain again: the signatures it verified before are remembered.</summary>
    [Benchmark]
    public bool TesseraChainSeenBefore()
    {
        _warm ??= new CertificateValidator([Certificate.Parse(_root)]);
        return _warm.Validate(Certificate.Parse(_leaf), [Certificate.Parse(_intermediate)], new ValidationContext { ExpectedName = "www.example.com" }).IsValid;
    }

    private CertificateValidator? _warm;

    [Benchmark]
    public bool DotNetX509Chain()
    {
        using var leaf = X509CertificateLoader.LoadCertificate(_leaf);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_rootX509!);
        chain.ChainPolicy.ExtraStore.Add(_intermediateX509!);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.1"));
        return chain.Build(leaf) && leaf.MatchesHostname("www.example.com");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _rootX509?.Dispose();
        _intermediateX509?.Dispose();
    }
}
