using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Tessera.Interop;

/// <summary>A real peer (openssl, or the tessera CLI) run as a child process; killed with its children on dispose.</summary>
internal sealed partial class PeerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly Lock _gate = new();

    private PeerProcess(Process process)
    {
        _process = process;
    }

    public static PeerProcess Start(string fileName, IEnumerable<string> arguments, string? workingDirectory = null, Dictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment.Remove("SSLKEYLOGFILE");
        foreach (var (name, value) in environment ?? [])
        {
            info.Environment[name] = value;
        }
        var process = new Process { StartInfo = info };
        var peer = new PeerProcess(process);
        process.OutputDataReceived += (_, e) => peer.Append(peer._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => peer.Append(peer._stderr, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return peer;
    }

    /// <summary>The tessera CLI, run from the build output next to this test assembly.</summary>
    public static PeerProcess StartTessera(params string[] arguments) =>
        Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "Tessera.Cli.dll"), .. arguments]);

    public static PeerProcess StartOpenSsl(params string[] arguments) => Start("openssl", arguments);

    /// <summary>
    /// gnutls-serv, which can neither bind 127.0.0.1 only nor report a port it chose: take a port the system
    /// has just handed out on 127.0.0.1, free it, and start the server on it (retrying if it was taken meanwhile).
    /// </summary>
    public static (PeerProcess Server, int Port) StartGnuTlsServer(params string[] arguments)
    {
        for (int attempt = 0; ; attempt++)
        {
            var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
            probe.Start();
            int port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var server = Start("gnutls-serv", [.. arguments, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            try
            {
                server.WaitFor(ListeningLine(), TimeSpan.FromSeconds(20), inStderr: true);
                return (server, port);
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                server.Dispose();   // the port was taken between probe and bind: try another
            }
        }
    }

    /// <summary>redis-server on 127.0.0.1, on a port probed the same way (redis cannot report a port it chose), without persistence.</summary>
    public static (PeerProcess Server, int Port) StartRedis()
    {
        for (int attempt = 0; ; attempt++)
        {
            var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
            probe.Start();
            int port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var server = Start("redis-server", ["--bind", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--save", "", "--appendonly", "no", "--daemonize", "no"]);
            try
            {
                server.WaitFor(new Regex("Ready to accept connections"), TimeSpan.FromSeconds(20));
                return (server, port);
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                server.Dispose();
            }
        }
    }

    [GeneratedRegex(@"listening on IPv4 .* port \d+\.\.\.done")]
    private static partial Regex ListeningLine();

    public string Stdout
    {
        get
        {
            lock (_gate)
            {
                return _stdout.ToString();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_gate)
            {
                return _stderr.ToString();
            }
        }
    }

    public int ExitCode => _process.ExitCode;

    public StreamWriter Stdin => _process.StandardInput;

    /// <summary>Sends SIGINT (as Ctrl+C would), so that a capture tool flushes its file and exits.</summary>
    public void Interrupt() => Signal("INT");

    /// <summary>Sends a signal by its name without SIG ("INT", "TERM"), as kill does.</summary>
    public void Signal(string name)
    {
        using var kill = Process.Start("kill", ["-" + name, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit(5000);
    }

    /// <summary>Waits for "ACCEPT host:port" (printed by openssl s_server and tessera s_server) and returns the port.</summary>
    public int WaitForAcceptPort(TimeSpan? timeout = null)
    {
        var match = WaitFor(AcceptLine(), timeout ?? TimeSpan.FromSeconds(20));
        return int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    public Match WaitFor(Regex pattern, TimeSpan timeout, bool inStderr = false)
    {
        var deadline = DateTime.UtcNow + timeout;
        string Output() => inStderr ? Stderr : Stdout;
        while (DateTime.UtcNow < deadline)
        {
            var m = pattern.Match(Output());
            if (m.Success)
            {
                return m;
            }

            if (_process.HasExited)
            {
                Thread.Sleep(50);
                m = pattern.Match(Output());
                return m.Success ? m : throw new InvalidOperationException($"peer exited ({_process.ExitCode}) before printing {pattern}: {Stdout} {Stderr}");
            }

            Thread.Sleep(20);
        }

        throw new TimeoutException($"peer did not print {pattern} within {timeout}: {Stdout} {Stderr}");
    }

    /// <summary>Closes stdin and waits for the process to exit; kills it if it takes longer than <paramref name="timeout"/>.</summary>
    public int WaitForExit(TimeSpan timeout, bool closeStdin = true)
    {
        if (closeStdin)
        {
            try
            {
                _process.StandardInput.Close();
            }
            catch (IOException)
            {
            }
        }

        if (!_process.WaitForExit(timeout))
        {
            Kill();
            throw new TimeoutException($"peer did not exit within {timeout}: {Stdout} {Stderr}");
        }

        _process.WaitForExit();
        return _process.ExitCode;
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    private void Append(StringBuilder target, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            target.Append(line).Append('\n');
        }
    }

    [GeneratedRegex(@"ACCEPT\s+\S*:(\d+)")]
    private static partial Regex AcceptLine();
}
