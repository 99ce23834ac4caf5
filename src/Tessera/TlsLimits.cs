namespace Tessera;

/// <summary>
/// Bounds on what a peer can make a connection hold or do. Each has a default that no well-behaved peer comes near;
/// a peer that goes over ends the connection with an alert (unexpected_message for floods, as BoringSSL does), so a
/// connection's memory and work stay bounded whatever is sent to it. Shared by the connections of one options object.
/// </summary>
public sealed class TlsLimits
{
    /// <summary>The largest handshake message accepted, in bytes (certificate chains are the large ones). Default 128 KiB.</summary>
    public int MaxHandshakeMessageSize { get; set; } = 128 * 1024;

    private int? _maxHandshakeBytes;

    /// <summary>
    /// Bytes of records other than application data received before the handshake completes (and during a
    /// renegotiation). Default: 512 KiB or four times <see cref="MaxHandshakeMessageSize"/>, whichever is more (a
    /// handshake is a few KiB); once set, at least <see cref="MaxHandshakeMessageSize"/>.
    /// </summary>
    public int MaxHandshakeBytes
    {
        get => _maxHandshakeBytes ?? (int)Math.Min(int.MaxValue, Math.Max(512L * 1024, 4L * MaxHandshakeMessageSize));
        set => _maxHandshakeBytes = value;
    }

    /// <summary>
    /// Records other than application data received before the handshake completes (and during a renegotiation).
    /// Default 4,096: a handshake takes a dozen, and even a 128 KiB chain in records of the smallest
    /// record_size_limit (64 bytes) takes about 2,100.
    /// </summary>
    public int MaxHandshakeRecords { get; set; } = 4096;

    /// <summary>Empty records (application data or handshake) received in a row. Default 32.</summary>
    public int MaxEmptyRecordsInARow { get; set; } = 32;

    /// <summary>TLS 1.3 KeyUpdate messages received without application data between them. Default 32.</summary>
    public int MaxKeyUpdatesWithoutData { get; set; } = 32;

    /// <summary>Warning alerts (TLS 1.2 warnings, user_canceled) received without application data between them. Default 16.</summary>
    public int MaxWarningAlertsWithoutData { get; set; } = 16;

    /// <summary>
    /// Handshake messages after the handshake (NewSessionTicket, CertificateRequest, HelloRequest, KeyUpdate) received
    /// without application data between them. Default 64.
    /// </summary>
    public int MaxPostHandshakeMessagesWithoutData { get; set; } = 64;

    /// <summary>Renegotiations a TLS 1.2 server accepts from a client in any minute, when it allows them at all. Default 3.</summary>
    public int MaxRenegotiationsPerMinute { get; set; } = 3;

    /// <summary>Renegotiation attempts refused (with a no_renegotiation warning) before the connection is ended. Default 8.</summary>
    public int MaxRefusedRenegotiations { get; set; } = 8;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxHandshakeMessageSize, 256, nameof(MaxHandshakeMessageSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxHandshakeBytes, MaxHandshakeMessageSize, nameof(MaxHandshakeBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxHandshakeRecords, 4, nameof(MaxHandshakeRecords));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxEmptyRecordsInARow, nameof(MaxEmptyRecordsInARow));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxKeyUpdatesWithoutData, nameof(MaxKeyUpdatesWithoutData));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxWarningAlertsWithoutData, nameof(MaxWarningAlertsWithoutData));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxPostHandshakeMessagesWithoutData, nameof(MaxPostHandshakeMessagesWithoutData));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxRenegotiationsPerMinute, nameof(MaxRenegotiationsPerMinute));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxRefusedRenegotiations, nameof(MaxRefusedRenegotiations));
    }
}
