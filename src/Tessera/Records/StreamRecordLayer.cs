using System.Buffers.Binary;
using Tessera.Messages;

namespace Tessera.Records;

/// <summary>
/// The record layer for byte streams (TLS over TCP): frames, protects and fragments outgoing data;
/// deframes and deprotects incoming data. Holds at most one incoming record beyond what the caller
/// fed, and knows nothing of which handshake message a record carries.
/// </summary>
internal sealed class StreamRecordLayer : IRecordLayer
{
    private readonly ByteQueue _input = new(RecordConstants.HeaderLength + RecordConstants.MaxCiphertextLength13);
    private ByteQueue _output = new(RecordConstants.HeaderLength + RecordConstants.MaxCiphertextLength13 + 64);
    private readonly ITlsObserver? _observer;
    private IRecordProtection? _read;
    private IRecordProtection? _write;

    public StreamRecordLayer(ITlsObserver? observer) => _observer = observer;

    /// <summary>The largest plaintext the peer may send us in one record (our record_size_limit minus the content type byte).</summary>
    public int MaxReadPlaintext { get; set; } = RecordConstants.MaxPlaintextLength;

    /// <summary>The largest plaintext we put in one record (the peer's record_size_limit, 2^14 at most).</summary>
    public int MaxWriteFragment { get; set; } = RecordConstants.MaxPlaintextLength;

    /// <summary>Pad protected plaintext to a multiple of this many bytes; 0 for none.</summary>
    public int PaddingBlockSize { get; set; }

    /// <summary>The legacy_record_version for plaintext records we write.</summary>
    public ushort PlaintextRecordVersion { get; set; } = RecordConstants.InitialClientHelloRecordVersion;

    public bool IsReadProtected => _read is not null;

    public bool IsWriteProtected => _write is not null;

    /// <summary>True once a protected record from the peer has authenticated.</summary>
    public bool HasReceivedProtectedRecord { get; private set; }

    public ulong WriteSequenceNumber => _write?.SequenceNumber ?? 0;

    public ByteQueue Output => _output;

    public ByteQueue? PlaintextSink { get; set; }

    public int BufferBytesHeld => _input.Capacity + _output.Capacity;

    private bool _lastRecordInSink;

    public void AppendInput(ReadOnlySpan<byte> data) => _input.Append(data);

    public Memory<byte> GetInputMemory(int size) => _input.GetAppendMemory(size);

    public void CommitInput(int count) => _input.Advance(count);   // nothing read: an empty queue gives its array back

    public void AbandonInput() => _input.Abandon();

    public ByteQueue SwapOutput(ByteQueue replacement)
    {
        ArgumentNullException.ThrowIfNull(replacement);
        if (replacement.Count != 0)
        {
            throw new ArgumentException("The replacement output queue must be empty.", nameof(replacement));
        }

        var full = _output;
        _output = replacement;
        return full;
    }

    public void SetReadProtection(IRecordProtection? protection)
    {
        _read?.Dispose();
        _read = protection;
        HasReceivedProtectedRecord = false;
    }

    public void SetWriteProtection(IRecordProtection? protection)
    {
        _write?.Dispose();
        _write = protection;
    }

    /// <summary>
    /// Takes the next whole record from the input, deprotecting it when read keys are set. Returns
    /// false when more bytes are needed. The content stays valid until <see cref="ConsumeRecord"/>.
    /// </summary>
    public bool TryReadRecord(out ReceivedRecord record)
    {
        while (true)
        {
            switch (TryReadOneRecord(out record))
            {
                case ReadOutcome.Record:
                    return true;
                case ReadOutcome.NeedMore:
                    return false;
            }
        }
    }

    /// <summary>
    /// Bytes of 0-RTT data a server that did not accept early data may still drop (RFC 8446 §4.2.10): application_data
    /// records it cannot read (no keys yet after a HelloRetryRequest) or cannot deprotect (they were sealed with the
    /// early traffic key). The first record that does deprotect ends the skipping; going over the budget is an error.
    /// </summary>
    public int EarlyDataSkipBudget { get; set; }

    private enum ReadOutcome { Record, NeedMore, Skipped }

    private ReadOutcome Skip(int length)
    {
        // The budget counts early data, which is plaintext: a record's AEAD tag, content type and padding are not
        // charged (at most 256 bytes of each record), but every record costs at least one byte.
        EarlyDataSkipBudget -= Math.Max(1, length - 256);
        if (EarlyDataSkipBudget < 0)
        {
            throw new TlsException(AlertDescription.UnexpectedMessage, "more skipped early data than max_early_data_size allows");
        }

        ConsumeRecord();
        PlaintextSink?.TrimIfEmpty();
        return ReadOutcome.Skipped;
    }

    private ReadOutcome TryReadOneRecord(out ReceivedRecord record)
    {
        record = default;
        var buffered = _input.WritableSpan;
        if (buffered.Length < RecordConstants.HeaderLength)
        {
            return ReadOutcome.NeedMore;
        }

        var outer = (ContentType)buffered[0];
        ushort version = BinaryPrimitives.ReadUInt16BigEndian(buffered[1..]);
        int length = BinaryPrimitives.ReadUInt16BigEndian(buffered[3..]);
        if (outer is not (ContentType.ChangeCipherSpec or ContentType.Alert or ContentType.Handshake or ContentType.ApplicationData))
        {
            throw new TlsException(AlertDescription.UnexpectedMessage, $"record of unknown content type {(byte)outer}");
        }

        if (version >> 8 != 3)
        {
            throw new TlsException(AlertDescription.ProtocolVersion, $"record with version 0x{version:X4} is not TLS");
        }

        // TLS 1.3 protects only records that say application_data; in TLS 1.2 every record after the
        // ChangeCipherSpec is protected, whatever its type.
        bool willDecrypt = _read is not null && (!_read.HidesContentType || outer == ContentType.ApplicationData);
        int limit = willDecrypt ? _read!.MaxCiphertextLength : RecordConstants.MaxPlaintextLength;
        if (length > limit)
        {
            throw new TlsException(AlertDescription.RecordOverflow, $"record of {length} bytes exceeds the limit of {limit}");
        }

        if (buffered.Length < RecordConstants.HeaderLength + length)
        {
            return ReadOutcome.NeedMore;
        }

        if (!willDecrypt)
        {
            if (outer == ContentType.ApplicationData && EarlyDataSkipBudget > 0)
            {
                return Skip(length);
            }

            _observer?.OnRecord(TrafficDirection.Received, new TlsRecordInfo(outer, outer, version, length, length, false));
            _lastRecordInSink = false;
            record = new ReceivedRecord(outer, outer, version, false, RecordConstants.HeaderLength, length);
            return ReadOutcome.Record;
        }

        if (_read!.SequenceNumber == ulong.MaxValue)
        {
            throw new TlsException(AlertDescription.InternalError, "read sequence number exhausted without a key update");
        }

        var header = buffered[..RecordConstants.HeaderLength];
        var payload = buffered.Slice(RecordConstants.HeaderLength, length);
        ContentType type;
        int contentLength, contentOffset = 0;
        bool toSink = _read.CanOpenTo && PlaintextSink is not null;
        try
        {
            // AEAD records open straight into the plaintext queue: no copy afterwards, and the input keeps only ciphertext.
            (type, contentLength) = toSink
                ? _read.OpenTo(header, payload, MaxReadPlaintext, PlaintextSink!.GetAppendSpan(payload.Length))
                : _read.Open(header, payload, MaxReadPlaintext, out contentOffset);
        }
        catch (TlsException ex) when (ex.Alert == AlertDescription.BadRecordMac && EarlyDataSkipBudget > 0)
        {
            return Skip(length);
        }

        EarlyDataSkipBudget = 0;
        HasReceivedProtectedRecord = true;
        _observer?.OnRecord(TrafficDirection.Received, new TlsRecordInfo(outer, type, version, length, contentLength, true));
        _lastRecordInSink = toSink;
        record = toSink
            ? new ReceivedRecord(type, outer, version, true, 0, contentLength, InPlaintextSink: true)
            : new ReceivedRecord(type, outer, version, true, RecordConstants.HeaderLength + contentOffset, contentLength);
        return ReadOutcome.Record;
    }

    /// <summary>The content of the record last returned by <see cref="TryReadRecord"/>.</summary>
    public Span<byte> ContentOf(in ReceivedRecord record) => record.InPlaintextSink
        ? PlaintextSink!.Tail(record.ContentLength)
        : _input.WritableSpan.Slice(record.ContentOffset, record.ContentLength);

    /// <summary>Drops the record last returned by <see cref="TryReadRecord"/>, wiping its plaintext (which a record opened into the sink never left there).</summary>
    public void ConsumeRecord()
    {
        var span = _input.WritableSpan;
        int length = BinaryPrimitives.ReadUInt16BigEndian(span[3..]);
        if (!_lastRecordInSink)
        {
            span[..(RecordConstants.HeaderLength + length)].Clear();
        }

        _lastRecordInSink = false;
        _input.Consume(RecordConstants.HeaderLength + length);
    }

    /// <summary>Writes <paramref name="data"/> as one or more records of <paramref name="type"/>, protected when write keys are set.</summary>
    public void Write(ContentType type, ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            WriteFragment(type, data);
            return;
        }

        int max = Math.Min(MaxWriteFragment, RecordConstants.MaxPlaintextLength);
        while (!data.IsEmpty)
        {
            int n = Math.Min(max, data.Length);
            WriteFragment(type, data[..n]);
            data = data[n..];
        }
    }

    /// <summary>Writes a ChangeCipherSpec record in the clear (middlebox compatibility, RFC 8446 §D.4).</summary>
    public void WriteChangeCipherSpec()
    {
        var span = _output.GetAppendSpan(RecordConstants.HeaderLength + 1);
        span[0] = (byte)ContentType.ChangeCipherSpec;
        ushort version = PlaintextRecordVersion;
        BinaryPrimitives.WriteUInt16BigEndian(span[1..], version);
        BinaryPrimitives.WriteUInt16BigEndian(span[3..], 1);
        span[5] = 1;
        _output.Advance(RecordConstants.HeaderLength + 1);
        _observer?.OnRecord(TrafficDirection.Sent, new TlsRecordInfo(ContentType.ChangeCipherSpec, ContentType.ChangeCipherSpec, version, 1, 1, false));
    }

    public void Dispose()
    {
        _read?.Dispose();
        _write?.Dispose();
        _input.Dispose();
        _output.Dispose();
    }

    private void WriteFragment(ContentType type, ReadOnlySpan<byte> fragment)
    {
        if (_write is null)
        {
            var span = _output.GetAppendSpan(RecordConstants.HeaderLength + fragment.Length);
            span[0] = (byte)type;
            BinaryPrimitives.WriteUInt16BigEndian(span[1..], PlaintextRecordVersion);
            BinaryPrimitives.WriteUInt16BigEndian(span[3..], (ushort)fragment.Length);
            fragment.CopyTo(span[RecordConstants.HeaderLength..]);
            _output.Advance(RecordConstants.HeaderLength + fragment.Length);
            _observer?.OnRecord(TrafficDirection.Sent, new TlsRecordInfo(type, type, PlaintextRecordVersion, fragment.Length, fragment.Length, false));
            return;
        }

        int padding = 0;
        if (PaddingBlockSize > 0 && _write.HidesContentType)
        {
            int inner = fragment.Length + 1;
            int target = Math.Min((inner + PaddingBlockSize - 1) / PaddingBlockSize * PaddingBlockSize, MaxWriteFragment + 1);
            padding = Math.Max(0, target - inner);
        }

        int size = _write.Overhead + fragment.Length + padding;
        var dest = _output.GetAppendSpan(size);
        int written = _write.Seal(type, fragment, padding, dest);
        var outerType = _write.HidesContentType ? ContentType.ApplicationData : type;
        _observer?.OnRecord(TrafficDirection.Sent, new TlsRecordInfo(outerType, type, BinaryPrimitives.ReadUInt16BigEndian(dest[1..]), written - RecordConstants.HeaderLength, fragment.Length, true));
        _output.Advance(written);
    }
}
