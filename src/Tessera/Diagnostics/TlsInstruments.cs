using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Tessera.Diagnostics;

/// <summary>The process-wide meter and activity source, created once.</summary>
internal static class TlsInstruments
{
    private static readonly string? Version = typeof(TlsInstruments).Assembly.GetName().Version?.ToString();

    public static readonly Meter Meter = new(TlsTelemetry.Name, Version);

    public static readonly ActivitySource Source = new(TlsTelemetry.Name, Version);

    public static readonly Counter<long> Handshakes =
        Meter.CreateCounter<long>(TlsTelemetry.HandshakesInstrument, "{handshake}", "TLS handshakes completed.");

    public static readonly Counter<long> HandshakeFailures =
        Meter.CreateCounter<long>(TlsTelemetry.HandshakeFailuresInstrument, "{handshake}", "TLS handshakes that failed.");

    public static readonly Histogram<double> HandshakeDuration = Meter.CreateHistogram(
        TlsTelemetry.HandshakeDurationInstrument, "s", "Duration of TLS handshakes.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });

    public static readonly UpDownCounter<long> ActiveConnections =
        Meter.CreateUpDownCounter<long>(TlsTelemetry.ActiveConnectionsInstrument, "{connection}", "Established TLS connections.");

    public static readonly Counter<long> Bytes =
        Meter.CreateCounter<long>(TlsTelemetry.BytesInstrument, "By", "Bytes of TLS records sent and received.");
}
