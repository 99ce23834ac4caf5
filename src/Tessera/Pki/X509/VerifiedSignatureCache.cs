using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Tessera.Pki.X509;

/// <summary>
/// Remembers which (issuer key, signed certificate) pairs have verified, so that chains seen again (the same
/// intermediates under the same roots, handshake after handshake) skip the public-key work. An entry is the
/// SHA-256 of the issuer's SubjectPublicKeyInfo and the whole signed certificate: nothing short of a SHA-256
/// collision can make a certificate that was never verified look verified. Only successes are remembered;
/// the cache holds at most <see cref="Capacity"/> entries and starts over when full.
/// </summary>
internal sealed class VerifiedSignatureCache
{
    public const int Capacity = 4096;

    private readonly ConcurrentDictionary<(UInt128, UInt128), byte> _verified = new();

    public bool Contains(Certificate subject, Certificate issuer) => _verified.ContainsKey(Key(subject, issuer));

    public void Add(Certificate subject, Certificate issuer)
    {
        if (_verified.Count >= Capacity)
        {
            _verified.Clear();
        }

        _verified.TryAdd(Key(subject, issuer), 0);
    }

    private static (UInt128, UInt128) Key(Certificate subject, Certificate issuer)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(length, issuer.SubjectPublicKeyInfo.Length);
        hash.AppendData(length);
        hash.AppendData(issuer.SubjectPublicKeyInfo.Span);
        hash.AppendData(subject.Der.Span);
        Span<byte> digest = stackalloc byte[32];
        hash.GetHashAndReset(digest);
        return (System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(digest), System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(digest[16..]));
    }
}
