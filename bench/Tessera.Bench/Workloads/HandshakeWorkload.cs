using System.Diagnostics;
using Tessera.Bench.Stacks;
using Tessera.Bench.Transports;

namespace Tessera.Bench.Workloads;

/// <summary>
/// Sequential handshakes over loopback TCP, client and server in this process: connect, both handshakes (the client
/// validating the chain), one byte from server to client (so TLS 1.3 tickets are read), close. Handshakes per second
/// in each window and managed bytes allocated per handshake, both ends and the sockets included.
/// </summary>
public sealed class HandshakeWorkload : WindowedRun
{
    private static readonly byte[] OneByte = [0x2A];
    private readonly ITlsStack _stack;
    private readonly LoopbackTcp _tcp = new();
    private readonly Scenario _scenario;
    private readonly TimeSpan _window;
    private readonly byte[] _buffer = new byte[1];
    private long _handshakes, _resumed, _unknown, _serverBytes, _firstServerBytes;

    /// <summary>Prepares <paramref name="factory"/>'s stack for <paramref name="scenario"/>.</summary>
    public HandshakeWorkload(ITlsStackFactory factory, Scenario scenario, BenchCredentials credentials, BenchSettings settings)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(settings);
        Stack = factory.Name;
        _scenario = scenario;
        _window = settings.Window;
        _stack = factory.Create(scenario, credentials);
    }

    /// <inheritdoc />
    public override string Stack { get; }

    /// <inheritdoc />
    public override string? Note
    {
        get
        {
            double mean = (double)_serverBytes / Math.Max(1, _handshakes);
            if (_scenario.Resumption == Resumption.None)
            {
                return $"server sent {mean:0} bytes per handshake";
            }

            string against = $"server sent {mean:0} bytes per handshake vs {_firstServerBytes} for the first (full) one";
            return _unknown > 0
                ? $"{against}: {(mean < 0.6 * _firstServerBytes ? "resumed" : "NOT resumed")}, judging by size"
                : $"{_resumed} of {_handshakes} resumed; {against}";
        }
    }

    /// <inheritdoc />
    public override async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        _firstServerBytes = (await OnceAsync(cancellationToken).ConfigureAwait(false)).ServerBytes;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < _window / 2 || clock.Elapsed < TimeSpan.FromMilliseconds(50))
        {
            await OnceAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    protected override async Task<(double Rate, double Units)> RunWindowCoreAsync(CancellationToken cancellationToken)
    {
        int n = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < _window)
        {
            var (resumed, serverBytes) = await OnceAsync(cancellationToken).ConfigureAwait(false);
            n++;
            _serverBytes += serverBytes;
            if (resumed is null)
            {
                _unknown++;
            }
            else if (resumed.Value)
            {
                _resumed++;
            }
        }

        _handshakes += n;
        return (n / clock.Elapsed.TotalSeconds, n);
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        _stack.Dispose();
        _tcp.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private async Task<(bool? Resumed, long ServerBytes)> OnceAsync(CancellationToken cancellationToken)
    {
        var (client, server) = await _tcp.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var counted = new CountingStream(server);
        await using var pair = await _stack.ConnectAsync(client, counted, cancellationToken).ConfigureAwait(false);
        await pair.Server.WriteAsync(OneByte, cancellationToken).ConfigureAwait(false);
        await pair.Server.FlushAsync(cancellationToken).ConfigureAwait(false);
        int read = await pair.Client.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
        if (read != 1 || _buffer[0] != OneByte[0])
        {
            throw new InvalidOperationException("the byte sent after the handshake did not arrive");
        }

        return (pair.Resumed, counted.BytesWritten);
    }
}
