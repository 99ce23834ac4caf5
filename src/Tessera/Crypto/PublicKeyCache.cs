using System.Security.Cryptography;

namespace Tessera.Crypto;

/// <summary>
/// Parsed ECDSA and RSA public keys by their encoding, so that a key seen again (a server's certificate, a CA) is not
/// imported again: OpenSSL checks a point or a modulus on import, which costs more than the verification itself.
/// Bounded (forgotten all at once when full); public keys only, so nothing here is secret. A key object is used by one
/// verification at a time (its gate).
/// </summary>
internal static class PublicKeyCache
{
    private const int Capacity = 512;
    private static readonly Dictionary<byte[], Entry> EcdsaKeys = new(ByteArrayComparer.Instance);
    private static readonly Dictionary<byte[], Entry> RsaKeys = new(ByteArrayComparer.Instance);
    private static readonly Dictionary<byte[], Entry> BareRsaKeys = new(ByteArrayComparer.Instance);
    private static readonly Lock Gate = new();

    /// <summary>A parsed key with what its checks need.</summary>
    internal sealed class Entry(AsymmetricAlgorithm key, string? curveOid)
    {
        public AsymmetricAlgorithm Key { get; } = key;

        /// <summary>ECDSA: the named curve's OID.</summary>
        public string? CurveOid { get; } = curveOid;

        public Lock Gate { get; } = new();
    }

    /// <summary>The ECDSA key of a SubjectPublicKeyInfo (throws <see cref="CryptographicException"/> for a bad one).</summary>
    public static Entry Ecdsa(ReadOnlySpan<byte> spki) => GetOrAdd(0, spki, static bytes =>
    {
        var ecdsa = System.Security.Cryptography.ECDsa.Create();
        try
        {
            ecdsa.ImportSubjectPublicKeyInfo(bytes, out _);
            return new Entry(ecdsa, ecdsa.ExportParameters(false).Curve.Oid?.Value);
        }
        catch
        {
            ecdsa.Dispose();
            throw;
        }
    });

    /// <summary>The RSA key of a SubjectPublicKeyInfo (rsaEncryption) or of a bare RSAPublicKey (id-RSASSA-PSS keys).</summary>
    public static Entry Rsa(ReadOnlySpan<byte> encoded, bool bareRsaPublicKey) => GetOrAdd(bareRsaPublicKey ? (byte)2 : (byte)1, encoded, bareRsaPublicKey
        ? static bytes => Import(bytes, bare: true)
        : static bytes => Import(bytes, bare: false));

    private static Entry Import(byte[] bytes, bool bare)
    {
        var rsa = System.Security.Cryptography.RSA.Create();
        try
        {
            if (bare)
            {
                rsa.ImportRSAPublicKey(bytes, out _);
            }
            else
            {
                rsa.ImportSubjectPublicKeyInfo(bytes, out _);
            }

            return new Entry(rsa, null);
        }
        catch
        {
            rsa.Dispose();
            throw;
        }
    }

    private static Entry GetOrAdd(byte kind, ReadOnlySpan<byte> encoded, Func<byte[], Entry> create)
    {
        var keys = kind switch { 0 => EcdsaKeys, 1 => RsaKeys, _ => BareRsaKeys };
        lock (Gate)
        {
            if (keys.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(encoded, out var found))
            {
                return found;
            }
        }

        var key = encoded.ToArray();
        var entry = create(key);
        lock (Gate)
        {
            if (keys.Count >= Capacity)
            {
                keys.Clear();   // the entries' keys are finalized when no verification holds them any more
            }

            return keys.TryAdd(key, entry) ? entry : keys[key];
        }
    }
}
