using System.Security.Cryptography;

namespace Tessera.Tests.Engine;

/// <summary>External PSKs (RFC 8446 §2.2, §4.2.11) and the RFC 9258 importer: authentication without certificates, by opt-in.</summary>
public sealed class ExternalPskTests
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);

    private static TlsExternalPsk Psk(string identity = "sensor-17", byte[]? key = null, TlsHashAlgorithm hash = TlsHashAlgorithm.Sha256) =>
        new(System.Text.Encoding.ASCII.GetBytes(identity), key ?? Key, hash);

    private static TlsServerOptions PskOnlyServer(params TlsExternalPsk[] psks) => new() { ExternalPsks = psks };

    private static TlsClientOptions PskClient(TlsExternalPsk psk) => new() { ServerName = "broker.local", ExternalPsk = psk };

    [Fact]
    public void AKnownPskAuthenticatesBothSidesWithoutCertificates()
    {
        using var loop = new Loopback(PskClient(Psk()), PskOnlyServer(Psk("other", RandomNumberGenerator.GetBytes(32)), Psk()));
        loop.Handshake();
        Assert.Equal("sensor-17"u8.ToArray(), loop.Server.ExternalPskIdentity);
        Assert.Equal("sensor-17"u8.ToArray(), loop.Client.ExternalPskIdentity);
        Assert.Empty(loop.Client.PeerCertificateChain);
        Assert.False(loop.Client.IsResumed);
        Assert.NotNull(loop.Client.NegotiatedGroup);   // psk_dhe_ke: a fresh key exchange all the same
        Assert.Equal("publish"u8.ToArray(), Loopback.Send(loop.Client, loop.Server, "publish"u8.ToArray()));

        // The connection then resumes like any other, by ticket.
        var ticket = loop.Client.Session!;
        using var resumed = new Loopback(new TlsClientOptions { ServerName = "broker.local", ResumeSession = ticket, ExternalPsk = Psk() }, loop.ServerOptions);
        resumed.Handshake();
        Assert.True(resumed.Server.IsResumed);
    }

    [Fact]
    public void AnUnknownIdentityOrAWrongKeyIsRefused()
    {
        using (var unknown = new Loopback(PskClient(Psk("stranger")), PskOnlyServer(Psk())))
        {
            Assert.Equal(AlertDescription.HandshakeFailure, Assert.Throws<TlsException>(() => unknown.Pump()).Alert);
        }

        using var wrong = new Loopback(PskClient(Psk(key: RandomNumberGenerator.GetBytes(32))), PskOnlyServer(Psk()));
        var error = Assert.Throws<TlsException>(() => wrong.Pump());
        Assert.Equal(AlertDescription.DecryptError, error.Alert);
    }

    [Fact]
    public void ASha384PskTakesASha384Suite()
    {
        var psk = Psk(hash: TlsHashAlgorithm.Sha384, key: RandomNumberGenerator.GetBytes(48));
        using var loop = new Loopback(PskClient(psk), PskOnlyServer(psk));
        loop.Handshake();
        Assert.Equal(CipherSuite.TLS_AES_256_GCM_SHA384, loop.Client.NegotiatedCipherSuite);
    }

    [Fact]
    public void AServerWithACertificateFallsBackToItForAnUnknownPsk()
    {
        var server = TestCerts.ServerOptions(configure: o => o.ExternalPsks = [Psk()]);
        using var loop = new Loopback(TestCerts.ClientOptions(o => o.ExternalPsk = Psk("stranger")), server);
        loop.Handshake();
        Assert.Null(loop.Client.ExternalPskIdentity);
        Assert.NotEmpty(loop.Client.PeerCertificateChain);
        Assert.True(loop.Client.PeerCertificateVerified);
    }

    [Fact]
    public void ImportedPsksWorkAndAreNeverTheRawKey()
    {
        var imported = TlsExternalPsk.Import("device-9"u8, Key, "mqtt"u8);
        using (var loop = new Loopback(PskClient(imported), PskOnlyServer(imported)))
        {
            loop.Handshake();
            Assert.Equal(imported.Identity, loop.Server.ExternalPskIdentity);
        }

        // The same identity and key used raw ("ext binder") does not pass for the imported one ("imp binder").
        var raw = new TlsExternalPsk(imported.Identity, imported.Key);
        using var confused = new Loopback(PskClient(imported), PskOnlyServer(raw));
        Assert.Equal(AlertDescription.DecryptError, Assert.Throws<TlsException>(() => confused.Pump()).Alert);
    }

    [Fact]
    public void TheImporterIsDeterministicAndBindsContextAndTarget()
    {
        var a = TlsExternalPsk.Import("id"u8, Key, "ctx"u8);
        var b = TlsExternalPsk.Import("id"u8, Key, "ctx"u8);
        Assert.Equal(a.Identity, b.Identity);
        Assert.Equal(a.Key, b.Key);
        // ImportedIdentity: external_identity<2>, context<2>, target_protocol 0x0304, target_kdf 0x0001.
        Assert.Equal(Convert.FromHexString("0002" + "6964" + "0003" + "637478" + "0304" + "0001"), a.Identity);
        Assert.NotEqual(a.Key, TlsExternalPsk.Import("id"u8, Key, "other"u8).Key);
        var sha384 = TlsExternalPsk.Import("id"u8, Key, "ctx"u8, targetHash: TlsHashAlgorithm.Sha384);
        Assert.Equal(48, sha384.Key.Length);
        Assert.Equal(TlsHashAlgorithm.Sha384, sha384.Hash);
        Assert.NotEqual(Key, a.Key);
    }

    [Fact]
    public void WeakOrMalformedPsksAreRefusedUpFront()
    {
        Assert.Throws<ArgumentException>(() => new TlsExternalPsk("id"u8, new byte[8]));
        Assert.Throws<ArgumentException>(() => new TlsExternalPsk([], Key));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TlsExternalPsk("id"u8, Key, TlsHashAlgorithm.Sha512));
    }
}
