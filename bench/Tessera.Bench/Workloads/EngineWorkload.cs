using System.Diagnostics;
using Tessera.Bench.Stacks;

namespace Tessera.Bench.Workloads;

/// <summary>
/// Tessera's engine alone: client and server <see cref="TlsConnection"/>s wired together in memory on one thread, no
/// transport, no tasks. The same handshake as <see cref="HandshakeWorkload"/> (one byte from server to client
/// after it); what is left of the loopback figure is transport and scheduling.
/// </summary>
public sealed class EngineWorkload : WindowedRun
{
    private static readonly byte[] OneByte = [0x2A];
    private readonly TlsClientOptions _client;
    private readonly TlsServerOptions _server;
    private readonly TimeSpan _window;
    private readonly byte[] _buffer = new byte[64 * 1024];

    /// <summary>Prepares the engines for <paramref name="scenario"/>.</summary>
    public EngineWorkload(Scenario scenario, BenchCredentials credentials, BenchSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        (_client, _server) = TesseraStackFactory.Options(scenario, credentials);
        _window = settings.Window;
    }

    /// <inheritdoc />
    public override string Stack => "Tessera engine";

    /// <inheritdoc />
    public override string? Note => "sans-IO engines on one thread, no transport";

    /// <inheritdoc />
    public override Task WarmUpAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        do
        {
            Once();
        }
        while (clock.Elapsed < _window / 2);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    protected override Task<(double Rate, double Units)> RunWindowCoreAsync(CancellationToken cancellationToken)
    {
        int n = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < _window)
        {
            Once();
            n++;
        }

        return Task.FromResult((n / clock.Elapsed.TotalSeconds, (double)n));
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        (_server.TicketKeys as IDisposable)?.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private void Once()
    {
        using var client = TlsConnection.CreateClient(_client);
        using var server = TlsConnection.CreateServer(_server);
        client.Start();
        bool sent = false;
        for (int round = 0; round < 32; round++)
        {
            bool moved = EnginePump.Move(client, server, _buffer) | EnginePump.Move(server, client, _buffer);
            if (server.IsHandshakeComplete && !sent)
            {
                server.WriteApplicationData(OneByte);
                sent = true;
                moved = true;
            }

            if (client.AvailableApplicationData > 0)
            {
                client.ReadApplicationData(_buffer);
                return;
            }

            if (!moved)
            {
                break;
            }
        }

        throw new InvalidOperationException("the in-memory handshake did not complete");
    }
}
