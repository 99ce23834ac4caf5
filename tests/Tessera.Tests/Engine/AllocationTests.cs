namespace Tessera.Tests.Engine;

/// <summary>The record path allocates nothing per record once buffers have grown to their working size.</summary>
public sealed class AllocationTests
{
    [Theory]
    [InlineData(CipherSuite.TLS_AES_128_GCM_SHA256, 1200)]
    [InlineData(CipherSuite.TLS_AES_256_GCM_SHA384, 16384)]
    [InlineData(CipherSuite.TLS_CHACHA20_POLY1305_SHA256, 100)]
    public void SteadyStateRecordsAllocateNothing(CipherSuite suite, int size)
    {
        using var loop = new Loopback(TestCerts.ClientOptions(o => o.CipherSuites = [suite]), TestCerts.ServerOptions());
        loop.Handshake();
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
                throw new InvalidOperationException($"got {got} of {size}");
            }
        }

        for (int i = 0; i < 200; i++)
        {
            RoundTrip();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 2000; i++)
        {
            RoundTrip();
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated == 0, $"{allocated} bytes allocated over 2000 records ({allocated / 2000.0:F1} per record)");
    }
}
