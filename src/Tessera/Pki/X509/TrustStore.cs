using System.Security.Cryptography.X509Certificates;

namespace Tessera.Pki.X509;

/// <summary>
/// A set of trust anchors: the system bundle, a PEM file, a directory of PEM files, or certificates in
/// memory. Anchors that do not parse strictly are skipped (and counted), never fatal.
/// </summary>
public sealed class TrustStore
{
    /// <summary>Where Debian (and most Linux distributions) keep the system bundle.</summary>
    public const string DebianBundle = "/etc/ssl/certs/ca-certificates.crt";

    private static readonly Lazy<TrustStore> SystemStore = new(LoadSystem);

    private TrustStore(List<Certificate> anchors, int skipped, string source)
    {
        Anchors = anchors;
        Skipped = skipped;
        Source = source;
    }

    /// <summary>The anchors.</summary>
    public IReadOnlyList<Certificate> Anchors { get; }

    /// <summary>Certificates in the source that were not well-formed and were left out.</summary>
    public int Skipped { get; }

    /// <summary>Where the anchors came from.</summary>
    public string Source { get; }

    /// <summary>
    /// The system's roots, read once: the PEM bundle on Linux (<see cref="DebianBundle"/> or the usual
    /// alternatives); elsewhere the platform's root store, exported (validation itself is always Tessera's).
    /// </summary>
    public static TrustStore System => SystemStore.Value;

    /// <summary>Every certificate in a PEM file.</summary>
    public static TrustStore FromPemFile(string path) => FromDer(PemFiles.LoadCertificates(path), path);

    /// <summary>Every certificate in the *.pem and *.crt files of a directory.</summary>
    public static TrustStore FromDirectory(string path)
    {
        if (!Directory.Exists(path))
        {
            throw new PkiLoadException($"{path}: no such directory");
        }

        var ders = new List<byte[]>();
        foreach (var file in Directory.EnumerateFiles(path).Where(f => f.EndsWith(".pem", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".crt", StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal))
        {
            try
            {
                ders.AddRange(PemFiles.LoadCertificates(file));
            }
            catch (PkiLoadException)
            {
                // Not a certificate file: a directory of roots may hold other things.
            }
        }

        return FromDer(ders, path);
    }

    /// <summary>Certificates given as DER.</summary>
    public static TrustStore FromDer(IEnumerable<byte[]> certificates, string source = "memory")
    {
        ArgumentNullException.ThrowIfNull(certificates);
        var anchors = new List<Certificate>();
        int skipped = 0;
        foreach (var der in certificates)
        {
            try
            {
                var certificate = Certificate.Parse(der);
                if (!anchors.Any(a => a.Der.Span.SequenceEqual(certificate.Der.Span)))
                {
                    anchors.Add(certificate);
                }
            }
            catch (CertificateFormatException)
            {
                skipped++;
            }
        }

        return new TrustStore(anchors, skipped, source);
    }

    private static TrustStore LoadSystem()
    {
        foreach (var bundle in new[] { DebianBundle, "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem", "/etc/ssl/ca-bundle.pem" })
        {
            if (File.Exists(bundle))
            {
                return FromPemFile(bundle);
            }
        }

        if (Directory.Exists("/etc/ssl/certs"))
        {
            return FromDirectory("/etc/ssl/certs");
        }

        using var store = new X509Store(StoreName.Root, StoreLocation.CurrentUser);
        store.Open(OpenFlags.ReadOnly | OpenFlags.OpenExistingOnly);
        return FromDer([.. store.Certificates.Select(c => c.RawData)], "the platform root store");
    }
}
