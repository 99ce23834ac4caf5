using System.Buffers.Binary;

namespace Tessera.Cli.Trace;

/// <summary>One captured frame: when, on which link type, and its bytes.</summary>
internal readonly record struct CapturedFrame(long TimestampMicros, int LinkType, byte[] Data);

/// <summary>
/// Reads packet capture files: classic pcap (both byte orders, micro- or nanosecond stamps) and pcapng (section
/// header, interface description, enhanced and simple packet blocks; other blocks skipped). Malformed input ends
/// with a <see cref="CliException"/> naming what is wrong; no frame over 256 KiB is held.
/// </summary>
internal static class CaptureFile
{
    private const int MaxFrame = 256 * 1024;

    public static IEnumerable<CapturedFrame> Read(Stream stream)
    {
        var magic = ReadExactly(stream, 4, "the file is empty or not a capture");
        uint le = BinaryPrimitives.ReadUInt32LittleEndian(magic);
        return le switch
        {
            0xA1B2C3D4 or 0xA1B23C4D => ReadPcap(stream, littleEndian: true, nanoseconds: le == 0xA1B23C4D),
            0xD4C3B2A1 or 0x4D3CB2A1 => ReadPcap(stream, littleEndian: false, nanoseconds: le == 0x4D3CB2A1),
            0x0A0D0D0A => ReadPcapNg(stream),
            _ => throw new CliException("not a pcap or pcapng file (unknown magic number)"),
        };
    }

    private static byte[] ReadExactly(Stream stream, int count, string what)
    {
        var buffer = new byte[count];
        int read = stream.ReadAtLeast(buffer, count, throwOnEndOfStream: false);
        return read == count ? buffer : throw new CliException($"truncated capture: {what}");
    }

    private static IEnumerable<CapturedFrame> ReadPcap(Stream stream, bool littleEndian, bool nanoseconds)
    {
        var header = ReadExactly(stream, 20, "the pcap file header");
        uint U32(ReadOnlySpan<byte> b) => littleEndian ? BinaryPrimitives.ReadUInt32LittleEndian(b) : BinaryPrimitives.ReadUInt32BigEndian(b);
        int linkType = (int)(U32(header.AsSpan(16)) & 0x0FFFFFFF);
        var recordHeader = new byte[16];
        while (stream.ReadAtLeast(recordHeader, 16, throwOnEndOfStream: false) is var n && n > 0)
        {
            if (n < 16)
            {
                throw new CliException("truncated capture: a packet record header");
            }

            long seconds = U32(recordHeader);
            long fraction = U32(recordHeader.AsSpan(4));
            uint captured = U32(recordHeader.AsSpan(8));
            if (captured > MaxFrame)
            {
                throw new CliException($"a packet of {captured} bytes is larger than any frame ({MaxFrame} bytes at most)");
            }

            var data = ReadExactly(stream, (int)captured, "packet data");
            yield return new CapturedFrame((seconds * 1_000_000) + (nanoseconds ? fraction / 1000 : fraction), linkType, data);
        }
    }

    private static IEnumerable<CapturedFrame> ReadPcapNg(Stream stream)
    {
        bool littleEndian = true;
        var interfaces = new List<(int LinkType, long UnitsPerSecond)>();
        bool first = true;
        byte[]? pendingType = new byte[] { 0x0A, 0x0D, 0x0D, 0x0A };
        while (true)
        {
            byte[] typeBytes;
            if (pendingType is not null)
            {
                typeBytes = pendingType;
                pendingType = null;
            }
            else
            {
                typeBytes = new byte[4];
                int n = stream.ReadAtLeast(typeBytes, 4, throwOnEndOfStream: false);
                if (n == 0)
                {
                    yield break;
                }

                if (n < 4)
                {
                    throw new CliException("truncated capture: a pcapng block type");
                }
            }

            var lengthBytes = ReadExactly(stream, 4, "a pcapng block length");
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(typeBytes);
            if (type == 0x0A0D0D0A)
            {
                // Section header: its byte-order magic decides how everything after it reads.
                var bom = ReadExactly(stream, 4, "the section header");
                littleEndian = BinaryPrimitives.ReadUInt32LittleEndian(bom) == 0x1A2B3C4D
                    || (BinaryPrimitives.ReadUInt32BigEndian(bom) == 0x1A2B3C4D ? false : throw new CliException("pcapng section header with an unknown byte-order magic"));
                interfaces.Clear();
                uint sectionLength = U32(lengthBytes, littleEndian);
                if (sectionLength is < 28 or > MaxFrame || sectionLength % 4 != 0)
                {
                    throw new CliException("pcapng section header with a bad length");
                }

                ReadExactly(stream, (int)sectionLength - 12, "the section header");
                first = false;
                continue;
            }

            if (first)
            {
                throw new CliException("pcapng file without a section header");
            }

            uint length = U32(lengthBytes, littleEndian);
            if (length < 12 || length % 4 != 0 || length > MaxFrame + 64)
            {
                throw new CliException($"pcapng block of bad length {length}");
            }

            var body = ReadExactly(stream, (int)length - 12, "a pcapng block");
            ReadExactly(stream, 4, "a pcapng block's trailing length");
            type = littleEndian ? type : BinaryPrimitives.ReadUInt32BigEndian(typeBytes);
            switch (type)
            {
                case 1:     // interface description
                    if (body.Length < 8)
                    {
                        throw new CliException("short pcapng interface description");
                    }

                    interfaces.Add((U16(body, littleEndian), TimestampUnits(body.AsSpan(8), littleEndian)));
                    break;
                case 6:     // enhanced packet
                {
                    if (body.Length < 20)
                    {
                        throw new CliException("short pcapng packet block");
                    }

                    int id = (int)U32(body, littleEndian);
                    if (id >= interfaces.Count)
                    {
                        throw new CliException($"pcapng packet on undescribed interface {id}");
                    }

                    long stamp = ((long)U32(body.AsSpan(4), littleEndian) << 32) | U32(body.AsSpan(8), littleEndian);
                    uint captured = U32(body.AsSpan(12), littleEndian);
                    if (captured > body.Length - 20)
                    {
                        throw new CliException("pcapng packet longer than its block");
                    }

                    var (linkType, units) = interfaces[id];
                    yield return new CapturedFrame(units == 1_000_000 ? stamp : (long)(stamp * (1_000_000.0 / units)), linkType, body.AsSpan(20, (int)captured).ToArray());
                    break;
                }

                case 3:     // simple packet
                {
                    if (interfaces.Count == 0 || body.Length < 4)
                    {
                        throw new CliException("pcapng simple packet without an interface");
                    }

                    int captured = Math.Min(body.Length - 4, (int)U32(body, littleEndian));
                    yield return new CapturedFrame(0, interfaces[0].LinkType, body.AsSpan(4, captured).ToArray());
                    break;
                }

                default:
                    break;      // statistics, name resolution, decryption secrets, custom: not needed
            }
        }
    }

    private static uint U32(ReadOnlySpan<byte> b, bool littleEndian) => littleEndian ? BinaryPrimitives.ReadUInt32LittleEndian(b) : BinaryPrimitives.ReadUInt32BigEndian(b);

    private static ushort U16(ReadOnlySpan<byte> b, bool littleEndian) => littleEndian ? BinaryPrimitives.ReadUInt16LittleEndian(b) : BinaryPrimitives.ReadUInt16BigEndian(b);

    /// <summary>if_tsresol (option 9): a power of ten, or of two with the high bit set; microseconds by default.</summary>
    private static long TimestampUnits(ReadOnlySpan<byte> options, bool littleEndian)
    {
        while (options.Length >= 4)
        {
            int code = U16(options, littleEndian);
            int length = U16(options[2..], littleEndian);
            if (code == 0 || 4 + length > options.Length)
            {
                break;
            }

            if (code == 9 && length >= 1)
            {
                byte resolution = options[4];
                int exponent = Math.Min(resolution & 0x7F, 18);
                return (resolution & 0x80) != 0 ? 1L << Math.Min(exponent, 62) : (long)Math.Pow(10, exponent);
            }

            options = options[(4 + ((length + 3) & ~3))..];
        }

        return 1_000_000;
    }
}
