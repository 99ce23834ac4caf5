using System.Runtime.InteropServices;
using Tessera.Records;
using Tessera.Tests.Engine;

namespace Tessera.Tests.Records;

/// <summary>
/// The record path's economy: buffers rented only while bytes wait and given back (wiped where they held plaintext),
/// and an idle connection holding none (no allocation per record: <see cref="Engine.AllocationTests"/>).
/// </summary>
public sealed class RecordPathTests
{
    [Fact]
    public void AQueueRentsOnlyWhileItHoldsBytes()
    {
        using var queue = new ByteQueue(64);
        Assert.Equal(0, queue.Capacity);
        queue.Append([1, 2, 3]);
        Assert.True(queue.Capacity >= 64);
        Assert.Equal(3, queue.Count);
        var span = queue.GetAppendSpan(100);
        Assert.True(queue.Capacity >= 103);
        span[0] = 4;
        queue.Advance(1);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, queue.Span.ToArray());
        var taken = new byte[4];
        Assert.Equal(4, queue.Read(taken));
        Assert.Equal(0, queue.Capacity);   // empty: the array went back to the pool

        queue.GetAppendMemory(10);         // room taken but nothing written
        Assert.True(queue.Capacity > 0);
        queue.TrimIfEmpty();
        Assert.Equal(0, queue.Capacity);
    }

    [Fact]
    public void APlaintextQueueWipesWhatWasRead()
    {
        using var queue = new ByteQueue(64, clearConsumed: true);
        queue.Append([9, 9, 9, 9, 7]);
        Assert.True(MemoryMarshal.TryGetArray(queue.Memory, out var segment));
        var array = segment.Array!;
        int at = segment.Offset;
        var first = new byte[4];
        queue.Read(first);
        Assert.Equal(new byte[] { 9, 9, 9, 9 }, first);
        Assert.Equal(new byte[4], array.AsSpan(at, 4).ToArray());   // read, then wiped
        Assert.Equal(7, array[at + 4]);                             // still queued

        // Compaction moves what is queued to the front and must wipe the old copy.
        queue.Append(new byte[array.Length - at - 5]);
        queue.Read(new byte[queue.Count - 1]);
        Assert.Equal(1, queue.Count);
        queue.GetAppendSpan(array.Length - 1);
        Assert.DoesNotContain(array.AsSpan(1).ToArray(), b => b != 0);
    }

    [Fact]
    public void AnAbandonedQueueWipesWhatItHeldAndNeverReturnsTheArray()
    {
        using var queue = new ByteQueue(64);
        queue.Append([5, 6, 7]);
        Assert.True(MemoryMarshal.TryGetArray(queue.Memory, out var segment));
        var array = segment.Array!;
        queue.Abandon();
        Assert.Equal(0, queue.Capacity);
        Assert.Equal(new byte[3], array.AsSpan(segment.Offset, 3).ToArray());
        queue.Append([1]);   // usable again, on a new array
        Assert.NotSame(array, MemoryMarshal.TryGetArray(queue.Memory, out var again) ? again.Array : null);
    }

    public static TheoryData<TlsProtocolVersion, CipherSuite> Suites() => new()
    {
        { TlsProtocolVersion.Tls13, CipherSuite.TLS_AES_128_GCM_SHA256 },
        { TlsProtocolVersion.Tls13, CipherSuite.TLS_CHACHA20_POLY1305_SHA256 },
        { TlsProtocolVersion.Tls12, CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 },
    };

    private static Loopback Connected(TlsProtocolVersion version, CipherSuite suite)
    {
        var loop = new Loopback(
            TestCerts.ClientOptions(o => { o.MaxProtocolVersion = version; o.CipherSuites = [suite]; }),
            TestCerts.ServerOptions(configure: o => { o.MaxProtocolVersion = version; o.CipherSuites = [suite]; }));
        loop.Handshake();
        return loop;
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void AnIdleConnectionHoldsNoBuffer(TlsProtocolVersion version, CipherSuite suite)
    {
        using var loop = Connected(version, suite);
        Assert.Equal(new byte[20000], Loopback.Send(loop.Client, loop.Server, new byte[20000]));
        Assert.Equal(new byte[300], Loopback.Send(loop.Server, loop.Client, new byte[300]));
        loop.Pump();   // tickets and the rest delivered
        Assert.Equal(0, loop.Client.BufferBytesHeld);
        Assert.Equal(0, loop.Server.BufferBytesHeld);

        // Half a record waiting is held, and only until the rest comes.
        loop.Client.WriteApplicationData(new byte[1000]);
        var wire = new byte[loop.Client.PendingOutputLength];
        loop.Client.ReadOutput(wire);
        Assert.Equal(0, loop.Client.BufferBytesHeld);
        loop.Server.ReceiveBytes(wire.AsSpan(0, 500));
        Assert.True(loop.Server.BufferBytesHeld > 0);
        loop.Server.ReceiveBytes(wire.AsSpan(500));
        Assert.Equal(1000, loop.Server.ReadApplicationData(new byte[2000]));
        Assert.Equal(0, loop.Server.BufferBytesHeld);
    }
}
