using System.Security.Cryptography;

namespace Tessera.Crypto;

/// <summary>An <see cref="ITranscriptHash"/> over the BCL's <see cref="IncrementalHash"/>.</summary>
internal sealed class BclTranscriptHash : ITranscriptHash
{
    private readonly IncrementalHash _hash;

    public BclTranscriptHash(TlsHashAlgorithm algorithm)
        : this(algorithm, IncrementalHash.CreateHash(HashAlgorithms.ToBcl(algorithm)))
    {
    }

    private BclTranscriptHash(TlsHashAlgorithm algorithm, IncrementalHash hash)
    {
        Algorithm = algorithm;
        _hash = hash;
    }

    public TlsHashAlgorithm Algorithm { get; }

    public int HashLength => HashAlgorithms.Length(Algorithm);

    public void Append(ReadOnlySpan<byte> data) => _hash.AppendData(data);

    public int GetCurrentHash(Span<byte> destination) => _hash.GetCurrentHash(destination);

    public ITranscriptHash Clone() => new BclTranscriptHash(Algorithm, _hash.Clone());

    public void Dispose() => _hash.Dispose();
}
