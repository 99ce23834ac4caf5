namespace Tessera.Diagnostics;

/// <summary>
/// The names under which Tessera publishes metrics (<see cref="System.Diagnostics.Metrics.Meter"/>) and traces
/// (<see cref="System.Diagnostics.ActivitySource"/>), for OpenTelemetry's <c>AddMeter</c> and <c>AddSource</c>, or a
/// <see cref="System.Diagnostics.Metrics.MeterListener"/>. Nothing is recorded unless something listens.
/// </summary>
/// <remarks>
/// Tags follow OpenTelemetry's TLS attribute names where one exists (<c>tls.protocol.version</c>, <c>tls.cipher</c>,
/// <c>tls.curve</c>, <c>tls.resumed</c>, <c>tls.next_protocol</c>, <c>error.type</c>) plus <c>tls.role</c>
/// (<c>client</c> or <c>server</c>). No tag, span attribute or log message carries key material.
/// </remarks>
public static class TlsTelemetry
{
    /// <summary>The meter's and the activity source's name: "Tessera".</summary>
    public const string Name = "Tessera";

    /// <summary>Counter of completed handshakes (renegotiations not counted), by role, version, suite, group and resumption.</summary>
    public const string HandshakesInstrument = "tessera.tls.handshakes";

    /// <summary>Counter of handshakes that failed, by role, alert (<c>error.type</c>) and who raised it (<c>tls.alert.source</c>).</summary>
    public const string HandshakeFailuresInstrument = "tessera.tls.handshake.failures";

    /// <summary>Histogram of handshake durations in seconds, from the first flight to the last Finished, successful or not.</summary>
    public const string HandshakeDurationInstrument = "tessera.tls.handshake.duration";

    /// <summary>Up-down counter of established connections not yet failed or disposed, by role and version.</summary>
    public const string ActiveConnectionsInstrument = "tessera.tls.active_connections";

    /// <summary>Counter of bytes on the wire (records, headers included), by role and <c>network.io.direction</c>.</summary>
    public const string BytesInstrument = "tessera.tls.io";

    /// <summary>The activity (span) name of a handshake.</summary>
    public const string HandshakeActivityName = "TLS handshake";
}
