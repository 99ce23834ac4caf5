using Tessera.Messages;

namespace Tessera.Records;

/// <summary>One record taken from the input: its real type, its outer (wire) type and where its content lies.</summary>
/// When <see cref="InPlaintextSink"/> is set the content was decrypted straight to the tail of the plaintext sink
/// (not yet counted in it): the connection advances the sink for application data, or handles and wipes it.
internal readonly record struct ReceivedRecord(ContentType Type, ContentType OuterType, ushort LegacyVersion, bool WasProtected, int ContentOffset, int ContentLength, bool InPlaintextSink = false);

/// <summary>
/// What the connection needs from a record layer. The stream layer (<see cref="StreamRecordLayer"/>)
/// is the one implementation today; a datagram layer for DTLS (epochs, explicit sequence numbers,
/// replay window) is meant to sit behind the same calls, so the handshake never learns how records
/// are framed.
/// </summary>
internal interface IRecordLayer : IDisposable
{
    /// <summary>The largest plaintext the peer may put in one record (our record_size_limit minus one).</summary>
    int MaxReadPlaintext { get; set; }

    /// <summary>The largest plaintext this side puts in one record.</summary>
    int MaxWriteFragment { get; set; }

    /// <summary>The legacy_record_version of unprotected records this side writes.</summary>
    ushort PlaintextRecordVersion { get; set; }

    bool IsReadProtected { get; }

    bool IsWriteProtected { get; }

    /// <summary>True once a protected record from the peer has authenticated under the current read keys.</summary>
    bool HasReceivedProtectedRecord { get; }

    ulong WriteSequenceNumber { get; }

    /// <summary>Where AEAD records are decrypted to (the connection's plaintext queue), saving a copy; null to open in place.</summary>
    ByteQueue? PlaintextSink { get; set; }

    /// <summary>Bytes of pooled buffers held now (input and output).</summary>
    int BufferBytesHeld { get; }

    /// <summary>Protected records waiting to be sent.</summary>
    ByteQueue Output { get; }

    /// <summary>Bytes of undecryptable 0-RTT data a server that declined it may still drop (RFC 8446 §4.2.10).</summary>
    int EarlyDataSkipBudget { get; set; }

    void AppendInput(ReadOnlySpan<byte> data);

    /// <summary>Room for at least <paramref name="size"/> bytes at the end of the input, for a transport to read into; then <see cref="CommitInput"/>.</summary>
    Memory<byte> GetInputMemory(int size);

    /// <summary>Takes <paramref name="count"/> bytes written into <see cref="GetInputMemory"/> as received.</summary>
    void CommitInput(int count);

    /// <summary>Drops the input buffer without returning it to the pool: something may still write into it.</summary>
    void AbandonInput();

    /// <summary>Hands the queued output to the caller (to send without copying) and queues further output in <paramref name="replacement"/>, which must be empty.</summary>
    ByteQueue SwapOutput(ByteQueue replacement);

    void SetReadProtection(IRecordProtection? protection);

    void SetWriteProtection(IRecordProtection? protection);

    bool TryReadRecord(out ReceivedRecord record);

    Span<byte> ContentOf(in ReceivedRecord record);

    void ConsumeRecord();

    void Write(ContentType type, ReadOnlySpan<byte> data);

    void WriteChangeCipherSpec();
}
