using Tessera.Pki.X509;

namespace Tessera.Fuzz.Targets;

/// <summary>The CRL parser and a lookup in what it parsed.</summary>
public sealed class CrlTarget : IFuzzTarget
{
    /// <inheritdoc />
    public string Name => "crl";

    /// <inheritdoc />
    public string Description => "X.509 CRL parser";

    /// <inheritdoc />
    public void Run(ReadOnlySpan<byte> input)
    {
        var der = input.ToArray();
        Expect.OnlyFormatErrors(() =>
        {
            var crl = CertificateRevocationList.Parse(der);
            _ = crl.Issuer.ToString();
            _ = crl.Find(crl.Revoked.Count > 0 ? crl.Revoked[^1].SerialNumber : [1]);
        });
    }
}
