using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Tessera.Pki;
using Tessera.Pki.X509;

namespace Tessera.Tests.Pki;

/// <summary>One generated validation case: anchors, an untrusted pool in no particular order, a leaf and what to check it for.</summary>
internal sealed class ChainCase : IDisposable
{
    private readonly List<Issued> _owned = [];

    public List<Issued> Anchors { get; } = [];

    public List<Issued> Pool { get; } = [];

    public Issued Leaf { get; set; } = null!;

    public string? Host { get; set; } = "www.example.com";

    public IPAddress? Ip { get; set; }

    public CertificateUsage Usage { get; set; } = CertificateUsage.Server;

    public Issued Root(string name = "Table Root", CertSpec? spec = null) => Own(ChainFactory.Root(name, spec));

    public Issued Issue(Issued issuer, string name, CertSpec? spec = null) => Own(ChainFactory.Issue(issuer, name, spec));

    public Issued Own(Issued issued)
    {
        _owned.Add(issued);
        return issued;
    }

    public ValidationResult Validate(ValidationPolicy? policy = null)
    {
        Certificate leaf;
        try
        {
            leaf = Leaf.Parsed;
        }
        catch (CertificateFormatException ex)
        {
            return new ValidationResult(ValidationError.Malformed, ex.Message, 0, []);
        }

        return new CertificateValidator(Anchors.Select(a => a.Parsed), policy).Validate(leaf, Pool.Select(p => p.Parsed), new ValidationContext
        {
            Time = ChainFactory.Now,
            ExpectedName = Ip?.ToString() ?? Host,
            Usage = Usage,
        });
    }

    public void Dispose() => _owned.ForEach(o => o.Dispose());
}

/// <summary>
/// The path-validation table: every rule the validator enforces, valid and broken, with the error expected.
/// The unit tests run it through <see cref="CertificateValidator"/>; the interop tests through <c>openssl verify</c>.
/// </summary>
internal static class ValidationTable
{
    public const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    public const string ClientAuth = "1.3.6.1.5.5.7.3.2";
    private const string CodeSigning = "1.3.6.1.5.5.7.3.3";
    private const string AnyEku = "2.5.29.37.0";

    private static readonly CertSpec Ca = new() { Ca = true };

    private static CertSpec Leaf(params string[] dns) => new() { Dns = dns.Length == 0 ? ["www.example.com"] : dns, Eku = [ServerAuth] };

    /// <summary>Name → (expected error, how to build it).</summary>
    public static readonly IReadOnlyDictionary<string, (ValidationError Expected, Action<ChainCase> Build)> Rows =
        new Dictionary<string, (ValidationError, Action<ChainCase>)>
        {
            // Ordinary chains over every key type and signature algorithm.
            ["valid ECDSA P-256"] = (ValidationError.None, c => Standard(c)),
            ["valid leaf directly under the root"] = (ValidationError.None, c => { var root = c.Root(); c.Anchors.Add(root); c.Leaf = c.Issue(root, "leaf", Leaf()); }),
            ["valid RSA-2048 PKCS#1"] = (ValidationError.None, c => Standard(c, root: new CertSpec { RsaBits = 2048 }, ca: Ca with { RsaBits = 2048 })),
            ["valid RSA-PSS signatures (rsaEncryption keys)"] = (ValidationError.None, c => Standard(c, root: new CertSpec { RsaBits = 2048 }, ca: Ca with { RsaBits = 2048, SignWithPss = true }, leaf: Leaf() with { SignWithPss = true })),
            ["valid RSASSA-PSS keys (id-RSASSA-PSS)"] = (ValidationError.None, c => Standard(c, root: new CertSpec { KeyType = CertificateKeyType.RsaPss2048 }, ca: Ca with { KeyType = CertificateKeyType.RsaPss2048 })),
            ["valid Ed25519 root and intermediate"] = (ValidationError.None, c => Standard(c, root: new CertSpec { KeyType = CertificateKeyType.Ed25519 }, ca: Ca with { KeyType = CertificateKeyType.Ed25519 })),
            ["valid Ed25519 leaf"] = (ValidationError.None, c => Standard(c, leaf: Leaf() with { KeyType = CertificateKeyType.Ed25519 })),
            ["valid ECDSA P-384"] = (ValidationError.None, c => Standard(c, root: new CertSpec { KeyType = CertificateKeyType.EcdsaP384 }, ca: Ca with { KeyType = CertificateKeyType.EcdsaP384 }, leaf: Leaf() with { KeyType = CertificateKeyType.EcdsaP384 })),
            ["valid mixed: RSA root, ECDSA intermediate, Ed25519 leaf"] = (ValidationError.None, c => Standard(c, root: new CertSpec { RsaBits = 2048 }, leaf: Leaf() with { KeyType = CertificateKeyType.Ed25519 })),
            ["valid two intermediates"] = (ValidationError.None, c => Deep(c, 2)),
            ["valid six intermediates (eight certificates, the default maximum)"] = (ValidationError.None, c => Deep(c, 6)),
            ["valid pool with unrelated certificates"] = (ValidationError.None, c =>
            {
                Standard(c);
                var stranger = c.Root("Stranger Root");
                c.Pool.Insert(0, c.Issue(stranger, "Stranger CA", Ca));
                c.Pool.Add(c.Issue(stranger, "Table CA", Ca));   // same name as the real intermediate, other key
            }),
            ["valid without key identifiers"] = (ValidationError.None, c => Standard(c, ca: Ca with { NoKeyIdentifiers = true }, leaf: Leaf() with { NoKeyIdentifiers = true })),
            ["valid despite a misleading authorityKeyIdentifier"] = (ValidationError.None, c => Standard(c, leaf: Leaf() with { AuthorityKeyIdOverride = [1, 2, 3, 4] })),
            ["valid unknown non-critical extension"] = (ValidationError.None, c => Standard(c, leaf: Leaf() with { UnknownNonCriticalExtension = true })),
            ["valid leaf outliving its intermediate's notAfter is still valid now"] = (ValidationError.None, c => Standard(c, ca: Ca with { NotAfterOffset = TimeSpan.FromDays(5) }, leaf: Leaf() with { NotAfterOffset = TimeSpan.FromDays(60) })),

            // Validity.
            ["leaf expired"] = (ValidationError.Expired, c => Standard(c, leaf: Leaf() with { NotBeforeOffset = TimeSpan.FromDays(-10), NotAfterOffset = TimeSpan.FromDays(-1) })),
            ["leaf not yet valid"] = (ValidationError.NotYetValid, c => Standard(c, leaf: Leaf() with { NotBeforeOffset = TimeSpan.FromDays(1) })),
            ["intermediate expired"] = (ValidationError.Expired, c => Standard(c, ca: Ca with { NotBeforeOffset = TimeSpan.FromDays(-10), NotAfterOffset = TimeSpan.FromDays(-1) })),
            ["intermediate not yet valid"] = (ValidationError.NotYetValid, c => Standard(c, ca: Ca with { NotBeforeOffset = TimeSpan.FromDays(2) })),

            // Issuers and path building.
            ["untrusted root"] = (ValidationError.UnknownIssuer, c => { Standard(c); c.Anchors[0] = c.Root(); }),
            ["missing intermediate"] = (ValidationError.UnknownIssuer, c => { Standard(c); c.Pool.Clear(); }),
            ["forged signature (same name, other key)"] = (ValidationError.BadSignature, c =>
            {
                Standard(c);
                var impostor = c.Issue(c.Anchors[0], "Table CA", Ca with { NoKeyIdentifiers = true });
                c.Leaf = c.Issue(impostor, "leaf", Leaf() with { NoKeyIdentifiers = true });
                c.Pool[0] = c.Issue(c.Anchors[0], "Table CA", Ca with { NoKeyIdentifiers = true });   // the name matches, the key does not
            }),
            ["cross-signed: the intermediate's issuer is certified by the anchor"] = (ValidationError.None, c => CrossSigned(c, withSelfSignedOldRoot: false)),
            ["cross-signed, with the untrusted self-signed old root first in the pool"] = (ValidationError.None, c => CrossSigned(c, withSelfSignedOldRoot: true)),
            ["several same-name issuers, one real"] = (ValidationError.None, c =>
            {
                var root = c.Root();
                c.Anchors.Add(root);
                for (int i = 0; i < 5; i++)
                {
                    c.Pool.Add(c.Issue(root, "Table CA", Ca));
                }

                var real = c.Pool[3];
                c.Leaf = c.Issue(real, "leaf", Leaf() with { NoKeyIdentifiers = true });
            }),
            ["forty same-name issuers, the real one last"] = (ValidationError.None, c =>
            {
                var root = c.Root();
                c.Anchors.Add(root);
                for (int i = 0; i < 40; i++)
                {
                    c.Pool.Add(c.Issue(root, "Table CA", Ca with { NoKeyIdentifiers = true }));
                }

                c.Leaf = c.Issue(c.Pool[^1], "leaf", Leaf() with { NoKeyIdentifiers = true });
            }),
            ["two CAs signing each other, neither trusted"] = (ValidationError.UnknownIssuer, c =>
            {
                var a = c.Root("Loop A");
                var b = c.Root("Loop B");
                c.Anchors.Add(c.Root());
                c.Pool.AddRange([Reissue(c, a, b), Reissue(c, b, a)]);
                c.Leaf = c.Issue(a, "leaf", Leaf());
            }),
            ["longer than the maximum depth (seven intermediates)"] = (ValidationError.UnknownIssuer, c => Deep(c, 7)),

            // basicConstraints.
            ["intermediate without basicConstraints"] = (ValidationError.NotACa, c => Standard(c, ca: new CertSpec { KeyUsage = X509KeyUsageFlags.KeyCertSign })),
            ["intermediate with cA false"] = (ValidationError.NotACa, c => Standard(c, ca: new CertSpec { ExplicitNotCa = true, KeyUsage = X509KeyUsageFlags.KeyCertSign })),
            ["pathLen 0 with an intermediate below"] = (ValidationError.PathLengthExceeded, c =>
            {
                var root = c.Root();
                var first = c.Issue(root, "First CA", Ca with { PathLength = 0 });
                var second = c.Issue(first, "Second CA", Ca);
                c.Anchors.Add(root);
                c.Pool.AddRange([first, second]);
                c.Leaf = c.Issue(second, "leaf", Leaf());
            }),
            ["pathLen 1 with two intermediates below"] = (ValidationError.PathLengthExceeded, c =>
            {
                var root = c.Root();
                var first = c.Issue(root, "First CA", Ca with { PathLength = 1 });
                var second = c.Issue(first, "Second CA", Ca);
                var third = c.Issue(second, "Third CA", Ca);
                c.Anchors.Add(root);
                c.Pool.AddRange([first, second, third]);
                c.Leaf = c.Issue(third, "leaf", Leaf());
            }),
            ["pathLen 0 and the leaf directly below"] = (ValidationError.None, c => Standard(c, ca: Ca with { PathLength = 0 })),
            ["pathLen 1 and one intermediate below"] = (ValidationError.None, c =>
            {
                var root = c.Root();
                var first = c.Issue(root, "First CA", Ca with { PathLength = 1 });
                var second = c.Issue(first, "Second CA", Ca);
                c.Anchors.Add(root);
                c.Pool.AddRange([first, second]);
                c.Leaf = c.Issue(second, "leaf", Leaf());
            }),
            ["CA certificate as the end entity"] = (ValidationError.CaUsedAsEndEntity, c => Standard(c, leaf: Leaf() with { Ca = true })),

            // keyUsage.
            ["intermediate without keyCertSign"] = (ValidationError.NotACa, c => Standard(c, ca: Ca with { KeyUsage = X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.CrlSign })),
            ["leaf keyUsage cRLSign only"] = (ValidationError.KeyUsage, c => Standard(c, leaf: Leaf() with { KeyUsage = X509KeyUsageFlags.CrlSign })),
            ["leaf without keyUsage"] = (ValidationError.None, c => Standard(c, leaf: Leaf() with { KeyUsage = X509KeyUsageFlags.None })),
            ["intermediate without keyUsage"] = (ValidationError.None, c => Standard(c, ca: Ca with { KeyUsage = X509KeyUsageFlags.None })),

            // extendedKeyUsage.
            ["leaf for clients only, checked as a server"] = (ValidationError.ExtendedKeyUsage, c => Standard(c, leaf: Leaf() with { Eku = [ClientAuth] })),
            ["leaf for clients only, checked as a client"] = (ValidationError.None, c => { Standard(c, leaf: Leaf() with { Eku = [ClientAuth] }); c.Usage = CertificateUsage.Client; c.Host = null; }),
            ["leaf for servers only, checked as a client"] = (ValidationError.ExtendedKeyUsage, c => { Standard(c); c.Usage = CertificateUsage.Client; c.Host = null; }),
            ["leaf without extendedKeyUsage"] = (ValidationError.None, c => Standard(c, leaf: Leaf() with { Eku = null })),
            ["leaf with anyExtendedKeyUsage"] = (ValidationError.None, c => Standard(c, leaf: Leaf() with { Eku = [AnyEku] })),
            ["leaf for code signing only"] = (ValidationError.ExtendedKeyUsage, c => Standard(c, leaf: Leaf() with { Eku = [CodeSigning] })),
            ["intermediate for clients only"] = (ValidationError.ExtendedKeyUsage, c => Standard(c, ca: Ca with { Eku = [ClientAuth] })),
            ["intermediate for servers"] = (ValidationError.None, c => Standard(c, ca: Ca with { Eku = [ServerAuth] })),

            // Names (RFC 6125 / 9525).
            ["host in another case"] = (ValidationError.None, c => { Standard(c); c.Host = "WWW.Example.COM"; }),
            ["wildcard matches one label"] = (ValidationError.None, c => Standard(c, leaf: Leaf("*.example.com"))),
            ["wildcard does not match the bare domain"] = (ValidationError.NameMismatch, c => { Standard(c, leaf: Leaf("*.example.com")); c.Host = "example.com"; }),
            ["wildcard does not match two labels"] = (ValidationError.NameMismatch, c => { Standard(c, leaf: Leaf("*.example.com")); c.Host = "a.www.example.com"; }),
            ["partial-label wildcard"] = (ValidationError.NameMismatch, c => Standard(c, leaf: Leaf("w*.example.com"))),
            ["wildcard not leftmost"] = (ValidationError.NameMismatch, c => { Standard(c, leaf: Leaf("www.*.com")); c.Host = "www.example.com"; }),
            ["wildcard over a top-level domain"] = (ValidationError.NameMismatch, c => { Standard(c, leaf: Leaf("*.com")); c.Host = "example.com"; }),
            ["name mismatch"] = (ValidationError.NameMismatch, c => Standard(c, leaf: Leaf("other.example.com"))),
            ["IDNA A-label"] = (ValidationError.None, c => { Standard(c, leaf: Leaf("xn--bcher-kva.example")); c.Host = "xn--bcher-kva.example"; }),
            ["IPv4 address"] = (ValidationError.None, c => { Standard(c, leaf: Leaf() with { Ips = [IPAddress.Parse("192.0.2.10")] }); c.Ip = IPAddress.Parse("192.0.2.10"); }),
            ["IPv6 address"] = (ValidationError.None, c => { Standard(c, leaf: Leaf() with { Ips = [IPAddress.Parse("2001:db8::10")] }); c.Ip = IPAddress.Parse("2001:db8::10"); }),
            ["IP address mismatch"] = (ValidationError.NameMismatch, c => { Standard(c, leaf: Leaf() with { Ips = [IPAddress.Parse("192.0.2.10")] }); c.Ip = IPAddress.Parse("192.0.2.11"); }),
            ["IP address only as a dNSName"] = (ValidationError.NameMismatch, c => { Standard(c, leaf: Leaf("192.0.2.10")); c.Ip = IPAddress.Parse("192.0.2.10"); }),
            ["common name without subjectAltName"] = (ValidationError.NameMismatch, c => Standard(c, leaf: new CertSpec { Subject = "CN=www.example.com", Eku = [ServerAuth] })),

            // nameConstraints.
            ["DNS inside permitted"] = (ValidationError.None, c => Standard(c, ca: Ca with { NameConstraints = ChainFactory.NameConstraints(permittedDns: ["example.com"]) })),
            ["DNS outside permitted"] = (ValidationError.NameConstraint, c => Standard(c, ca: Ca with { NameConstraints = ChainFactory.NameConstraints(permittedDns: ["example.org"]) })),
            ["DNS permitted suffix is not a label boundary"] = (ValidationError.NameConstraint, c => { Standard(c, ca: Ca with { NameConstraints = ChainFactory.NameConstraints(permittedDns: ["example.com"]) }, leaf: Leaf("www.notexample.com")); c.Host = "www.notexample.com"; }),
            ["DNS excluded"] = (ValidationError.NameConstraint, c => Standard(c, ca: Ca with { NameConstraints = ChainFactory.NameConstraints(excludedDns: ["www.example.com"]) })),
            ["DNS excluded subtree"] = (ValidationError.NameConstraint, c => Standard(c, ca: Ca with { NameConstraints = ChainFactory.NameConstraints(excludedDns: ["example.com"]) })),
            ["DNS excluded elsewhere"] = (ValidationError.None, c => Standard(c, ca: Ca with { NameConstraints = ChainFactory.NameConstraints(excludedDns: ["example.org"]) })),
            ["wildcard leaf inside permitted"] = (ValidationError.None, c => Standard(c, ca: Ca with { NameConstraints = ChainFactory.NameConstraints(permittedDns: ["example.com"]) }, leaf: Leaf("*.example.com"))),
            ["wildcard leaf touching an excluded name"] = (ValidationError.NameConstraint, c => Standard(c, ca: Ca with { NameConstraints = ChainFactory.NameConstraints(excludedDns: ["secret.example.com"]) }, leaf: Leaf("*.example.com"))),
            ["every SAN must be inside permitted"] = (ValidationError.NameConstraint, c => Standard(c, ca: Ca with { NameConstraints = ChainFactory.NameConstraints(permittedDns: ["example.com"]) }, leaf: Leaf("www.example.com", "www.example.org"))),
            ["constraint on the intermediate above the intermediate"] = (ValidationError.NameConstraint, c =>
            {
                var root = c.Root();
                var first = c.Issue(root, "First CA", Ca with { NameConstraints = ChainFactory.NameConstraints(permittedDns: ["example.org"]) });
                var second = c.Issue(first, "Second CA", Ca);
                c.Anchors.Add(root);
                c.Pool.AddRange([first, second]);
                c.Leaf = c.Issue(second, "leaf", Leaf());
            }),
            ["IPv4 inside permitted range"] = (ValidationError.None, c => { Standard(c, ca: Ca with { NameConstraints = ChainFactory.NameConstraints(permittedIp: [[192, 0, 2, 0, 255, 255, 255, 0]]) }, leaf: Leaf() with { Ips = [IPAddress.Parse("192.0.2.10")] }); c.Ip = IPAddress.Parse("192.0.2.10"); }),
            ["IPv4 outside permitted range"] = (ValidationError.NameConstraint, c => { Standard(c, ca: Ca with { NameConstraints = ChainFactory.NameConstraints(permittedIp: [[10, 0, 0, 0, 255, 0, 0, 0]]) }, leaf: Leaf() with { Ips = [IPAddress.Parse("192.0.2.10")] }); c.Ip = IPAddress.Parse("192.0.2.10"); }),
            ["IPv4 excluded"] = (ValidationError.NameConstraint, c => { Standard(c, ca: Ca with { NameConstraints = ChainFactory.NameConstraints(excludedIp: [[192, 0, 2, 0, 255, 255, 255, 128]]) }, leaf: Leaf() with { Ips = [IPAddress.Parse("192.0.2.10")] }); c.Ip = IPAddress.Parse("192.0.2.10"); }),
            ["IPv6 inside permitted range"] = (ValidationError.None, c => { Standard(c, ca: Ca with { NameConstraints = ChainFactory.NameConstraints(permittedIp: [[.. IPAddress.Parse("2001:db8::").GetAddressBytes(), .. Enumerable.Repeat((byte)0xFF, 4), .. new byte[12]]]) }, leaf: Leaf() with { Ips = [IPAddress.Parse("2001:db8::10")] }); c.Ip = IPAddress.Parse("2001:db8::10"); }),
            ["IPv6 outside permitted range"] = (ValidationError.NameConstraint, c => { Standard(c, ca: Ca with { NameConstraints = ChainFactory.NameConstraints(permittedIp: [[.. IPAddress.Parse("2001:db9::").GetAddressBytes(), .. Enumerable.Repeat((byte)0xFF, 4), .. new byte[12]]]) }, leaf: Leaf() with { Ips = [IPAddress.Parse("2001:db8::10")] }); c.Ip = IPAddress.Parse("2001:db8::10"); }),
            ["DNS constraint does not bind an IP-only leaf"] = (ValidationError.None, c => { Standard(c, ca: Ca with { NameConstraints = ChainFactory.NameConstraints(permittedDns: ["example.org"]) }, leaf: new CertSpec { Ips = [IPAddress.Parse("192.0.2.10")], Eku = [ServerAuth] }); c.Ip = IPAddress.Parse("192.0.2.10"); }),
            ["email inside permitted domain"] = (ValidationError.None, c => Standard(c, ca: Ca with { NameConstraints = ChainFactory.NameConstraints(permittedEmail: ["example.com"]) }, leaf: Leaf() with { Emails = ["alice@example.com"] })),
            ["email outside permitted domain"] = (ValidationError.NameConstraint, c => Standard(c, ca: Ca with { NameConstraints = ChainFactory.NameConstraints(permittedEmail: ["example.com"]) }, leaf: Leaf() with { Emails = ["alice@example.org"] })),
            ["email mailbox excluded"] = (ValidationError.NameConstraint, c => Standard(c, ca: Ca with { NameConstraints = ChainFactory.NameConstraints(excludedEmail: ["alice@example.com"]) }, leaf: Leaf() with { Emails = ["alice@example.com"] })),
            ["email subdomain constraint"] = (ValidationError.None, c => Standard(c, ca: Ca with { NameConstraints = ChainFactory.NameConstraints(permittedEmail: [".example.com"]) }, leaf: Leaf() with { Emails = ["bob@mail.example.com"] })),
            ["directoryName inside permitted"] = (ValidationError.None, c => Standard(c, ca: Ca with { NameConstraints = ChainFactory.NameConstraints(permittedDirName: ["O=Good, C=FR"]) }, leaf: Leaf() with { Subject = "CN=leaf, O=Good, C=FR" })),
            ["directoryName outside permitted"] = (ValidationError.NameConstraint, c => Standard(c, ca: Ca with { NameConstraints = ChainFactory.NameConstraints(permittedDirName: ["O=Good, C=FR"]) }, leaf: Leaf() with { Subject = "CN=leaf, O=Bad, C=FR" })),
            ["directoryName excluded"] = (ValidationError.NameConstraint, c => Standard(c, ca: Ca with { NameConstraints = ChainFactory.NameConstraints(excludedDirName: ["O=Bad, C=FR"]) }, leaf: Leaf() with { Subject = "CN=leaf, O=Bad, C=FR" })),
            ["URI inside permitted host"] = (ValidationError.None, c => Standard(c, ca: Ca with { NameConstraints = ChainFactory.NameConstraints(permittedUri: ["example.com"]) }, leaf: Leaf() with { Uris = ["https://example.com/id"] })),
            ["URI outside permitted host"] = (ValidationError.NameConstraint, c => Standard(c, ca: Ca with { NameConstraints = ChainFactory.NameConstraints(permittedUri: ["example.com"]) }, leaf: Leaf() with { Uris = ["https://example.org/id"] })),

            // Extensions and algorithms.
            ["unknown critical extension in the leaf"] = (ValidationError.UnknownCriticalExtension, c => Standard(c, leaf: Leaf() with { UnknownCriticalExtension = true })),
            ["unknown critical extension in the intermediate"] = (ValidationError.UnknownCriticalExtension, c => Standard(c, ca: Ca with { UnknownCriticalExtension = true })),
            ["SHA-1 signature on the leaf"] = (ValidationError.WeakSignatureAlgorithm, c => Standard(c, root: new CertSpec { RsaBits = 2048 }, ca: Ca with { RsaBits = 2048 }, leaf: Leaf() with { Hash = HashAlgorithmName.SHA1 })),
            ["SHA-1 self-signature on the root"] = (ValidationError.None, c => Standard(c, root: new CertSpec { RsaBits = 2048, Hash = HashAlgorithmName.SHA1 })),
            ["RSA-1024 leaf key"] = (ValidationError.WeakKey, c => Standard(c, leaf: Leaf() with { RsaBits = 1024 })),
            ["RSA-1024 intermediate key"] = (ValidationError.WeakKey, c => Standard(c, ca: Ca with { RsaBits = 1024 })),

            // Encoding rules.
            ["serial number of 21 octets"] = (ValidationError.Malformed, c => Standard(c, leaf: Leaf() with { Serial = [0x01, .. new byte[20]] })),
        };

    public static TheoryData<string> Names() => [.. Rows.Keys];

    public static ChainCase Build(string name)
    {
        var chainCase = new ChainCase();
        Rows[name].Build(chainCase);
        return chainCase;
    }

    /// <summary>Root → "Table CA" → leaf for www.example.com.</summary>
    private static void Standard(ChainCase c, CertSpec? root = null, CertSpec? ca = null, CertSpec? leaf = null)
    {
        var anchor = c.Root("Table Root", root);
        var intermediate = c.Issue(anchor, "Table CA", ca ?? Ca);
        c.Anchors.Add(anchor);
        c.Pool.Add(intermediate);
        c.Leaf = c.Issue(intermediate, "leaf", leaf ?? Leaf());
    }

    /// <summary>Old Root → Table CA → leaf, where only New Root is trusted and it has certified Old Root's key.</summary>
    private static void CrossSigned(ChainCase c, bool withSelfSignedOldRoot)
    {
        var newRoot = c.Root("New Root");
        var oldRoot = c.Root("Old Root");
        var ca = c.Issue(oldRoot, "Table CA", Ca);
        c.Leaf = c.Issue(ca, "leaf", Leaf());
        c.Anchors.Add(newRoot);
        if (withSelfSignedOldRoot)
        {
            c.Pool.Add(oldRoot);
        }

        c.Pool.AddRange([Reissue(c, oldRoot, newRoot), ca]);
    }

    private static void Deep(ChainCase c, int intermediates)
    {
        var issuer = c.Root();
        c.Anchors.Add(issuer);
        for (int i = 0; i < intermediates; i++)
        {
            issuer = c.Issue(issuer, $"Table CA {i}", Ca);
            c.Pool.Insert(0, issuer);
        }

        c.Leaf = c.Issue(issuer, "leaf", Leaf());
    }

    /// <summary><paramref name="subject"/>'s name and key, certified by <paramref name="issuer"/> (cross-signing).</summary>
    private static Issued Reissue(ChainCase c, Issued subject, Issued issuer)
    {
        var key = (ECDsa)subject.Key!;
        var request = new CertificateRequest(subject.X509.SubjectName, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer.X509, true, false));
        var serial = RandomNumberGenerator.GetBytes(10);
        serial[0] = 0x11;
        var certificate = request.Create(issuer.X509.SubjectName, X509SignatureGenerator.CreateForECDsa((ECDsa)issuer.Key!),
            ChainFactory.Now.AddDays(-1), ChainFactory.Now.AddDays(20), serial);
        return c.Own(new Issued { X509 = certificate, Key = null });
    }
}
