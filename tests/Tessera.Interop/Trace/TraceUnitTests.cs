using System.Buffers.Binary;
using Tessera.Cli;
using Tessera.Cli.Trace;

namespace Tessera.Interop.Trace;

/// <summary>The capture reader, TCP reassembly and decoder on hand-made and hostile input: a clear error or nothing, never a crash.</summary>
public sealed class TraceUnitTests
{
    private static byte[] Pcap(params byte[][] frames)
    {
        var file = new MemoryStream();
        var header = new byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xA1B2C3D4);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(4), 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(6), 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(16), 65535);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(20), 101);    // raw IP
        file.Write(header);
        foreach (var frame in frames)
        {
            var record = new byte[16];
            BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(8), (uint)frame.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(12), (uint)frame.Length);
            file.Write(record);
            file.Write(frame);
        }

        return file.ToArray();
    }

    /// <summary>An IPv4 + TCP packet from 10.0.0.1:port to 10.0.0.2:443 (or back).</summary>
    private static byte[] Packet(bool fromClient, uint sequence, byte[] payload, bool syn = false)
    {
        var packet = new byte[40 + payload.Length];
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        packet[9] = 6;
        byte[] client = [10, 0, 0, 1], server = [10, 0, 0, 2];
        (fromClient ? client : server).CopyTo(packet, 12);
        (fromClient ? server : client).CopyTo(packet, 16);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(20), fromClient ? (ushort)50000 : (ushort)443);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(22), fromClient ? (ushort)443 : (ushort)50000);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(24), sequence);
        packet[32] = 0x50;
        packet[33] = syn ? (byte)0x02 : (byte)0x18;
        payload.CopyTo(packet, 40);
        return packet;
    }

    [Fact]
    public void ReassemblesOutOfOrderAndRetransmittedSegments()
    {
        var direction = new TcpDirection();
        direction.Syn(999);
        Assert.Empty(direction.Add(1006, "world"u8.ToArray()));                     // ahead: held
        Assert.Equal("hello world"u8.ToArray(), direction.Add(1000, "hello "u8.ToArray()));
        Assert.Empty(direction.Add(1000, "hello "u8.ToArray()));                    // retransmission
        Assert.Equal("!"u8.ToArray(), direction.Add(1009, "ld!"u8.ToArray()));     // overlap: only the new byte
    }

    [Fact]
    public void HostileSequenceNumbersAndFloodsAreBounded()
    {
        var direction = new TcpDirection();
        direction.Syn(0);
        Assert.Equal("ab"u8.ToArray(), direction.Add(1, "ab"u8.ToArray()));
        Assert.Empty(direction.Add(3 + 0x8000_0000u, "x"u8.ToArray()));        // exactly 2^31 away: neither a crash nor data
        direction.Syn(12345);                                                   // a late SYN moves nothing
        Assert.Equal("c"u8.ToArray(), direction.Add(3, "c"u8.ToArray()));
        for (uint i = 0; i < 20_000; i++)
        {
            direction.Add(100 + (2 * i), [1]);                                  // a flood of 1-byte holes: held up to a bound
        }

        Assert.Empty(direction.Add(4, "d"u8.ToArray()).Skip(1));
    }

    [Fact]
    public void ALongerRetransmissionAtTheSameOffsetWins()
    {
        var direction = new TcpDirection();
        direction.Syn(0);
        Assert.Empty(direction.Add(5, "ef"u8.ToArray()));
        Assert.Empty(direction.Add(5, "efgh"u8.ToArray()));
        Assert.Equal("abcdefgh"u8.ToArray(), direction.Add(1, "abcd"u8.ToArray()));
    }

    [Fact]
    public void SequenceNumbersWrapAround()
    {
        var direction = new TcpDirection();
        direction.Syn(uint.MaxValue - 2);
        Assert.Equal("ab"u8.ToArray(), direction.Add(uint.MaxValue - 1, "ab"u8.ToArray()));
        Assert.Equal("cd"u8.ToArray(), direction.Add(0, "cd"u8.ToArray()));
    }

    [Fact]
    public void FindsTheClientHelloInAHandMadeCapture()
    {
        // A ClientHello split over two segments, the second arriving first.
        var hello = new Tessera.Cli.Scan.ProbeHello { ServerName = "example.com", CipherSuites = [0x1301] }.ToRecord();
        var frames = Pcap(
            Packet(true, 100, [], syn: true),
            Packet(true, 101 + 40, hello[40..]),
            Packet(true, 101, hello[..40]));
        var output = new StringWriter();
        int found = TraceCommand.Decode(CaptureFile.Read(new MemoryStream(frames)), null, null, showData: true, output);
        Assert.Equal(1, found);
        Assert.Contains("client 10.0.0.1:50000 → server 10.0.0.2:443", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("host_name \"example.com\"", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("connection 1: version not negotiated", output.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 0xD4, 0xC3, 0xB2, 0xA1, 2, 0 })]                    // pcap header cut short
    [InlineData(new byte[] { 0x0A, 0x0D, 0x0D, 0x0A, 12, 0, 0, 0 })]           // pcapng section header cut short
    [InlineData(new byte[] { 0x0A, 0x0D, 0x0D, 0x0A, 28, 0, 0, 0, 9, 9, 9, 9 })] // unknown byte-order magic
    [InlineData(new byte[] { (byte)'G', (byte)'E', (byte)'T', (byte)' ' })]
    public void MalformedCapturesAreCliErrors(byte[] file) =>
        Assert.Throws<CliException>(() => CaptureFile.Read(new MemoryStream(file)).ToList());

    [Fact]
    public void AHugePacketLengthIsRefusedNotAllocated()
    {
        var file = Pcap(Packet(true, 1, [1, 2, 3]));
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(24 + 8), 0x7FFFFFFF);
        var error = Assert.Throws<CliException>(() => CaptureFile.Read(new MemoryStream(file)).ToList());
        Assert.Contains("larger than any frame", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RandomBytesNeverCrashTheDecoder()
    {
        var random = new Random(8);
        for (int i = 0; i < 2000; i++)
        {
            var decoder = new TlsCaptureDecoder(TextWriter.Null, null, showData: true);
            var bytes = new byte[random.Next(0, 600)];
            random.NextBytes(bytes);
            if (bytes.Length > 5)
            {
                bytes[0] = (byte)random.Next(20, 25);
                bytes[1] = 3;
            }

            decoder.Add(random.Next(2) == 0, bytes);
            decoder.Add(random.Next(2) == 0, bytes.AsSpan(bytes.Length / 2));
        }

        for (int i = 0; i < 500; i++)
        {
            var bytes = Pcap(Packet(true, 1, new byte[random.Next(0, 300)]));
            random.NextBytes(bytes.AsSpan(24 + 16));
            try
            {
                TraceCommand.Decode(CaptureFile.Read(new MemoryStream(bytes)), null, null, true, TextWriter.Null);
            }
            catch (CliException)
            {
            }
        }
    }
}
