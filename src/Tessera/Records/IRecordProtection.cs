using Tessera.Messages;

namespace Tessera.Records;

/// <summary>Protection of records in one direction, for one protocol version and one set of keys.</summary>
internal interface IRecordProtection : IDisposable
{
    /// <summary>True in TLS 1.3: the real content type travels inside, and every protected record says application_data.</summary>
    bool HidesContentType { get; }

    /// <summary>The largest encrypted_record a peer may send (2^14 + 256 in 1.3, 2^14 + 2048 in 1.2).</summary>
    int MaxCiphertextLength { get; }

    /// <summary>Records protected or opened with these keys so far.</summary>
    ulong SequenceNumber { get; }

    /// <summary>The most bytes a sealed record adds to its content (header included), before padding.</summary>
    int Overhead { get; }

    /// <summary>Writes one protected record into <paramref name="destination"/>; returns its length.</summary>
    int Seal(ContentType type, ReadOnlySpan<byte> content, int paddingLength, Span<byte> destination);

    /// <summary>Opens a record in place; returns its content type and length, content starting at <paramref name="contentOffset"/> of the payload.</summary>
    (ContentType Type, int Length) Open(ReadOnlySpan<byte> header, Span<byte> payload, int maxPlaintext, out int contentOffset);

    /// <summary>True when <see cref="OpenTo"/> works (AEAD suites); CBC opens in place only.</summary>
    bool CanOpenTo { get; }

    /// <summary>
    /// Opens a record into <paramref name="destination"/> (at least as long as <paramref name="payload"/>), leaving the
    /// payload as it was; the content starts at <c>destination[0]</c>. Returns its type and length.
    /// </summary>
    (ContentType Type, int Length) OpenTo(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload, int maxPlaintext, Span<byte> destination);
}
