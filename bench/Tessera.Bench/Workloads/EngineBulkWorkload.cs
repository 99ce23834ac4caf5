using System.Diagnostics;
using Tessera.Bench.Stacks;

namespace Tessera.Bench.Workloads;

/// <summary>
/// Tessera's record path alone: an established client and server <see cref="TlsConnection"/> in memory on one thread;
/// per window the client protects <see cref="BenchSettings.BulkBytes"/> in writes of a fixed size and the server
/// opens them (output handed over through the public sans-IO calls, as a transport would). One thread does both
/// ends, so the figure compares with sealing and opening in series, not with the slower of the two.
/// </summary>
public sealed class EngineBulkWorkload : WindowedRun
{
    private readonly TlsClientOptions _clientOptions;
    private readonly TlsServerOptions _serverOptions;
    private readonly long _bytes;
    private readonly byte[] _payload;
    private readonly byte[] _sink = new byte[64 * 1024];
    private readonly double _serialBound;
    private readonly List<double> _rates = [];
    private TlsConnection? _client;
    private TlsConnection? _server;

    /// <summary>Prepares the engines for <paramref name="scenario"/>; <paramref name="serialBound"/> is the primitives' MB/s for sealing then opening.</summary>
    public EngineBulkWorkload(Scenario scenario, BenchCredentials credentials, int writeSize, double serialBound, BenchSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        (_clientOptions, _serverOptions) = TesseraStackFactory.Options(scenario, credentials);
        _bytes = settings.BulkBytes;
        _payload = new byte[writeSize];
        Random.Shared.NextBytes(_payload);
        _serialBound = serialBound;
    }

    /// <inheritdoc />
    public override string Stack => "Tessera engine";

    /// <inheritdoc />
    public override string? Note => $"sans-IO engines on one thread, no transport; the primitives sealing then opening in series give {BenchReport.Format(_serialBound)} MB/s"
        + (_rates.Count > 0 ? $", so the engine runs at {Measurement.FromWindows("", "", "", "", true, _rates).Median / _serialBound:P0} of that" : "");

    /// <inheritdoc />
    public override Task WarmUpAsync(CancellationToken cancellationToken)
    {
        _client = TlsConnection.CreateClient(_clientOptions);
        _server = TlsConnection.CreateServer(_serverOptions);
        _client.Start();
        for (int round = 0; round < 32 && !(_client.IsHandshakeComplete && _server.IsHandshakeComplete && _server.PendingOutputLength == 0); round++)
        {
            EnginePump.Move(_client, _server, _sink);
            EnginePump.Move(_server, _client, _sink);
        }

        if (!_client.IsHandshakeComplete || !_server.IsHandshakeComplete)
        {
            throw new InvalidOperationException("the in-memory handshake did not complete");
        }

        Transfer(Math.Max(_payload.Length, _bytes / 16));
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    protected override Task<(double Rate, double Units)> RunWindowCoreAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        Transfer(_bytes);
        double rate = _bytes / 1e6 / clock.Elapsed.TotalSeconds;
        _rates.Add(rate);
        return Task.FromResult((rate, (double)_bytes / (1 << 20)));
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        _client?.Dispose();
        _server?.Dispose();
        (_serverOptions.TicketKeys as IDisposable)?.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private void Transfer(long total)
    {
        var client = _client!;
        var server = _server!;
        long received = 0;
        for (long sent = 0; sent < total; sent += _payload.Length)
        {
            client.WriteApplicationData(_payload.AsSpan(0, (int)Math.Min(_payload.Length, total - sent)));
            var records = client.PeekOutput();
            server.ReceiveBytes(records);
            client.ConsumeOutput(records.Length);
            while (server.AvailableApplicationData > 0)
            {
                received += server.ReadApplicationData(_sink);
            }
        }

        if (received != total)
        {
            throw new InvalidOperationException($"the server read {received} bytes of {total}");
        }
    }
}
