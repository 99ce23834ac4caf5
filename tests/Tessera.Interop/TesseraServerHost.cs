using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Tessera.Interop;

/// <summary>A Tessera server on 127.0.0.1 (free port) answering each connection with a line describing the session.</summary>
internal sealed class TesseraServerHost : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public TesseraServerHost(TlsServerOptions options)
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _loop = Task.Run(() => AcceptLoopAsync(options));
    }

    public int Port { get; }

    /// <summary>Connections that completed the handshake (their engines, for assertions).</summary>
    public List<TlsConnection> Completed { get; } = [];

    /// <summary>Handshakes that failed, with the exception.</summary>
    public List<Exception> Failures { get; } = [];

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _loop.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync(TlsServerOptions options)
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(client, options));
        }
    }

    private async Task ServeAsync(TcpClient client, TlsServerOptions options)
    {
        using (client)
        {
            await using var stream = new TlsStream(client.GetStream());
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                timeout.CancelAfter(TimeSpan.FromSeconds(20));
                await stream.AuthenticateAsServerAsync(options, timeout.Token);
                lock (Completed)
                {
                    Completed.Add(stream.Connection);
                }

                var buffer = new byte[4096];
                int n = await stream.ReadAsync(buffer, timeout.Token);
                var request = Encoding.ASCII.GetString(buffer, 0, n);
                var c = stream.Connection;
                var reply = $"tessera-server {c.NegotiatedProtocol.ToDisplayName()} {c.NegotiatedCipherSuite} {c.NegotiatedGroup} got:{request.Trim()}\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(reply), timeout.Token);
                await stream.ShutdownAsync(timeout.Token);
                // Let the peer read the reply before the socket closes.
                await stream.ReadAsync(buffer, timeout.Token).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception ex) when (ex is TlsException or IOException or OperationCanceledException or TimeoutException)
            {
                lock (Failures)
                {
                    Failures.Add(ex);
                }
            }
        }
    }
}
