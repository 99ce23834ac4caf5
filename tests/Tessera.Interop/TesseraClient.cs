using System.Net.Sockets;
using System.Text;

namespace Tessera.Interop;

/// <summary>The Tessera library as a client of a peer on 127.0.0.1, every step bounded in time.</summary>
internal static class TesseraClient
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    public static async Task<TlsStream> ConnectAsync(int port, TlsClientOptions options)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port).WaitAsync(Bound);
        var stream = new TlsStream(tcp.GetStream());
        using var timeout = new CancellationTokenSource(Bound);
        await stream.AuthenticateAsClientAsync(options, timeout.Token);
        return stream;
    }

    public static async Task<string> ReadAllAsync(Stream stream)
    {
        using var timeout = new CancellationTokenSource(Bound);
        var ms = new MemoryStream();
        await stream.CopyToAsync(ms, timeout.Token);
        return Encoding.UTF8.GetString(ms.ToArray());
    }
}
