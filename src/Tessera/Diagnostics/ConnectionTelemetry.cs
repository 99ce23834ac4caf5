using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Tessera.Diagnostics;

/// <summary>
/// One connection's part in the metrics, the handshake span and the log: started when the first flight is made or
/// read, finished once (completed, failed or abandoned). Cheap when nobody listens: the instruments check for
/// listeners and the span is only created when an <see cref="ActivityListener"/> samples it. The outcome may be
/// reported from the thread driving the handshake while another disposes the connection: the outcome is claimed once,
/// the span stopped once, and the active-connection count goes up only when it was being listened to and down once.
/// </summary>
internal sealed partial class ConnectionTelemetry(bool isClient, ILogger? logger)
{
    private readonly string _role = isClient ? "client" : "server";
    private long _startTimestamp;
    private Activity? _activity;
    private int _handshakeOutcomeRecorded;
    private string? _activeVersion;
    private int _disposed;

    public void HandshakeStarted(string? serverName)
    {
        _startTimestamp = Stopwatch.GetTimestamp();

        // The span is not made current: the engine is sans-IO and must not change the caller's ambient activity.
        if (TlsInstruments.Source.HasListeners())
        {
            var ambient = Activity.Current;
            _activity = TlsInstruments.Source.StartActivity(TlsTelemetry.HandshakeActivityName, isClient ? ActivityKind.Client : ActivityKind.Server);
            Activity.Current = ambient;
        }

        if (_activity is not null)
        {
            _activity.SetTag("tls.role", _role);
            if (isClient && serverName is not null)
            {
                _activity.SetTag("tls.client.server_name", serverName);
            }
        }

        if (logger is not null)
        {
            LogHandshakeStarted(logger, _role, serverName ?? "(none)");
        }
    }

    public void HandshakeCompleted(TlsConnection connection)
    {
        if (Interlocked.Exchange(ref _handshakeOutcomeRecorded, 1) != 0)
        {
            return;
        }

        var elapsed = Stopwatch.GetElapsedTime(_startTimestamp);
        var version = VersionTag(connection.NegotiatedProtocol);
        var suite = connection.NegotiatedCipherSuite is CipherSuite s ? CipherSuites.NameOf((ushort)s) : "";
        var group = connection.NegotiatedGroup is NamedGroup g ? NamedGroups.Find(g)?.Name ?? $"0x{(ushort)g:X4}" : "";
        var resumed = connection.IsResumed;

        if (TlsInstruments.Handshakes.Enabled)
        {
            TagList tags = default;
            tags.Add("tls.role", _role);
            tags.Add("tls.protocol.version", version);
            tags.Add("tls.cipher", suite);
            tags.Add("tls.curve", group);
            tags.Add("tls.resumed", resumed);
            TlsInstruments.Handshakes.Add(1, tags);
        }

        if (TlsInstruments.HandshakeDuration.Enabled)
        {
            TagList tags = default;
            tags.Add("tls.role", _role);
            tags.Add("tls.protocol.version", version);
            tags.Add("tls.resumed", resumed);
            TlsInstruments.HandshakeDuration.Record(elapsed.TotalSeconds, tags);
        }

        // Counted up only when someone listens, so that a listener starting later never sees the count go below zero.
        if (TlsInstruments.ActiveConnections.Enabled)
        {
            TlsInstruments.ActiveConnections.Add(1, new("tls.role", _role), new("tls.protocol.version", version));
            Interlocked.Exchange(ref _activeVersion, version);
            if (Volatile.Read(ref _disposed) != 0)
            {
                EndActive();   // disposed meanwhile, before it could see the version
            }
        }

        if (Interlocked.Exchange(ref _activity, null) is { } activity)
        {
            activity.SetTag("tls.protocol.version", version);
            activity.SetTag("tls.cipher", suite);
            activity.SetTag("tls.curve", group);
            activity.SetTag("tls.resumed", resumed);
            activity.SetTag("tls.established", true);
            if (connection.NegotiatedApplicationProtocol is string alpn)
            {
                activity.SetTag("tls.next_protocol", alpn);
            }

            if (!isClient && connection.ServerName is string sni)
            {
                activity.SetTag("tls.server.server_name", sni);
            }

            Stop(activity);
        }

        if (logger is not null)
        {
            LogHandshakeCompleted(logger, _role, connection.NegotiatedProtocol.ToDisplayName(), suite, group.Length == 0 ? "(none)" : group,
                resumed, connection.NegotiatedApplicationProtocol ?? "(none)", elapsed.TotalMilliseconds);
        }
    }

    /// <summary>The connection failed: a handshake failure, or the end of an established connection.</summary>
    public void Failed(TlsException error)
    {
        EndActive();
        if (_startTimestamp == 0 || Interlocked.Exchange(ref _handshakeOutcomeRecorded, 1) != 0)
        {
            if (logger is not null)
            {
                LogConnectionFailed(logger, _role, error.Alert.ToRfcName(), Source(error), error.Reason);
            }

            return;
        }

        RecordHandshakeFailure(error.Alert.ToRfcName(), Source(error));
        if (logger is not null)
        {
            LogHandshakeFailed(logger, _role, error.Alert.ToRfcName(), Source(error), error.Reason);
        }
    }

    /// <summary>The connection is disposed: a handshake still running was abandoned (the transport closed, a timeout).</summary>
    public void Disposed()
    {
        Interlocked.Exchange(ref _disposed, 1);
        EndActive();
        if (_startTimestamp != 0 && Interlocked.Exchange(ref _handshakeOutcomeRecorded, 1) == 0)
        {
            RecordHandshakeFailure("abandoned", "local");
            if (logger is not null)
            {
                LogHandshakeAbandoned(logger, _role);
            }
        }
    }

    public void Closed(bool sent)
    {
        if (logger is not null)
        {
            LogCloseNotify(logger, _role, sent ? "sent" : "received");
        }
    }

    public void BytesSent(int count)
    {
        if (count > 0 && TlsInstruments.Bytes.Enabled)
        {
            TlsInstruments.Bytes.Add(count, new("tls.role", _role), new("network.io.direction", "transmit"));
        }
    }

    public void BytesReceived(int count)
    {
        if (count > 0 && TlsInstruments.Bytes.Enabled)
        {
            TlsInstruments.Bytes.Add(count, new("tls.role", _role), new("network.io.direction", "receive"));
        }
    }

    /// <summary>Records the failed handshake; the caller has claimed the outcome.</summary>
    private void RecordHandshakeFailure(string errorType, string source)
    {
        var elapsed = Stopwatch.GetElapsedTime(_startTimestamp);
        if (TlsInstruments.HandshakeFailures.Enabled)
        {
            TlsInstruments.HandshakeFailures.Add(1, new("tls.role", _role), new("error.type", errorType), new("tls.alert.source", source));
        }

        if (TlsInstruments.HandshakeDuration.Enabled)
        {
            TlsInstruments.HandshakeDuration.Record(elapsed.TotalSeconds, new("tls.role", _role), new("error.type", errorType));
        }

        if (Interlocked.Exchange(ref _activity, null) is { } activity)
        {
            activity.SetTag("error.type", errorType);
            activity.SetTag("tls.established", false);
            activity.SetStatus(ActivityStatusCode.Error, errorType);
            Stop(activity);
        }
    }

    /// <summary>
    /// Ends the span without touching the caller's ambient activity: <see cref="Activity.Stop"/> makes the span's parent
    /// current, which in sans-IO use (the handshake finishing in another call, flow or thread) is a stale one.
    /// </summary>
    private static void Stop(Activity activity)
    {
        var ambient = Activity.Current;
        activity.Stop();
        if (Activity.Current != ambient)
        {
            Activity.Current = ambient;
        }
    }

    private void EndActive()
    {
        if (Interlocked.Exchange(ref _activeVersion, null) is { } version)
        {
            TlsInstruments.ActiveConnections.Add(-1, new("tls.role", _role), new("tls.protocol.version", version));
        }
    }

    private static string Source(TlsException error) => error.AlertSource == AlertSource.Local ? "local" : "peer";

    /// <summary>OpenTelemetry's tls.protocol.version: "1.3", "1.2", ...</summary>
    private static string VersionTag(TlsProtocolVersion version) => version switch
    {
        TlsProtocolVersion.Tls13 => "1.3",
        TlsProtocolVersion.Tls12 => "1.2",
        TlsProtocolVersion.Tls11 => "1.1",
        TlsProtocolVersion.Tls10 => "1.0",
        _ => "",
    };

    [LoggerMessage(EventId = 1, EventName = "HandshakeStarted", Level = LogLevel.Debug, Message = "TLS {Role} handshake started (server name {ServerName})")]
    private static partial void LogHandshakeStarted(ILogger logger, string role, string serverName);

    [LoggerMessage(EventId = 2, EventName = "HandshakeCompleted", Level = LogLevel.Debug,
        Message = "TLS {Role} handshake completed: {Version}, {CipherSuite}, group {Group}, resumed {Resumed}, ALPN {ApplicationProtocol}, {ElapsedMilliseconds:0.0} ms")]
    private static partial void LogHandshakeCompleted(ILogger logger, string role, string version, string cipherSuite, string group, bool resumed,
        string applicationProtocol, double elapsedMilliseconds);

    // Failures are Debug, as Kestrel logs its own TLS failures: any peer (a scanner, a port probe) can cause them at will,
    // and a server logging at Information must not be made to write a line per attempt.
    [LoggerMessage(EventId = 3, EventName = "HandshakeFailed", Level = LogLevel.Debug, Message = "TLS {Role} handshake failed: {Alert} ({AlertSource}): {Reason}")]
    private static partial void LogHandshakeFailed(ILogger logger, string role, string alert, string alertSource, string reason);

    [LoggerMessage(EventId = 4, EventName = "HandshakeAbandoned", Level = LogLevel.Debug, Message = "TLS {Role} handshake abandoned before it completed (transport closed or timed out)")]
    private static partial void LogHandshakeAbandoned(ILogger logger, string role);

    [LoggerMessage(EventId = 5, EventName = "ConnectionFailed", Level = LogLevel.Debug, Message = "TLS {Role} connection failed: {Alert} ({AlertSource}): {Reason}")]
    private static partial void LogConnectionFailed(ILogger logger, string role, string alert, string alertSource, string reason);

    [LoggerMessage(EventId = 6, EventName = "CloseNotify", Level = LogLevel.Debug, Message = "TLS {Role}: close_notify {Direction}")]
    private static partial void LogCloseNotify(ILogger logger, string role, string direction);
}
