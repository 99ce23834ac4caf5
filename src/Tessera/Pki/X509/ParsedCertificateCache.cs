using Tessera.Crypto;

namespace Tessera.Pki.X509;

/// <summary>
/// Certificates already parsed, by their DER: a peer that comes back (the same server, the same client) sends the same
/// chain, and parsing it again costs more than checking it. Bounded (forgotten all at once when full); a parsed
/// <see cref="Certificate"/> never changes, so one instance serves every thread.
/// </summary>
internal sealed class ParsedCertificateCache(int capacity = 256)
{
    private readonly Dictionary<byte[], Certificate> _parsed = new(ByteArrayComparer.Instance);
    private readonly Lock _gate = new();

    /// <summary>The parsed certificate for <paramref name="der"/>; throws <see cref="CertificateFormatException"/> for a malformed one (which is not remembered).</summary>
    public Certificate Parse(ReadOnlyMemory<byte> der)
    {
        lock (_gate)
        {
            if (_parsed.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(der.Span, out var known))
            {
                return known;
            }
        }

        var key = der.ToArray();
        var certificate = Certificate.Parse(key);   // over its own copy: the handshake's buffer is not kept alive
        lock (_gate)
        {
            if (_parsed.Count >= capacity)
            {
                _parsed.Clear();
            }

            _parsed.TryAdd(key, certificate);
        }

        return certificate;
    }
}
