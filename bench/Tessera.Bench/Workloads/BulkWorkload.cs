using System.Diagnostics;
using Tessera.Bench.Stacks;
using Tessera.Bench.Transports;

namespace Tessera.Bench.Workloads;

/// <summary>
/// One connection over loopback TCP; per window the client sends <see cref="BenchSettings.BulkBytes"/> to the server in
/// application writes of a fixed size while the server reads into a 64 KiB buffer. MB/s (10^6 bytes) of plaintext,
/// and managed bytes allocated per MiB, both ends included.
/// </summary>
public sealed class BulkWorkload : WindowedRun
{
    private readonly ITlsStackFactory _factory;
    private readonly Scenario _scenario;
    private readonly BenchCredentials _credentials;
    private readonly long _bytes;
    private readonly byte[] _payload;
    private readonly byte[] _sink = new byte[64 * 1024];
    private ITlsStack? _stack;
    private LoopbackTcp? _tcp;
    private TlsPair? _pair;

    /// <summary>Prepares a run of <paramref name="factory"/>'s stack with writes of <paramref name="writeSize"/> bytes.</summary>
    public BulkWorkload(ITlsStackFactory factory, Scenario scenario, BenchCredentials credentials, int writeSize, BenchSettings settings)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(settings);
        _factory = factory;
        _scenario = scenario;
        _credentials = credentials;
        _bytes = settings.BulkBytes;
        _payload = new byte[writeSize];
        Random.Shared.NextBytes(_payload);
    }

    /// <inheritdoc />
    public override string Stack => _factory.Name;

    /// <inheritdoc />
    public override async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        _stack = _factory.Create(_scenario, _credentials);
        _tcp = new LoopbackTcp();
        var (client, server) = await _tcp.ConnectAsync(cancellationToken).ConfigureAwait(false);
        _pair = await _stack.ConnectAsync(client, server, cancellationToken).ConfigureAwait(false);
        await TransferAsync(Math.Max(_payload.Length, _bytes / 16), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override async Task<(double Rate, double Units)> RunWindowCoreAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        await TransferAsync(_bytes, cancellationToken).ConfigureAwait(false);
        return (_bytes / 1e6 / clock.Elapsed.TotalSeconds, (double)_bytes / (1 << 20));
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        if (_pair is not null)
        {
            await _pair.DisposeAsync().ConfigureAwait(false);
        }

        _stack?.Dispose();
        _tcp?.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private async Task TransferAsync(long total, CancellationToken cancellationToken)
    {
        var pair = _pair!;
        var send = Task.Run(async () =>
        {
            for (long sent = 0; sent < total; sent += _payload.Length)
            {
                int n = (int)Math.Min(_payload.Length, total - sent);
                await pair.Client.WriteAsync(_payload.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
            }

            await pair.Client.FlushAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
        long received = 0;
        while (received < total)
        {
            int n = await pair.Server.ReadAsync(_sink, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new IOException("the connection ended in the middle of the transfer");
            }

            received += n;
        }

        await send.ConfigureAwait(false);
    }
}
