using Tessera.Crypto;
using Tessera.KeySchedule;
using Tessera.Messages;
using Tessera.Records;

namespace Tessera.Tests.Engine;

/// <summary>Forging TLS 1.2 records on an established in-memory connection, from the key log and the randoms on the wire.</summary>
internal static class Tls12Forgery
{
    /// <summary>Feeds <paramref name="input"/> to <paramref name="victim"/>, expects <paramref name="alert"/> in bounded time, and (with a peer) that the peer reads it.</summary>
    public static void ExpectAlert(TlsConnection victim, TlsConnection? peer, byte[] input, AlertDescription alert)
    {
        var task = Task.Run(() => Assert.Throws<TlsException>(() => victim.ReceiveBytes(input)));
        Assert.True(task.Wait(TimeSpan.FromSeconds(10)), "engine did not answer in time");
        Assert.Equal(alert, task.Result.Alert);
        Assert.Equal(AlertSource.Local, task.Result.AlertSource);
        if (peer is null)
        {
            return;
        }

        var remote = Assert.Throws<TlsException>(() => peer.ReceiveBytes(Wire.TakeOutput(victim)));
        Assert.Equal(alert, remote.Alert);
        Assert.Equal(AlertSource.Remote, remote.AlertSource);
    }

    /// <summary>The two directions' TLS 1.2 record protections, from the key log and the hellos' randoms.</summary>
    public static (Tls12AeadRecordProtection ClientWrite, Tls12AeadRecordProtection ServerWrite) KeysFromKeyLog(MemoryKeyLog log, byte[] clientHelloRecord, byte[] serverHelloRecord, CipherSuite suiteCode)
    {
        var suite = CipherSuites.Get(suiteCode);
        var clientRandom = clientHelloRecord.AsSpan(5 + 4 + 2, 32).ToArray();
        var serverRandom = serverHelloRecord.AsSpan(5 + 4 + 2, 32).ToArray();
        var master = log.Secret("CLIENT_RANDOM");
        var block = Tls12Prf.KeyBlock(DefaultCryptoProvider.Instance, suite.Hash, master, clientRandom, serverRandom, 2 * (suite.KeyLength + suite.FixedIvLength12));
        int k = suite.KeyLength, iv = suite.FixedIvLength12;
        return (new Tls12AeadRecordProtection(DefaultCryptoProvider.Instance, suite, block.AsSpan(0, k), block.AsSpan(2 * k, iv)),
                new Tls12AeadRecordProtection(DefaultCryptoProvider.Instance, suite, block.AsSpan(k, k), block.AsSpan(2 * k + iv, iv)));
    }

    /// <summary>As <see cref="KeysFromKeyLog"/> for a CBC suite with encrypt_then_mac: MAC keys first in the key block (RFC 5246 §6.3).</summary>
    public static (Tls12CbcRecordProtection ClientWrite, Tls12CbcRecordProtection ServerWrite) CbcKeysFromKeyLog(MemoryKeyLog log, byte[] clientHelloRecord, byte[] serverHelloRecord, CipherSuite suiteCode)
    {
        var suite = CipherSuites.Get(suiteCode);
        var clientRandom = clientHelloRecord.AsSpan(5 + 4 + 2, 32).ToArray();
        var serverRandom = serverHelloRecord.AsSpan(5 + 4 + 2, 32).ToArray();
        int m = suite.MacLength, k = suite.KeyLength;
        var block = Tls12Prf.KeyBlock(DefaultCryptoProvider.Instance, suite.Hash, log.Secret("CLIENT_RANDOM"), clientRandom, serverRandom, 2 * (m + k));
        return (new Tls12CbcRecordProtection(DefaultCryptoProvider.Instance, suite, block.AsSpan(0, m), block.AsSpan(2 * m, k), encryptThenMac: true),
                new Tls12CbcRecordProtection(DefaultCryptoProvider.Instance, suite, block.AsSpan(m, m), block.AsSpan(2 * m + k, k), encryptThenMac: true));
    }

    public static byte[] Seal(IRecordProtection protection, ContentType type, byte[] content)
    {
        var record = new byte[protection.Overhead + content.Length];
        int n = protection.Seal(type, content, 0, record);
        return record[..n];
    }

    /// <summary>
    /// A finished TLS 1.2 connection plus forged-record sealers for both directions, advanced past the
    /// Finished messages. The client options must log keys into <paramref name="clientLog"/>.
    /// </summary>
    public static (Loopback Loop, Tls12AeadRecordProtection ClientWrite, Tls12AeadRecordProtection ServerWrite) Connected(
        TlsClientOptions client, TlsServerOptions server, MemoryKeyLog clientLog)
    {
        var loop = new Loopback(client, server);
        loop.Handshake();
        var clientHello = Wire.Split(loop.ClientToServer[0])[0].Bytes;
        var serverHello = Wire.Split(loop.ServerToClient[0])[0].Bytes;
        var (c, s) = KeysFromKeyLog(clientLog, clientHello, serverHello, loop.Client.NegotiatedCipherSuite!.Value);
        _ = Seal(c, ContentType.Handshake, new byte[16]);   // each side's Finished used sequence number 0
        _ = Seal(s, ContentType.Handshake, new byte[16]);
        return (loop, c, s);
    }
}
