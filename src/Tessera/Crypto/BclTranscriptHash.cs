using System.Security.Cryptography;

namespace Tessera.Crypto;

/// <summary>An <see cref="ITranscriptHash"/> over the BCL's <see cref="IncrementalHash"/>.</summary>
internal sealed class BclTranscriptHash : ITranscriptHash
{
    private readonly IncrementalHash[] _parts;

    public BclTranscriptHash(TlsHashAlgorithm algorithm)
        : this(algorithm, algorithm == TlsHashAlgorithm.Md5Sha1
            ? [IncrementalHash.CreateHash(HashAlgorithmName.MD5), IncrementalHash.CreateHash(HashAlgorithmName.SHA1)]
            : [IncrementalHash.CreateHash(HashAlgorithms.ToBcl(algorithm))])
    {
    }

    private BclTranscriptHash(TlsHashAlgorithm algorithm, IncrementalHash[] parts)
    {
        Algorithm = algorithm;
        _parts = parts;
    }

    public TlsHashAlgorithm Algorithm { get; }

    public int HashLength => HashAlgorithms.Length(Algorithm);

    public void Append(ReadOnlySpan<byte> data)
    {
        foreach (var part in _parts)
        {
            part.AppendData(data);
        }
    }

    /// <summary>The hash so far; for TLS 1.0/1.1, MD5 and SHA-1 side by side (RFC 2246 §7.4.9).</summary>
    public int GetCurrentHash(Span<byte> destination)
    {
        int written = 0;
        foreach (var part in _parts)
        {
            written += part.GetCurrentHash(destination[written..]);
        }

        return written;
    }

    public ITranscriptHash Clone() => new BclTranscriptHash(Algorithm, [.. _parts.Select(p => p.Clone())]);

    public void Dispose()
    {
        foreach (var part in _parts)
        {
            part.Dispose();
        }
    }
}
