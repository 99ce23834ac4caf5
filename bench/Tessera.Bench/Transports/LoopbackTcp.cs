using System.Net;
using System.Net.Sockets;

namespace Tessera.Bench.Transports;

/// <summary>A listener on 127.0.0.1 (a free port) that hands out connected TCP pairs, Nagle off on both ends.</summary>
public sealed class LoopbackTcp : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    /// <summary>Starts listening.</summary>
    public LoopbackTcp() => _listener.Start(backlog: 64);

    /// <summary>Connects a client to the listener and returns both ends as streams that own their sockets.</summary>
    public async Task<(Stream Client, Stream Server)> ConnectAsync(CancellationToken cancellationToken)
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            var accept = _listener.AcceptSocketAsync(cancellationToken);
            await client.ConnectAsync((IPEndPoint)_listener.LocalEndpoint, cancellationToken).ConfigureAwait(false);
            var server = await accept.ConfigureAwait(false);
            server.NoDelay = true;
            return (new NetworkStream(client, ownsSocket: true), new NetworkStream(server, ownsSocket: true));
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Stops listening.</summary>
    public void Dispose() => _listener.Dispose();
}
