using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Tessera.Cli;

/// <summary>
/// The ECHConfigList a DNS HTTPS record publishes (RFC 9460; the "ech" SvcParam, key 5): one query over UDP to the
/// system's resolver (the first nameserver of /etc/resolv.conf) or a given server, for the origin's name, or
/// _PORT._https.NAME off port 443 (RFC 9460 §9.1). Of the ServiceMode records that carry ech, the one of lowest
/// SvcPriority wins. Every field is checked; a bad answer is one line.
/// </summary>
internal static class HttpsRecordLookup
{
    private const ushort HttpsType = 65;
    private const ushort InClass = 1;
    private const ushort EchKey = 5;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(3);

    public static string QueryName(string host, int port) => port == 443 ? host.TrimEnd('.') : $"_{port}._https.{host.TrimEnd('.')}";

    /// <summary>Looks the record up and returns its ECHConfigList.</summary>
    public static async Task<byte[]> LookupAsync(string host, int port, IPEndPoint server, CancellationToken cancellationToken)
    {
        var name = QueryName(host, port);
        using var udp = new UdpClient(server.AddressFamily);
        for (int attempt = 0; attempt < 2; attempt++)
        {
            ushort id = (ushort)RandomNumberGenerator.GetInt32(ushort.MaxValue + 1);
            await udp.SendAsync(BuildQuery(id, name), server, cancellationToken).ConfigureAwait(false);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Wait);
            try
            {
                while (true)
                {
                    var result = await udp.ReceiveAsync(timeout.Token).ConfigureAwait(false);
                    if (result.Buffer.Length >= 2 && BinaryPrimitives.ReadUInt16BigEndian(result.Buffer) == id && result.RemoteEndPoint.Equals(server))
                    {
                        return ParseResponse(result.Buffer, name);
                    }
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // no answer: ask once more
            }
            catch (SocketException ex)
            {
                throw new CliException($"-ech_config dns: {server}: {ex.Message}");
            }
        }

        throw new CliException($"-ech_config dns: no answer from {server} for the HTTPS record of {name}");
    }

    /// <summary>
    /// The DNS server of <c>-ech_config dns</c> (the system's) or <c>dns:ADDRESS[:PORT]</c>; null when the value is not a
    /// DNS request.
    /// </summary>
    public static IPEndPoint? ServerOf(string value)
    {
        if (value == "dns")
        {
            return SystemResolver();
        }

        if (!value.StartsWith("dns:", StringComparison.Ordinal))
        {
            return null;
        }

        var spec = value[4..];
        if (IPAddress.TryParse(spec, out var address))
        {
            return new IPEndPoint(address, 53);
        }

        if (IPEndPoint.TryParse(spec, out var endpoint) && endpoint.Port != 0)
        {
            return endpoint;
        }

        throw new CliException($"-ech_config {value}: give the DNS server as dns:ADDRESS or dns:ADDRESS:PORT");
    }

    /// <summary>The first nameserver of /etc/resolv.conf, port 53.</summary>
    public static IPEndPoint SystemResolver()
    {
        try
        {
            foreach (var line in File.ReadLines("/etc/resolv.conf"))
            {
                var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                if (fields is ["nameserver", var address, ..] && IPAddress.TryParse(address.Split('%')[0], out var ip))
                {
                    return new IPEndPoint(ip, 53);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"-ech_config dns: cannot read /etc/resolv.conf: {ex.Message}");
        }

        throw new CliException("-ech_config dns: /etc/resolv.conf names no nameserver; give one as dns:ADDRESS[:PORT]");
    }

    public static byte[] BuildQuery(ushort id, string name)
    {
        var query = new List<byte>(32 + name.Length);
        query.AddRange([(byte)(id >> 8), (byte)id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);   // RD; one question
        foreach (var label in name.Split('.'))
        {
            var bytes = Encoding.ASCII.GetBytes(label);
            if (bytes.Length is 0 or > 63)
            {
                throw new CliException($"-ech_config dns: '{name}' is not a DNS name");
            }

            query.Add((byte)bytes.Length);
            query.AddRange(bytes);
        }

        query.AddRange([0, 0, (byte)HttpsType, 0, (byte)InClass]);
        return [.. query];
    }

    /// <summary>The ech parameter of the best ServiceMode HTTPS record in a response (RFC 1035 §4.1; RFC 9460 §2.2).</summary>
    public static byte[] ParseResponse(ReadOnlySpan<byte> message, string name)
    {
        try
        {
            if (message.Length < 12)
            {
                throw new FormatException("shorter than a header");
            }

            int flags = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
            if ((flags & 0x8000) == 0)
            {
                throw new FormatException("not a response");
            }

            if ((flags & 0x0200) != 0)
            {
                throw new CliException($"-ech_config dns: the answer for {name} was truncated (DNS over TCP is not implemented)");
            }

            switch (flags & 0xF)
            {
                case 0:
                    break;
                case 3:
                    throw new CliException($"-ech_config dns: {name} does not exist (NXDOMAIN)");
                default:
                    throw new CliException($"-ech_config dns: the server answered {name} with error code {flags & 0xF}");
            }

            int questions = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
            int answers = BinaryPrimitives.ReadUInt16BigEndian(message[6..]);
            int offset = 12;
            for (int i = 0; i < questions; i++)
            {
                offset = SkipName(message, offset) + 4;
            }

            (int Priority, byte[] Ech)? best = null;
            for (int i = 0; i < answers; i++)
            {
                offset = SkipName(message, offset);
                var fixedPart = message.Slice(offset, 10);
                ushort type = BinaryPrimitives.ReadUInt16BigEndian(fixedPart);
                ushort @class = BinaryPrimitives.ReadUInt16BigEndian(fixedPart[2..]);
                int length = BinaryPrimitives.ReadUInt16BigEndian(fixedPart[8..]);
                var data = message.Slice(offset + 10, length);
                offset += 10 + length;
                if (type == HttpsType && @class == InClass && ParseHttpsData(data) is { Priority: > 0, Ech: { } ech } record && (best is null || record.Priority < best.Value.Priority))
                {
                    best = (record.Priority, ech);   // AliasMode (priority 0) records are not followed
                }
            }

            return best?.Ech ?? throw new CliException($"-ech_config dns: no HTTPS record of {name} carries an ech parameter");
        }
        catch (Exception ex) when (ex is FormatException or ArgumentOutOfRangeException or IndexOutOfRangeException)
        {
            throw new CliException($"-ech_config dns: malformed answer for {name}: {(ex is FormatException ? ex.Message : "a length runs past the end")}");
        }
    }

    /// <summary>SvcPriority, TargetName (uncompressed), then SvcParams in increasing key order; returns the ech value if present.</summary>
    private static (int Priority, byte[]? Ech) ParseHttpsData(ReadOnlySpan<byte> data)
    {
        int priority = BinaryPrimitives.ReadUInt16BigEndian(data);
        int offset = 2;
        while (data[offset] != 0)
        {
            if (data[offset] > 63)
            {
                throw new FormatException("a compressed or overlong label in TargetName");
            }

            offset += 1 + data[offset];
        }

        offset++;
        byte[]? ech = null;
        int previousKey = -1;
        while (offset < data.Length)
        {
            int key = BinaryPrimitives.ReadUInt16BigEndian(data[offset..]);
            int length = BinaryPrimitives.ReadUInt16BigEndian(data[(offset + 2)..]);
            if (key <= previousKey)
            {
                throw new FormatException("SvcParams out of order or repeated");
            }

            var value = data.Slice(offset + 4, length);
            if (key == EchKey)
            {
                ech = value.ToArray();
            }

            previousKey = key;
            offset += 4 + length;
        }

        return (priority, ech);
    }

    /// <summary>Skips a possibly compressed name (RFC 1035 §4.1.4) and returns the offset after it.</summary>
    private static int SkipName(ReadOnlySpan<byte> message, int offset)
    {
        for (int labels = 0; labels < 128; labels++)
        {
            byte length = message[offset];
            if (length == 0)
            {
                return offset + 1;
            }

            if ((length & 0xC0) == 0xC0)
            {
                _ = message[offset + 1];
                return offset + 2;   // a pointer ends the name
            }

            if (length > 63)
            {
                throw new FormatException("a bad label length");
            }

            offset += 1 + length;
        }

        throw new FormatException("a name of too many labels");
    }
}
