using System.Security.Cryptography;
using Tessera.Pki;

namespace Tessera.Tests.Engine;

/// <summary>Seeded randomized runs: arbitrary chunking, record sizes, key updates and padding, with every byte checked.</summary>
public sealed class RandomizedTests
{
    /// <summary>Seeds 1..8 by default; set TESSERA_RANDOM_SEEDS=N to run N seeds.</summary>
    public static TheoryData<int> Seeds()
    {
        int count = int.TryParse(Environment.GetEnvironmentVariable("TESSERA_RANDOM_SEEDS"), out int n) && n > 0 ? n : 8;
        return [.. Enumerable.Range(1, count)];
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void RandomTrafficArrivesIntact(int seed)
    {
        var random = new Random(seed);
        var suite = CipherSuites.Tls13Defaults[random.Next(3)];
        var group = NamedGroups.Defaults[random.Next(NamedGroups.Defaults.Count)];
        using var loop = new Loopback(
            TestCerts.ClientOptions(o =>
            {
                o.CipherSuites = [suite];
                o.Groups = random.Next(2) == 0 ? [group] : [NamedGroup.X25519, group];
                o.RecordPaddingBlockSize = random.Next(3) == 0 ? random.Next(1, 300) : 0;
                o.RecordSizeLimit = random.Next(3) == 0 ? random.Next(64, 16386) : null;
            }),
            TestCerts.ServerOptions(configure: o =>
            {
                o.Groups = [group];
                o.RecordPaddingBlockSize = random.Next(3) == 0 ? random.Next(1, 300) : 0;
                o.RecordSizeLimit = random.Next(3) == 0 ? random.Next(64, 16386) : null;
            }));
        loop.Handshake(chunk: random.Next(1, 3000));

        var sentToServer = new MemoryStream();
        var sentToClient = new MemoryStream();
        var gotByServer = new MemoryStream();
        var gotByClient = new MemoryStream();
        var buffer = new byte[70_000];
        for (int step = 0; step < 60; step++)
        {
            var (from, sent) = random.Next(2) == 0 ? (loop.Client, sentToServer) : (loop.Server, sentToClient);
            switch (random.Next(6))
            {
                case 0:
                    from.RequestKeyUpdate(random.Next(2) == 0);
                    break;
                default:
                    var data = RandomNumberGenerator.GetBytes(random.Next(0, 40_000));
                    from.WriteApplicationData(data);
                    sent.Write(data);
                    break;
            }

            loop.Pump(chunk: random.Next(1, 20_000));
            int n;
            while ((n = loop.Server.ReadApplicationData(buffer)) > 0)
            {
                gotByServer.Write(buffer, 0, n);
            }

            while ((n = loop.Client.ReadApplicationData(buffer)) > 0)
            {
                gotByClient.Write(buffer, 0, n);
            }
        }

        Assert.Equal(sentToServer.ToArray(), gotByServer.ToArray());
        Assert.Equal(sentToClient.ToArray(), gotByClient.ToArray());
    }

    [Fact]
    public void AHugeCertificateChainCrossesManyTinyRecords()
    {
        // ~45 certificates: the Certificate message is far beyond one record, and with a 64-byte
        // record_size_limit it arrives in hundreds of records that must be reassembled.
        var leaf = TestCerts.Server(CertificateKeyType.EcdsaP256);
        var chain = new List<byte[]> { leaf.Chain[0] };
        chain.AddRange(Enumerable.Repeat(leaf.Chain[1], 44));
        var serverOptions = new TlsServerOptions();
        serverOptions.Certificates.Add(new TlsCertificate(chain, leaf.PrivateKey) { DnsNames = ["localhost"] });
        using var loop = new Loopback(TestCerts.ClientOptions(o => o.RecordSizeLimit = 64), serverOptions);
        loop.Handshake();
        Assert.Equal(45, loop.Client.PeerCertificateChain.Count);
        Assert.True(chain.Sum(c => c.Length) > 16384);
    }
}
