using Tessera.Pki;

namespace Tessera.Fuzz.Targets;

/// <summary>PEM (and DER) files of certificates and private keys, as <c>-cert</c>, <c>-key</c> and <c>-CAfile</c> read them.</summary>
public sealed class PemTarget : IFuzzTarget
{
    /// <inheritdoc />
    public string Name => "pem";

    /// <inheritdoc />
    public string Description => "PEM/DER certificate and private key file parsers";

    /// <inheritdoc />
    public void Run(ReadOnlySpan<byte> input)
    {
        var content = input.ToArray();
        Expect.OnlyFormatErrors(() => PemFiles.ParseCertificates(content, "fuzz"));
        Expect.OnlyFormatErrors(() =>
        {
            using var key = PemFiles.ParsePrivateKey(content, "fuzz") as IDisposable;
        });
    }
}
