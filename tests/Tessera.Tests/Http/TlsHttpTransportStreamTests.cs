using System.Buffers.Binary;
using Tessera.Http;

namespace Tessera.Tests.Http;

/// <summary>
/// The HTTP/2 write path of <see cref="TlsHttpTransportStream"/>: exactly the <c>:scheme http</c> byte of request
/// HEADERS frames becomes <c>:scheme https</c>, wherever the writes split the frames; nothing else changes.
/// </summary>
public sealed class TlsHttpTransportStreamTests
{
    private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();

    private static byte[] Frame(byte type, byte flags, uint streamId, byte[] payload)
    {
        var frame = new byte[9 + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = type;
        frame[4] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(5), streamId);
        payload.CopyTo(frame, 9);
        return frame;
    }

    // :method GET (2), :scheme http (6), :path / (4), :authority literal with incremental indexing (name index 1).
    private static readonly byte[] GetBlock = [0x82, 0x86, 0x84, 0x41, 0x09, .. "localhost"u8];

    // :method PURGE as a literal without indexing, name index 2; then :scheme http.
    private static readonly byte[] LiteralMethodBlock = [0x02, 0x05, .. "PURGE"u8, 0x86, 0x84];

    private static byte[] Run(IEnumerable<byte[]> frames, int chunk)
    {
        var wire = Preface.Concat(frames.SelectMany(f => f)).ToArray();
        var sink = new MemoryStream();
        using var stream = new TlsHttpTransportStream(sink, http2: true);
        for (var i = 0; i < wire.Length; i += chunk)
        {
            stream.WriteAsync(wire.AsMemory(i, Math.Min(chunk, wire.Length - i))).AsTask().GetAwaiter().GetResult();
        }

        return sink.ToArray();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(10)]
    [InlineData(4096)]
    public void SchemeIsRewritten_InHeadersFrames_AcrossAnySplit(int chunk)
    {
        var settings = Frame(0x4, 0, 0, [0, 3, 0, 0, 0, 100]);
        var data = Frame(0x0, 0x1, 1, [0x86, 0x86, 0x86]);   // DATA that happens to hold 0x86: untouched
        var padded = Frame(0x1, 0x8 | 0x4, 3, [2, .. GetBlock, 0, 0]);
        var priority = Frame(0x1, 0x20 | 0x4, 5, [0, 0, 0, 1, 15, .. LiteralMethodBlock]);
        var output = Run([settings, Frame(0x1, 0x5, 1, GetBlock), data, padded, priority], chunk);

        byte[] expected = [.. Preface, .. settings, .. Frame(0x1, 0x5, 1, [0x82, 0x87, .. GetBlock[2..]]), .. data,
            .. Frame(0x1, 0x8 | 0x4, 3, [2, 0x82, 0x87, .. GetBlock[2..], 0, 0]),
            .. Frame(0x1, 0x20 | 0x4, 5, [0, 0, 0, 1, 15, .. LiteralMethodBlock[..7], 0x87, 0x84])];
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(output));
    }

    [Fact]
    public void HeadersWithoutSchemeHttp_AreUntouched()
    {
        // Trailers (no pseudo-headers), an https scheme already, a dynamic table size update first, a truncated block.
        byte[][] frames =
        [
            Frame(0x1, 0x5, 1, [0x40, 0x03, .. "x-a"u8, 0x01, .. "b"u8, 0x86]),
            Frame(0x1, 0x5, 3, [0x82, 0x87, 0x84]),
            Frame(0x1, 0x5, 5, [0x3F, 0xE1, 0x1F, 0x82, 0x87]),
            Frame(0x1, 0x5, 7, [0x02, 0x7F]),
        ];
        var output = Run(frames, 3);
        Assert.Equal(Convert.ToHexString([.. Preface, .. frames.SelectMany(f => f)]), Convert.ToHexString(output));
    }

    [Fact]
    public void DynamicTableSizeUpdate_BeforeTheScheme_IsSkipped()
    {
        var output = Run([Frame(0x1, 0x5, 1, [0x3F, 0xE1, 0x1F, 0x82, 0x86])], 7);
        Assert.Equal(0x87, output[^1]);
    }

    [Fact]
    public void Http11Connections_PassThroughUnchanged_AndTlsErrorsBecomeIOExceptions()
    {
        var sink = new MemoryStream();
        using (var stream = new TlsHttpTransportStream(sink, http2: false))
        {
            byte[] request = [.. "GET / HTTP/1.1\r\n"u8, 0x86];
            stream.Write(request, 0, request.Length);
            Assert.Equal(request, sink.ToArray());
        }

        using var failing = new TlsHttpTransportStream(new FailingStream(), http2: false);
        var error = Assert.Throws<IOException>(() => failing.ReadAsync(new byte[1]).AsTask().GetAwaiter().GetResult());
        Assert.Equal(AlertDescription.BadRecordMac, Assert.IsType<TlsException>(error.InnerException).Alert);
    }

    private sealed class FailingStream : MemoryStream
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            throw new TlsException(AlertDescription.BadRecordMac, AlertSource.Remote, "test");
    }
}
