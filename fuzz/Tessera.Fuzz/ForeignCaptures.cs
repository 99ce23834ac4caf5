using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Tessera.Pki;

namespace Tessera.Fuzz;

/// <summary>
/// First flights of other stacks, for seeds: the ClientHellos openssl s_client and gnutls-cli send (caught by a listener
/// that answers nothing), and what openssl s_server and gnutls-serv answer to Tessera's ClientHellos. Each tool that is
/// not installed is skipped; everything runs on 127.0.0.1 and every process started is stopped.
/// </summary>
public static class ForeignCaptures
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    /// <summary>ClientHello records (each a whole record as sent) of the other stacks' clients, with the command that sent it.</summary>
    public static IEnumerable<(string Source, byte[] Record)> ClientHellos()
    {
        var clients = new (string Tool, string Arguments)[]
        {
            ("openssl", "s_client -connect 127.0.0.1:{0} -servername fuzz.test"),
            ("openssl", "s_client -connect 127.0.0.1:{0} -tls1_2 -alpn h2,http/1.1 -servername fuzz.test"),
            ("openssl", "s_client -connect 127.0.0.1:{0} -groups P-256:X25519 -ciphersuites TLS_CHACHA20_POLY1305_SHA256 -no_middlebox"),
            ("gnutls-cli", "--insecure -p {0} 127.0.0.1"),
            ("gnutls-cli", "--insecure --priority NORMAL:-VERS-TLS1.3 -p {0} 127.0.0.1"),
        };
        foreach (var (tool, arguments) in clients)
        {
            if (!OnPath(tool))
            {
                continue;
            }

            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            using var process = Start(tool, string.Format(System.Globalization.CultureInfo.InvariantCulture, arguments, port));
            try
            {
                var accept = listener.AcceptTcpClientAsync();
                if (!accept.Wait(Bound))
                {
                    continue;
                }

                using var client = accept.Result;
                var record = ReadRecords(client.GetStream(), 1);
                if (record.Length > 5)
                {
                    yield return ($"{tool} {arguments}", record);
                }
            }
            finally
            {
                Stop(process);
            }
        }
    }

    /// <summary>What the other stacks' servers answer to each of <paramref name="clientHellos"/> (raw, as many records as came in a second).</summary>
    public static IEnumerable<(string Source, byte[] Flight)> ServerFlights(IReadOnlyList<byte[]> clientHellos)
    {
        var folder = Directory.CreateTempSubdirectory("tessera-fuzz-peers-");
        try
        {
            using var ca = TestCertificateAuthority.Create(CertificateKeyType.EcdsaP256, "Fuzz Peer CA");
            var certificate = ca.IssueServerCertificate(["fuzz.test", "localhost"], CertificateKeyType.EcdsaP256);
            string cert = Path.Combine(folder.FullName, "cert.pem"), key = Path.Combine(folder.FullName, "key.pem");
            File.WriteAllText(cert, TestCertificateAuthority.ExportCertificatePem(certificate));
            File.WriteAllText(key, TestCertificateAuthority.ExportPrivateKeyPem(certificate));
            var servers = new (string Tool, string Arguments)[]
            {
                ("openssl", $"s_server -accept 127.0.0.1:{{0}} -cert {cert} -key {key} -quiet"),
                ("gnutls-serv", $"--port {{0}} --x509certfile {cert} --x509keyfile {key}"),
            };
            foreach (var (tool, arguments) in servers)
            {
                if (!OnPath(tool))
                {
                    continue;
                }

                foreach (var hello in clientHellos)
                {
                    var flight = AskServer(tool, arguments, hello);
                    if (flight.Length > 5)
                    {
                        yield return ($"{tool} answering a ClientHello of {hello.Length} bytes", flight);
                    }
                }
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static byte[] AskServer(string tool, string arguments, byte[] clientHello)
    {
        for (int attempt = 0; attempt < 3; attempt++)
        {
            // Neither server reports a port it chose: take one the system just handed out and free it.
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            int port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            using var process = Start(tool, string.Format(System.Globalization.CultureInfo.InvariantCulture, arguments, port));
            try
            {
                var clock = Stopwatch.StartNew();
                while (clock.Elapsed < Bound)
                {
                    using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    try
                    {
                        socket.Connect(IPAddress.Loopback, port);
                    }
                    catch (SocketException)
                    {
                        Thread.Sleep(100);
                        continue;
                    }

                    socket.Send(clientHello);
                    return ReadRecords(new NetworkStream(socket), 8);
                }
            }
            finally
            {
                Stop(process);
            }
        }

        return [];
    }

    /// <summary>Up to <paramref name="records"/> whole records, or what came within a second.</summary>
    private static byte[] ReadRecords(Stream stream, int records)
    {
        var received = new List<byte>();
        var buffer = new byte[16 * 1024];
        var clock = Stopwatch.StartNew();
        stream.ReadTimeout = 1000;
        try
        {
            while (clock.Elapsed < TimeSpan.FromSeconds(1) && CountRecords(received) < records)
            {
                int n = stream.Read(buffer);
                if (n == 0)
                {
                    break;
                }

                received.AddRange(buffer.AsSpan(0, n));
            }
        }
        catch (IOException)
        {
            // the read timed out: what came is what there is
        }

        return [.. received];
    }

    private static int CountRecords(List<byte> bytes)
    {
        int count = 0, at = 0;
        while (at + 5 <= bytes.Count)
        {
            int length = (bytes[at + 3] << 8) | bytes[at + 4];
            if (at + 5 + length > bytes.Count)
            {
                break;
            }

            at += 5 + length;
            count++;
        }

        return count;
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(dir => File.Exists(Path.Combine(dir, tool)));

    private static Process Start(string tool, string arguments)
    {
        var start = new ProcessStartInfo(tool, arguments)
        {
            RedirectStandardInput = true,   // kept open: s_client and gnutls-cli would quit at end of input
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {tool}");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }
}
