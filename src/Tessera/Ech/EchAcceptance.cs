using Tessera.Crypto;
using Tessera.KeySchedule;

namespace Tessera.Ech;

/// <summary>
/// The server's signal that it used the inner ClientHello (RFC 9849 §7.2, §7.2.1): eight bytes derived from
/// ClientHelloInner.random and the inner transcript, in the last bytes of ServerHello.random or in the
/// HelloRetryRequest's encrypted_client_hello extension.
/// </summary>
internal static class EchAcceptance
{
    public const int Length = 8;

    /// <summary>Where the confirmation sits in a ServerHello message (4-byte header, legacy_version, then random[24..32]).</summary>
    public const int ServerHelloOffset = 4 + 2 + 24;

    /// <summary>
    /// HKDF-Expand-Label(HKDF-Extract(0, ClientHelloInner.random), label, transcript, 8), with
    /// "ech accept confirmation" for a ServerHello and "hrr ech accept confirmation" for a HelloRetryRequest.
    /// </summary>
    public static byte[] Compute(ICryptoProvider crypto, TlsHashAlgorithm hash, ReadOnlySpan<byte> innerRandom, ReadOnlySpan<byte> transcriptHash, bool helloRetryRequest)
    {
        int hashLength = HashAlgorithms.Length(hash);
        Span<byte> salt = stackalloc byte[hashLength];
        salt.Clear();
        Span<byte> prk = stackalloc byte[hashLength];
        crypto.HkdfExtract(hash, innerRandom, salt, prk);
        var confirmation = HkdfLabel.Expand(crypto, hash, prk, helloRetryRequest ? "hrr ech accept confirmation" : "ech accept confirmation", transcriptHash, Length);
        prk.Clear();
        return confirmation;
    }
}
