namespace Tessera.Tests.Engine;

/// <summary>
/// The record path allocates nothing per record once warm. The engine rents its buffers from the shared ArrayPool while
/// bytes wait and returns them when empty, so these tests run alone (not beside other tests that could drain the pool
/// and make a Rent allocate).
/// </summary>
[Collection(nameof(AllocationMeasurements))]
public sealed class AllocationTests
{
    [Theory]
    [InlineData(TlsProtocolVersion.Tls13, CipherSuite.TLS_AES_128_GCM_SHA256, 1200)]
    [InlineData(TlsProtocolVersion.Tls13, CipherSuite.TLS_AES_256_GCM_SHA384, 16384)]
    [InlineData(TlsProtocolVersion.Tls13, CipherSuite.TLS_CHACHA20_POLY1305_SHA256, 100)]
    [InlineData(TlsProtocolVersion.Tls13, CipherSuite.TLS_CHACHA20_POLY1305_SHA256, 16384)]
    [InlineData(TlsProtocolVersion.Tls12, CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, 16384)]
    [InlineData(TlsProtocolVersion.Tls12, CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, 1024)]
    public void SteadyStateRecordsAllocateNothing(TlsProtocolVersion version, CipherSuite suite, int size)
    {
        using var loop = new Loopback(
            TestCerts.ClientOptions(o => { o.MaxProtocolVersion = version; o.CipherSuites = [suite]; }),
            TestCerts.ServerOptions(configure: o => o.MaxProtocolVersion = version));
        loop.Handshake();
        loop.Pump();
        var payload = new byte[size];
        var wire = new byte[size + 64];
        var received = new byte[size];

        void RoundTrip()
        {
            loop.Client.WriteApplicationData(payload);
            int n = loop.Client.ReadOutput(wire);
            loop.Server.ReceiveBytes(wire.AsSpan(0, n));
            int got = loop.Server.ReadApplicationData(received);
            if (got != size)
            {
                // Not Assert.Equal inside the loop: xUnit's comparer allocates, and this loop measures allocation.
                throw new InvalidOperationException($"got {got} of {size}");
            }
        }

        for (int i = 0; i < 200; i++)
        {
            RoundTrip();
        }

        // A one-off runtime event (a tier-1 method installed mid-loop, an IL stub built on this thread) can allocate a
        // few hundred bytes once; an allocation per record shows in every batch.
        long allocated = long.MaxValue;
        for (int attempt = 0; attempt < 3 && allocated != 0; attempt++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 2000; i++)
            {
                RoundTrip();
            }

            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Assert.True(allocated == 0, $"{allocated} bytes allocated over 2000 records ({allocated / 2000.0:F1} per record)");
    }
}

/// <summary>Tests that measure allocation run alone: parallel tests share the process's ArrayPool.</summary>
[CollectionDefinition(nameof(AllocationMeasurements), DisableParallelization = true)]
public sealed class AllocationMeasurements;
