using Tessera.Pki.X509;

namespace Tessera.Fuzz.Targets;

/// <summary>
/// The OCSP response parser (RFC 6960), as a client meets it stapled or fetched, and the request parser of
/// <c>tessera ca ocsp-serve</c>, which reads requests from the network.
/// </summary>
public sealed class OcspTarget : IFuzzTarget
{
    /// <inheritdoc />
    public string Name => "ocsp";

    /// <inheritdoc />
    public string Description => "OCSP response and request parsers";

    /// <inheritdoc />
    public void Run(ReadOnlySpan<byte> input)
    {
        var der = input.ToArray();
        Expect.OnlyFormatErrors(() =>
        {
            var response = OcspResponse.Parse(der);
            _ = response.ResponderName?.ToString();
        });
        Expect.OnlyFormatErrors(() => OcspCertificateId.FromRequest(der));
    }
}
