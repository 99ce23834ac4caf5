using Tessera.Crypto;

namespace Tessera;

/// <summary>
/// A certificate chain and the private key for its end-entity certificate, as an endpoint presents
/// them. The chain is kept as DER so any certificate type (including Ed25519) travels unchanged.
/// </summary>
public sealed class TlsCertificate
{
    /// <summary>Creates a certificate from a DER chain (end-entity first) and its key.</summary>
    public TlsCertificate(IReadOnlyList<byte[]> chain, ITlsPrivateKey privateKey)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(privateKey);
        if (chain.Count == 0)
        {
            throw new ArgumentException("A certificate chain needs at least the end-entity certificate.", nameof(chain));
        }

        Chain = chain;
        PrivateKey = privateKey;
    }

    /// <summary>The chain as DER, end-entity first.</summary>
    public IReadOnlyList<byte[]> Chain { get; }

    /// <summary>The private key of <c>Chain[0]</c>.</summary>
    public ITlsPrivateKey PrivateKey { get; }

    /// <summary>
    /// A DER OCSP response about <c>Chain[0]</c> to staple when the client asks (RFC 6066 §8, RFC 8446 §4.4.2.1);
    /// null staples nothing. Sent as set, except that once its nextUpdate has passed it is no longer stapled.
    /// <see cref="Pki.OcspStapler"/> checks a response before stapling it and keeps it fresh.
    /// </summary>
    public byte[]? OcspResponse
    {
        get => _staple?.Response;
        set => _staple = value is null ? null : new Staple(value, Staple.NextUpdateOf(value));
    }

    private Staple? _staple;

    /// <summary>The response to staple at <paramref name="now"/>: none once it has expired.</summary>
    internal byte[]? CurrentOcspResponse(DateTimeOffset now) =>
        _staple is { } staple && (staple.NextUpdate is not { } next || next > now) ? staple.Response : null;

    /// <summary>A staple and the earliest nextUpdate it states (read once, when it is set).</summary>
    private sealed record Staple(byte[] Response, DateTimeOffset? NextUpdate)
    {
        public static DateTimeOffset? NextUpdateOf(byte[] response)
        {
            try
            {
                return Pki.X509.OcspResponse.Parse(response).Responses.Select(r => r.NextUpdate).Where(n => n is not null).Min();
            }
            catch (Pki.X509.CertificateFormatException)
            {
                return null;
            }
        }
    }

    /// <summary>The DNS names this certificate serves (subjectAltName dNSName entries), filled by loaders; used to pick a certificate by SNI.</summary>
    public IReadOnlyList<string> DnsNames { get; init; } = [];
}
