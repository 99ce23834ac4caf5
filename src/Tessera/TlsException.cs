namespace Tessera;

/// <summary>Which side of a connection raised an alert.</summary>
public enum AlertSource
{
    /// <summary>This endpoint detected the problem and sent the alert.</summary>
    Local,
    /// <summary>The peer sent the alert and this endpoint received it.</summary>
    Remote,
}

/// <summary>
/// A TLS failure: carries the alert that was sent (or received) and a reason. The engine throws
/// nothing else for bad peer input. Messages never contain key material.
/// </summary>
public sealed class TlsException : Exception
{
    /// <summary>Creates an exception for an alert this endpoint raises.</summary>
    public TlsException(AlertDescription alert, string reason)
        : this(alert, AlertSource.Local, reason, null)
    {
    }

    /// <summary>Creates an exception for an alert with a given source and an optional inner cause.</summary>
    public TlsException(AlertDescription alert, AlertSource source, string reason, Exception? inner = null)
        : base(Format(alert, source, reason), inner)
    {
        Alert = alert;
        AlertSource = source;
        Reason = reason;
    }

    /// <summary>Creates an exception with a message (alert internal_error).</summary>
    public TlsException() : this(AlertDescription.InternalError, "TLS failure") { }

    /// <summary>Creates an exception with a message (alert internal_error).</summary>
    public TlsException(string message) : this(AlertDescription.InternalError, message) { }

    /// <summary>Creates an exception with a message and inner exception (alert internal_error).</summary>
    public TlsException(string message, Exception innerException)
        : this(AlertDescription.InternalError, AlertSource.Local, message, innerException) { }

    /// <summary>The alert that ended (or would end) the connection.</summary>
    public AlertDescription Alert { get; }

    /// <summary>
    /// With ech_required raised by this client: the ECHConfigList the server sent as retry_configs, authenticated by
    /// a handshake for the configuration's public name. Connect again with it as
    /// <see cref="TlsClientOptions.EchConfigList"/>. Null when the server sent none (ECH is then off at this server).
    /// </summary>
    public byte[]? EchRetryConfigs { get; init; }

    /// <summary>Whether this endpoint sent the alert or received it from the peer.</summary>
    public AlertSource AlertSource { get; }

    /// <summary>The human-readable cause, without the alert name.</summary>
    public string Reason { get; }

    private static string Format(AlertDescription alert, AlertSource source, string reason) =>
        source == AlertSource.Local
            ? $"{alert.ToRfcName()} sent: {reason}"
            : $"{alert.ToRfcName()} received from peer: {reason}";
}
