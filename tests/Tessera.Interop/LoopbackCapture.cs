using System.Text.RegularExpressions;

namespace Tessera.Interop;

/// <summary>
/// A packet capture of one TCP port on the loopback interface (Debian's dumpcap, as root), read back with tshark.
/// Stopped with SIGINT so the capture file is complete; killed on dispose if anything went wrong.
/// </summary>
internal sealed partial class LoopbackCapture : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly PeerProcess _dumpcap;
    private bool _stopped;

    private LoopbackCapture(string file, PeerProcess dumpcap)
    {
        File = file;
        _dumpcap = dumpcap;
    }

    public string File { get; }

    /// <summary>Starts capturing; <paramref name="classicPcap"/> writes the old pcap format instead of pcapng.</summary>
    public static LoopbackCapture Start(int port, string file, bool classicPcap = false)
    {
        var dumpcap = PeerProcess.Start("dumpcap", ["-i", "lo", "-f", $"tcp port {port}", "-w", file, .. classicPcap ? new[] { "-P" } : []]);
        dumpcap.WaitFor(CapturingLine(), Bound, inStderr: true);
        return new LoopbackCapture(file, dumpcap);
    }

    /// <summary>Stops the capture and waits until dumpcap has written and closed the file.</summary>
    public void Stop()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        Thread.Sleep(300);   // packets still on their way through the loopback
        _dumpcap.Interrupt();
        _dumpcap.WaitForExit(Bound, closeStdin: false);
    }

    /// <summary>Runs tshark on the capture and returns what it printed.</summary>
    public string Tshark(params string[] arguments)
    {
        Stop();
        using var tshark = PeerProcess.Start("tshark", ["-r", File, .. arguments]);
        int exit = tshark.WaitForExit(Bound);
        return exit == 0 ? tshark.Stdout : throw new InvalidOperationException($"tshark exited {exit}: {tshark.Stderr}");
    }

    /// <summary>The decrypted application data of TCP stream <paramref name="stream"/>, as tshark's "Follow TLS Stream" shows it.</summary>
    public string FollowTls(string keyLogFile, int stream = 0) =>
        Tshark("-o", $"tls.keylog_file:{keyLogFile}", "-q", "-z", $"follow,tls,ascii,{stream}");

    public void Dispose() => _dumpcap.Dispose();

    [GeneratedRegex("Capturing on")]
    private static partial Regex CapturingLine();
}
