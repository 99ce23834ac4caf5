using System.Buffers.Binary;
using System.Net;

namespace Tessera.Cli.Trace;

/// <summary>A TCP segment taken out of a captured frame.</summary>
internal sealed record TcpSegment(IPEndPoint Source, IPEndPoint Destination, uint Sequence, bool Syn, bool Fin, bool Reset, byte[] Payload, long TimestampMicros)
{
    /// <summary>Link types: Ethernet (1), BSD loopback (0), raw IP (101, 12), Linux cooked v1 (113) and v2 (276).</summary>
    public static TcpSegment? Parse(CapturedFrame frame)
    {
        var data = frame.Data.AsSpan();
        int ipOffset;
        switch (frame.LinkType)
        {
            case 1:
                if (data.Length < 14)
                {
                    return null;
                }

                ipOffset = 14;
                ushort etherType = BinaryPrimitives.ReadUInt16BigEndian(data[12..]);
                while (etherType is 0x8100 or 0x88A8 && data.Length >= ipOffset + 4)
                {
                    etherType = BinaryPrimitives.ReadUInt16BigEndian(data[(ipOffset + 2)..]);
                    ipOffset += 4;
                }

                break;
            case 0:
                ipOffset = 4;
                break;
            case 101 or 12:
                ipOffset = 0;
                break;
            case 113:
                ipOffset = 16;
                break;
            case 276:
                ipOffset = 20;
                break;
            default:
                return null;
        }

        return data.Length > ipOffset ? ParseIp(data[ipOffset..], frame.TimestampMicros) : null;
    }

    private static TcpSegment? ParseIp(ReadOnlySpan<byte> ip, long time)
    {
        IPAddress source, destination;
        ReadOnlySpan<byte> tcp;
        int version = ip[0] >> 4;
        if (version == 4)
        {
            int headerLength = (ip[0] & 0x0F) * 4;
            if (ip.Length < 20 || headerLength < 20 || ip[9] != 6)
            {
                return null;
            }

            int total = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(ip[2..]), ip.Length);
            if (total < headerLength || (BinaryPrimitives.ReadUInt16BigEndian(ip[6..]) & 0x3FFF) != 0)
            {
                return null;    // fragments are not reassembled
            }

            source = new IPAddress(ip.Slice(12, 4));
            destination = new IPAddress(ip.Slice(16, 4));
            tcp = ip[headerLength..total];
        }
        else if (version == 6)
        {
            if (ip.Length < 40 || ip[6] != 6)
            {
                return null;    // extension headers are not followed
            }

            int payload = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(ip[4..]), ip.Length - 40);
            source = new IPAddress(ip.Slice(8, 16));
            destination = new IPAddress(ip.Slice(24, 16));
            tcp = ip.Slice(40, payload);
        }
        else
        {
            return null;
        }

        if (tcp.Length < 20)
        {
            return null;
        }

        int dataOffset = (tcp[12] >> 4) * 4;
        if (dataOffset < 20 || dataOffset > tcp.Length)
        {
            return null;
        }

        byte flags = tcp[13];
        return new TcpSegment(
            new IPEndPoint(source, BinaryPrimitives.ReadUInt16BigEndian(tcp)),
            new IPEndPoint(destination, BinaryPrimitives.ReadUInt16BigEndian(tcp[2..])),
            BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]),
            Syn: (flags & 0x02) != 0,
            Fin: (flags & 0x01) != 0,
            Reset: (flags & 0x04) != 0,
            tcp[dataOffset..].ToArray(),
            time);
    }
}
