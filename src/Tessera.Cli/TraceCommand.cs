using System.CommandLine;
using System.Net;
using Tessera.Cli.Trace;

namespace Tessera.Cli;

/// <summary>
/// <c>tessera trace --pcap FILE [--keylog FILE]</c>: every TLS connection in a packet capture (pcap or pcapng, e.g.
/// from tcpdump, dumpcap or Wireshark) printed as <c>-trace</c> prints a live one: records, handshake messages with
/// their fields, alerts and application data, decrypted with an NSS key log when one is given.
/// </summary>
internal static class TraceCommand
{
    public static Command Create()
    {
        var pcap = CliOptions.Create<string>("pcap", "the capture to read (pcap or pcapng)");
        pcap.Required = true;
        var keyLog = CliOptions.Create<string?>("keylog", "an NSS key log (SSLKEYLOGFILE) to decrypt with", "-keylogfile");
        var port = CliOptions.Create<int?>("port", "only connections with this TCP port");
        var noData = CliOptions.Flag("no-data", "show application data as lengths only, not its first bytes");
        var command = new Command("trace", "print every TLS record and handshake message in a packet capture, decrypted with a key log");
        foreach (var option in new Option[] { pcap, keyLog, port, noData })
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, _) => Program.Guarded(() =>
        {
            var path = parse.GetValue(pcap)!;
            if (!File.Exists(path))
            {
                throw new CliException($"-pcap: {path}: no such file");
            }

            KeyLogFile? keys = null;
            if (parse.GetValue(keyLog) is { } keyPath)
            {
                keys = File.Exists(keyPath) ? KeyLogFile.Load(keyPath) : throw new CliException($"-keylog: {keyPath}: no such file");
            }

            using var file = File.OpenRead(path);
            int found = Decode(CaptureFile.Read(file), keys, parse.GetValue(port), !parse.GetValue(noData), Console.Out);
            if (found == 0)
            {
                throw new CliException($"{path}: no TLS connection in the capture");
            }

            return Task.FromResult(0);
        }));
        return command;
    }

    private sealed class Connection(TcpConnection tcp)
    {
        public TcpConnection Tcp { get; } = tcp;

        public bool? ClientIsFirst { get; set; }

        public TlsCaptureDecoder? Decoder { get; set; }
    }

    /// <summary>Decodes every TLS connection in <paramref name="frames"/>; returns how many there were.</summary>
    public static int Decode(IEnumerable<CapturedFrame> frames, KeyLogFile? keys, int? port, bool showData, TextWriter output)
    {
        var connections = new Dictionary<(IPEndPoint, IPEndPoint), Connection>();
        var order = new List<Connection>();
        foreach (var frame in frames)
        {
            if (TcpSegment.Parse(frame) is not { } segment || (port is { } p && segment.Source.Port != p && segment.Destination.Port != p))
            {
                continue;
            }

            var key = TcpConnection.Key(segment.Source, segment.Destination);
            if (!connections.TryGetValue(key, out var connection) || (segment.Syn && segment.Payload.Length == 0 && connection.Decoder is not null))
            {
                // A new connection, or a new one on a reused port pair.
                connection = new Connection(new TcpConnection(order.Count + 1, segment.Source, segment.Destination));
                connections[key] = connection;
                order.Add(connection);
            }

            bool fromFirst = segment.Source.Equals(connection.Tcp.First);
            var direction = fromFirst ? connection.Tcp.FromFirst : connection.Tcp.FromSecond;
            if (segment.Syn)
            {
                direction.Syn(segment.Sequence);
                continue;
            }

            var bytes = direction.Add(segment.Sequence, segment.Payload);
            if (bytes.Length == 0)
            {
                continue;
            }

            if (connection.Decoder is null)
            {
                // The client sends the first record, a ClientHello.
                if (bytes.Length < 6 || bytes[0] != 22 || bytes[1] != 3 || bytes[5] != 1)
                {
                    connection.Decoder = new TlsCaptureDecoder(TextWriter.Null, keys, showData);
                    connection.ClientIsFirst = null;
                    continue;
                }

                connection.ClientIsFirst = fromFirst;
                var (client, server) = fromFirst ? (connection.Tcp.First, connection.Tcp.Second) : (connection.Tcp.Second, connection.Tcp.First);
                output.WriteLine();
                output.WriteLine($"=== TLS connection {connection.Tcp.Number}: client {client} → server {server}");
                connection.Decoder = new TlsCaptureDecoder(output, keys, showData);
            }

            if (connection.ClientIsFirst is { } clientIsFirst)
            {
                connection.Decoder.Add(fromFirst == clientIsFirst, bytes);
            }
        }

        var tls = order.Where(c => c.ClientIsFirst is not null).ToList();
        if (tls.Count > 0)
        {
            output.WriteLine();
            foreach (var c in tls)
            {
                output.WriteLine($"connection {c.Tcp.Number}: {c.Decoder!.Summary}");
            }
        }

        return tls.Count;
    }
}
