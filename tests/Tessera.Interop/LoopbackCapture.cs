using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Tessera.Interop;

/// <summary>
/// A packet capture of one TCP port on the loopback interface (Debian's tshark, as root), read back with tshark.
/// Capturing is proven live before the test goes on: a probe connection to the port must show up in the packets
/// tshark prints. Stopped once no packet has come for a moment, with SIGINT so the file is complete; killed on dispose
/// if anything went wrong.
/// </summary>
internal sealed partial class LoopbackCapture : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly PeerProcess _tshark;
    private bool _stopped;

    private LoopbackCapture(string file, PeerProcess tshark)
    {
        File = file;
        _tshark = tshark;
    }

    public string File { get; }

    /// <summary>Starts capturing; <paramref name="classicPcap"/> writes the old pcap format instead of pcapng.</summary>
    public static LoopbackCapture Start(int port, string file, bool classicPcap = false)
    {
        var tshark = PeerProcess.Start("tshark", ["-i", "lo", "-f", $"tcp port {port}", "-w", file, "-P", "-l", "-n", .. classicPcap ? new[] { "-F", "pcap" } : []]);
        var capture = new LoopbackCapture(file, tshark);
        try
        {
            tshark.WaitFor(CapturingLine(), Bound, inStderr: true);
            var deadline = DateTime.UtcNow + Bound;
            while (!tshark.Stdout.Contains("[SYN]", StringComparison.Ordinal))
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"tshark saw no probe connection to port {port}: {tshark.Stderr}");
                }

                using (var probe = new TcpClient())
                {
                    try
                    {
                        probe.Connect(IPAddress.Loopback, port);
                    }
                    catch (SocketException)
                    {
                    }
                }

                Thread.Sleep(200);
            }

            return capture;
        }
        catch
        {
            capture.Dispose();
            throw;
        }
    }

    /// <summary>Waits until no packet has come for half a second, then stops tshark and waits until the file is written.</summary>
    public void Stop()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        int seen = -1;
        while (DateTime.UtcNow < deadline && _tshark.Stdout.Length != seen)
        {
            seen = _tshark.Stdout.Length;
            Thread.Sleep(500);
        }

        _tshark.Interrupt();
        _tshark.WaitForExit(Bound, closeStdin: false);
    }

    /// <summary>Runs tshark on the capture and returns what it printed.</summary>
    public string Tshark(params string[] arguments)
    {
        Stop();
        using var tshark = PeerProcess.Start("tshark", ["-r", File, .. arguments]);
        int exit = tshark.WaitForExit(Bound);
        return exit == 0 ? tshark.Stdout : throw new InvalidOperationException($"tshark exited {exit}: {tshark.Stderr}");
    }

    /// <summary>
    /// The decrypted application data of the (first) TLS connection, as tshark's "Follow TLS Stream" shows it; the probe
    /// connections that proved the capture live are other TCP streams.
    /// </summary>
    public string FollowTls(string keyLogFile)
    {
        var streams = Tshark("-Y", "tls.handshake.type == 1", "-T", "fields", "-e", "tcp.stream").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.NotEmpty(streams);
        return Tshark("-o", $"tls.keylog_file:{keyLogFile}", "-q", "-z", $"follow,tls,ascii,{streams[0]}");
    }

    public void Dispose() => _tshark.Dispose();

    [GeneratedRegex("Capturing on")]
    private static partial Regex CapturingLine();
}
