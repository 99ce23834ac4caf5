using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Tessera.Diagnostics;
using Tessera.Sessions;
using Tessera.Tests.Engine;

namespace Tessera.Tests.Diagnostics;

/// <summary>The meter and the activity source are process-wide: these tests run alone, so only their connections count.</summary>
[CollectionDefinition(nameof(TelemetryCollection), DisableParallelization = true)]
public sealed class TelemetryCollection;

[Collection(nameof(TelemetryCollection))]
public sealed class TelemetryTests
{
    [Fact]
    public void CompletedHandshakes_AreCountedByRoleVersionSuiteGroupAndResumption()
    {
        using var recorder = new MeasurementRecorder();
        var server = TestCerts.ServerOptions();
        var cache = new TlsClientSessionCache();
        long clientSent;
        long serverSent;
        using (var first = new Loopback(TestCerts.ClientOptions(o => o.SessionCache = cache), server))
        {
            first.Handshake();
            Loopback.Send(first.Client, first.Server, "hello"u8.ToArray());
            Assert.Equal(2, recorder.Sum(TlsTelemetry.ActiveConnectionsInstrument));
            clientSent = first.ClientToServer.Sum(b => (long)b.Length) + 0;
            serverSent = first.ServerToClient.Sum(b => (long)b.Length);
        }

        Assert.Equal(0, recorder.Sum(TlsTelemetry.ActiveConnectionsInstrument));
        using (var second = new Loopback(TestCerts.ClientOptions(o => o.SessionCache = cache), server))
        {
            second.Handshake();
            Assert.True(second.Client.IsResumed);
        }

        var handshakes = recorder.Of(TlsTelemetry.HandshakesInstrument);
        Assert.Equal(4, handshakes.Count);
        foreach (var role in new[] { "client", "server" })
        {
            foreach (var resumed in new[] { false, true })
            {
                var m = Assert.Single(handshakes, h => (string)h.Tags["tls.role"]! == role && (bool)h.Tags["tls.resumed"]! == resumed);
                Assert.Equal("1.3", m.Tags["tls.protocol.version"]);
                Assert.Equal("TLS_AES_128_GCM_SHA256", m.Tags["tls.cipher"]);
                Assert.Equal("X25519MLKEM768", m.Tags["tls.curve"]);
                Assert.Equal(1, m.Value);
            }
        }

        var durations = recorder.Of(TlsTelemetry.HandshakeDurationInstrument);
        Assert.Equal(4, durations.Count);
        Assert.All(durations, d => Assert.InRange(d.Value, 0, 60));
        Assert.Empty(recorder.Of(TlsTelemetry.HandshakeFailuresInstrument));

        // Bytes on the wire: what the client sent in the first connection is at least what the loopback carried
        // (the Send above is included; the close in Dispose is not delivered).
        Assert.True(recorder.Sum(TlsTelemetry.BytesInstrument, ("tls.role", "client"), ("network.io.direction", "transmit")) >= clientSent);
        Assert.Equal(
            recorder.Sum(TlsTelemetry.BytesInstrument, ("tls.role", "client"), ("network.io.direction", "receive")),
            recorder.Sum(TlsTelemetry.BytesInstrument, ("tls.role", "server"), ("network.io.direction", "transmit")));
        Assert.True(serverSent > 0);
    }

    [Fact]
    public void Tls12Handshake_IsCountedAsTls12()
    {
        using var recorder = new MeasurementRecorder();
        using (var loop = new Loopback(TestCerts.ClientOptions(o => o.MaxProtocolVersion = TlsProtocolVersion.Tls12), TestCerts.ServerOptions()))
        {
            loop.Handshake();
        }

        var handshakes = recorder.Of(TlsTelemetry.HandshakesInstrument);
        Assert.Equal(2, handshakes.Count);
        Assert.All(handshakes, h => Assert.Equal("1.2", h.Tags["tls.protocol.version"]));
        Assert.Equal(0, recorder.Sum(TlsTelemetry.ActiveConnectionsInstrument));
    }

    [Fact]
    public void FailedHandshake_IsCountedByAlertOnBothSides()
    {
        using var recorder = new MeasurementRecorder();
        using (var loop = new Loopback(TestCerts.ClientOptions(o => o.ServerName = "wrong.test"), TestCerts.ServerOptions()))
        {
            var error = Assert.Throws<TlsException>(() => loop.Pump());
            Assert.Equal(AlertDescription.BadCertificate, error.Alert);
        }

        Assert.Empty(recorder.Of(TlsTelemetry.HandshakesInstrument));
        var failures = recorder.Of(TlsTelemetry.HandshakeFailuresInstrument);
        Assert.Equal(2, failures.Count);
        var client = Assert.Single(failures, f => (string)f.Tags["tls.role"]! == "client");
        Assert.Equal("bad_certificate", client.Tags["error.type"]);
        Assert.Equal("local", client.Tags["tls.alert.source"]);
        var server = Assert.Single(failures, f => (string)f.Tags["tls.role"]! == "server");
        Assert.Equal("bad_certificate", server.Tags["error.type"]);
        Assert.Equal("peer", server.Tags["tls.alert.source"]);
        var durations = recorder.Of(TlsTelemetry.HandshakeDurationInstrument);
        Assert.Equal(2, durations.Count);
        Assert.All(durations, d => Assert.Equal("bad_certificate", d.Tags["error.type"]));
        Assert.Equal(0, recorder.Sum(TlsTelemetry.ActiveConnectionsInstrument));
    }

    [Fact]
    public void AbandonedHandshake_IsCountedWhenDisposed()
    {
        using var recorder = new MeasurementRecorder();
        var client = TlsConnection.CreateClient(TestCerts.ClientOptions());
        client.Start();
        Assert.True(client.PendingOutputLength > 0);
        client.Dispose();
        client.Dispose();

        var failure = Assert.Single(recorder.Of(TlsTelemetry.HandshakeFailuresInstrument));
        Assert.Equal("abandoned", failure.Tags["error.type"]);

        // A connection that never started is no handshake at all.
        TlsConnection.CreateServer(TestCerts.ServerOptions()).Dispose();
        Assert.Single(recorder.Of(TlsTelemetry.HandshakeFailuresInstrument));
    }

    [Fact]
    public void HandshakeSpans_CarryTheOutcome_AndLeaveTheAmbientActivityAlone()
    {
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == TlsTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { lock (spans) { spans.Add(a); } },
        };
        ActivitySource.AddActivityListener(listener);
        using var parentSource = new ActivitySource("Tessera.Tests.Parent");
        using var parentListener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == parentSource.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(parentListener);

        using var parent = parentSource.StartActivity("request")!;
        using (var loop = new Loopback(TestCerts.ClientOptions(o => o.ApplicationProtocols = ["h2"]), TestCerts.ServerOptions(configure: o => o.ApplicationProtocols = ["h2"])))
        {
            loop.Handshake();
            Assert.Same(parent, Activity.Current);
        }

        using (var loop = new Loopback(TestCerts.ClientOptions(o => o.ServerName = "wrong.test"), TestCerts.ServerOptions()))
        {
            Assert.Throws<TlsException>(() => loop.Pump());
            Assert.Same(parent, Activity.Current);
        }

        Assert.Equal(4, spans.Count);
        Assert.All(spans, s => Assert.Equal(TlsTelemetry.HandshakeActivityName, s.OperationName));
        Assert.All(spans, s => Assert.Equal(parent.TraceId, s.TraceId));
        var ok = spans.Where(s => s.Status != ActivityStatusCode.Error).ToList();
        Assert.Equal(2, ok.Count);
        Assert.All(ok, s =>
        {
            Assert.Equal("1.3", s.GetTagItem("tls.protocol.version"));
            Assert.Equal("h2", s.GetTagItem("tls.next_protocol"));
            Assert.Equal(true, s.GetTagItem("tls.established"));
        });
        Assert.Equal("localhost", ok.Single(s => s.Kind == ActivityKind.Client).GetTagItem("tls.client.server_name"));
        Assert.Equal("localhost", ok.Single(s => s.Kind == ActivityKind.Server).GetTagItem("tls.server.server_name"));
        var failed = spans.Where(s => s.Status == ActivityStatusCode.Error).ToList();
        Assert.Equal(2, failed.Count);
        Assert.All(failed, s => Assert.Equal("bad_certificate", s.GetTagItem("error.type")));
    }

    [Fact]
    public void ActiveConnections_NeverGoBelowZero_WhenTheListenerStartsAfterTheyOpened()
    {
        var loop = new Loopback(TestCerts.ClientOptions(), TestCerts.ServerOptions());
        loop.Handshake();
        using var recorder = new MeasurementRecorder();
        loop.Dispose();
        Assert.Equal(0, recorder.Sum(TlsTelemetry.ActiveConnectionsInstrument));
        Assert.Empty(recorder.Of(TlsTelemetry.ActiveConnectionsInstrument));
    }

    [Fact]
    public void AHandshakeFinishingUnderAnotherAmbientActivity_LeavesThatOneCurrent()
    {
        var spans = 0;
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == TlsTelemetry.Name || s.Name == "Tessera.Tests.Ambient",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => Interlocked.Increment(ref spans),
        };
        ActivitySource.AddActivityListener(listener);
        using var source = new ActivitySource("Tessera.Tests.Ambient");
        var previous = Activity.Current;
        try
        {
            // Sans-IO: the handshake starts under one request's activity and finishes under another's.
            var first = source.StartActivity("first")!;
            using var loop = new Loopback(TestCerts.ClientOptions(), TestCerts.ServerOptions());
            loop.Client.Start();
            var hello = new byte[loop.Client.PendingOutputLength];
            loop.Client.ReadOutput(hello);
            loop.Server.ReceiveBytes(hello);

            Activity.Current = null;
            var second = source.StartActivity("second")!;
            Assert.Same(second, Activity.Current);
            loop.Handshake();
            Assert.Same(second, Activity.Current);
            Assert.Equal(2, spans);   // both handshake spans ended
            second.Dispose();
            first.Dispose();
        }
        finally
        {
            Activity.Current = previous;
        }
    }

    [Fact]
    public async Task DisposingDuringTheHandshake_RecordsOneOutcomePerConnection_AndLeavesNoActiveConnection()
    {
        using var recorder = new MeasurementRecorder();
        const int Connections = 40;
        for (var i = 0; i < Connections; i++)
        {
            using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            listener.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
            listener.Listen(1);
            var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            var accept = listener.AcceptAsync();
            await socket.ConnectAsync(listener.LocalEndPoint!);
            var client = new TlsStream(new System.Net.Sockets.NetworkStream(socket, ownsSocket: true));
            var server = new TlsStream(new System.Net.Sockets.NetworkStream(await accept, ownsSocket: true));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            var handshakes = Task.WhenAll(
                client.AuthenticateAsClientAsync(TestCerts.ClientOptions(), timeout.Token),
                server.AuthenticateAsServerAsync(TestCerts.ServerOptions(), timeout.Token));

            // Dispose the client at a different moment each time: before, during or after its handshake completes.
            var spin = Stopwatch.StartNew();
            while (spin.Elapsed < TimeSpan.FromMilliseconds(i % 8) && !handshakes.IsCompleted)
            {
                Thread.SpinWait(100);
            }

            await client.DisposeAsync();
            try
            {
                await handshakes;
            }
            catch (Exception ex) when (ex is TlsException or IOException or ObjectDisposedException or OperationCanceledException)
            {
            }

            await server.DisposeAsync();
        }

        Assert.Equal(0, recorder.Sum(TlsTelemetry.ActiveConnectionsInstrument));
        foreach (var role in new[] { "client", "server" })
        {
            var completed = recorder.Of(TlsTelemetry.HandshakesInstrument).Count(m => (string)m.Tags["tls.role"]! == role);
            var failed = recorder.Of(TlsTelemetry.HandshakeFailuresInstrument).Count(m => (string)m.Tags["tls.role"]! == role);
            Assert.Equal(Connections, completed + failed);
            Assert.Equal(Connections, recorder.Of(TlsTelemetry.HandshakeDurationInstrument).Count(m => (string)m.Tags["tls.role"]! == role));
        }
    }

    [Fact]
    public void Logger_GetsHandshakeEvents_AndNoSecret()
    {
        var clientLog = new ListLogger();
        var serverLog = new ListLogger();
        var keyLog = new MemoryKeyLog();
        using (var loop = new Loopback(TestCerts.ClientOptions(o => { o.Logger = clientLog; o.KeyLog = keyLog; }), TestCerts.ServerOptions(configure: o => { o.Logger = serverLog; o.KeyLog = keyLog; })))
        {
            loop.Handshake();
            loop.Client.Close();
            loop.Pump();
        }

        Assert.Equal([1, 2, 6], clientLog.Entries.Select(e => e.Id).ToArray());
        Assert.Equal([1, 2, 6], serverLog.Entries.Select(e => e.Id).ToArray());
        var completed = clientLog.Entries.Single(e => e.Id == 2);
        Assert.Equal(LogLevel.Debug, completed.Level);
        Assert.Contains("TLSv1.3", completed.Message, StringComparison.Ordinal);
        Assert.Contains("TLS_AES_128_GCM_SHA256", completed.Message, StringComparison.Ordinal);

        using (var loop = new Loopback(TestCerts.ClientOptions(o => { o.ServerName = "wrong.test"; o.Logger = clientLog; o.KeyLog = keyLog; }), TestCerts.ServerOptions(configure: o => { o.Logger = serverLog; o.KeyLog = keyLog; })))
        {
            Assert.Throws<TlsException>(() => loop.Pump());
        }

        var failed = clientLog.Entries.Last();
        Assert.Equal(3, failed.Id);
        Assert.Equal(LogLevel.Debug, failed.Level);   // a peer can cause it at will: not at the default level of a host
        Assert.All(clientLog.Entries.Concat(serverLog.Entries), e => Assert.Equal(LogLevel.Debug, e.Level));
        Assert.Contains("bad_certificate", failed.Message, StringComparison.Ordinal);
        Assert.Equal(3, serverLog.Entries.Last().Id);

        // Every secret this run produced, in hex either case, appears in no log line.
        var secrets = keyLog.Lines.Select(l => l.Split(' ')[2]).ToList();
        Assert.NotEmpty(secrets);
        foreach (var entry in clientLog.Entries.Concat(serverLog.Entries))
        {
            Assert.All(secrets, s => Assert.DoesNotContain(s, entry.Message, StringComparison.OrdinalIgnoreCase));
        }
    }

    private sealed record LogEntry(int Id, LogLevel Level, string Message);

    private sealed class ListLogger : ILogger
    {
        public List<LogEntry> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add(new LogEntry(eventId.Id, logLevel, formatter(state, exception)));
    }

    /// <summary>Every measurement of Tessera's instruments while it lives.</summary>
    private sealed class MeasurementRecorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly List<(string Instrument, double Value, Dictionary<string, object?> Tags)> _measurements = [];

        public MeasurementRecorder()
        {
            _listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == TlsTelemetry.Name)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Add(i, v, tags));
            _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Add(i, v, tags));
            _listener.Start();
        }

        public List<(double Value, Dictionary<string, object?> Tags)> Of(string instrument)
        {
            lock (_measurements)
            {
                return _measurements.Where(m => m.Instrument == instrument).Select(m => (m.Value, m.Tags)).ToList();
            }
        }

        public double Sum(string instrument, params (string Key, string Value)[] filter) =>
            Of(instrument).Where(m => filter.All(f => Equals(m.Tags.GetValueOrDefault(f.Key), f.Value))).Sum(m => m.Value);

        public void Dispose() => _listener.Dispose();

        private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var copy = new Dictionary<string, object?>();
            foreach (var tag in tags)
            {
                copy[tag.Key] = tag.Value;
            }

            lock (_measurements)
            {
                _measurements.Add((instrument.Name, value, copy));
            }
        }
    }
}
