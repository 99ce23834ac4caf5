using System.Text;
using Tessera.Ech;
using Tessera.Messages;
using Tessera.Pki;
using Tessera.Tests.Engine;

namespace Tessera.Tests.Ech;

/// <summary>
/// Encrypted Client Hello (RFC 9849) between Tessera's client and server in memory: acceptance (with and without a
/// HelloRetryRequest), rejection with retry configurations and the retry, a server without ECH, key rotation,
/// GREASE, resumption and 0-RTT inside the inner hello, and the public name authenticated on rejection.
/// </summary>
public sealed class EchHandshakeTests
{
    internal const string PublicName = "public.test";
    internal const string SecretName = "secret.test";

    private static readonly Lazy<TlsCertificate> PublicCertificate = new(() => TestCerts.Ca.IssueServerCertificate([PublicName]));
    private static readonly Lazy<TlsCertificate> SecretCertificate = new(() => TestCerts.Ca.IssueServerCertificate([SecretName]));

    internal static TlsServerOptions Server(params EchServerKey[] keys) => Server(keys, null);

    internal static TlsServerOptions Server(EchServerKey[] keys, Action<TlsServerOptions>? configure)
    {
        var options = new TlsServerOptions();
        options.Certificates.Add(PublicCertificate.Value);
        options.Certificates.Add(SecretCertificate.Value);
        foreach (var key in keys)
        {
            options.EchKeys.Add(key);
        }

        configure?.Invoke(options);
        return options;
    }

    internal static TlsClientOptions Client(byte[]? configs, Action<TlsClientOptions>? configure = null) =>
        TestCerts.ClientOptions(o =>
        {
            o.ServerName = SecretName;
            o.EchConfigList = configs;
            configure?.Invoke(o);
        });

    private static bool WireMentions(IEnumerable<byte[]> wire, string text)
    {
        var needle = Encoding.ASCII.GetBytes(text);
        return wire.Any(bytes => bytes.AsSpan().IndexOf(needle) >= 0);
    }

    private static ClientHello SentOuterHello(RecordingObserver observer) =>
        ClientHello.Parse(observer.Sent.First(m => m.Type == HandshakeType.ClientHello).Message.AsSpan(4));

    [Fact]
    public void ServerDecryptsTheInnerHelloAndTheSecretNameNeverCrossesTheWire()
    {
        using var key = EchServerKey.Generate(PublicName, maximumNameLength: 32);
        var observer = new RecordingObserver();
        using var loop = new Loopback(Client(key.ConfigList, o => { o.Observer = observer; o.ApplicationProtocols = ["secret-protocol"]; }),
            Server([key], o => o.ApplicationProtocols = ["secret-protocol"]));
        loop.Handshake();

        Assert.Equal(TlsEchStatus.Accepted, loop.Client.EchStatus);
        Assert.Equal(TlsEchStatus.Accepted, loop.Server.EchStatus);
        Assert.Equal(SecretName, loop.Server.ServerName);
        Assert.Equal(SecretName, loop.Client.ServerName);
        Assert.Equal("secret-protocol", loop.Client.NegotiatedApplicationProtocol);
        Assert.Equal(TlsProtocolVersion.Tls13, loop.Client.NegotiatedProtocol);
        Assert.False(WireMentions(loop.ClientToServer, SecretName));
        Assert.False(WireMentions(loop.ClientToServer, "secret-protocol"));   // ALPN stays in the inner hello (§10.5)
        Assert.True(WireMentions(loop.ClientToServer, PublicName));

        var outer = SentOuterHello(observer);
        Assert.Equal(PublicName, ServerNameExtension.Parse(ExtensionBlock.Find(outer.Extensions, ExtensionType.ServerName)!.Data));
        var ech = EncryptedClientHelloExtension.ParseClientHello(ExtensionBlock.Find(outer.Extensions, ExtensionType.EncryptedClientHello)!.Data);
        Assert.True(ech.IsOuter);
        Assert.Equal(key.Config.ConfigId, ech.ConfigId);
        Assert.Equal(32, ech.Enc.Length);
        Assert.Equal(0, (ech.Payload.Length - 16) % 32);   // §6.1.3: the encoded inner hello is padded to a multiple of 32

        // The inner hello was shown to the observer, and it is what the transcript used: the server's Finished verified.
        Assert.Equal("secret"u8.ToArray(), Loopback.Send(loop.Client, loop.Server, "secret"u8.ToArray()));
    }

    [Fact]
    public void HelloRetryRequestConfirmsAcceptanceAndTheSecondHelloIsSealedWithTheSameContext()
    {
        using var key = EchServerKey.Generate(PublicName);
        var observer = new RecordingObserver();
        using var loop = new Loopback(Client(key.ConfigList, o => { o.Groups = [NamedGroup.X25519, NamedGroup.Secp384r1]; o.Observer = observer; }),
            Server([key], o => o.Groups = [NamedGroup.Secp384r1]));
        loop.Handshake();
        Assert.True(loop.Client.WasHelloRetryRequest);
        var hrr = ServerHello.Parse(observer.Received.First(m => m.Type == HandshakeType.ServerHello).Message.AsSpan(4));
        Assert.Equal(EchAcceptance.Length, ExtensionBlock.Find(hrr.Extensions, ExtensionType.EncryptedClientHello)!.Data.Length);
        Assert.Null(ExtensionBlock.Find(hrr.Extensions, ExtensionType.Cookie));   // stateful behind ECH: no cookie (RFC 9849 §10.8)
        Assert.Equal(NamedGroup.Secp384r1, loop.Client.NegotiatedGroup);
        Assert.Equal(TlsEchStatus.Accepted, loop.Client.EchStatus);
        Assert.Equal(TlsEchStatus.Accepted, loop.Server.EchStatus);
        Assert.Equal(SecretName, loop.Server.ServerName);
        Assert.False(WireMentions(loop.ClientToServer, SecretName));
    }

    [Fact]
    public void AStaleConfigIsRejectedWithRetryConfigsAndTheRetrySucceeds()
    {
        using var stale = EchServerKey.Generate(PublicName, configId: 7);
        using var current = EchServerKey.Generate(PublicName, configId: 8);
        using (var loop = new Loopback(Client(stale.ConfigList), Server(current)))
        {
            var error = Assert.Throws<TlsException>(() => loop.Pump());
            Assert.Equal(AlertDescription.EchRequired, error.Alert);
            Assert.Equal(AlertSource.Local, error.AlertSource);
            Assert.Equal(current.ConfigList, error.EchRetryConfigs);
            Assert.Equal(TlsEchStatus.Rejected, loop.Client.EchStatus);
            Assert.Equal(AlertDescription.EchRequired, loop.Server.Error!.Alert);
            Assert.Equal(AlertSource.Remote, loop.Server.Error.AlertSource);
            Assert.False(loop.Client.IsHandshakeComplete);
            Assert.False(WireMentions(loop.ClientToServer, SecretName));

            using var retry = new Loopback(Client(error.EchRetryConfigs), Server(current));
            retry.Handshake();
            Assert.Equal(TlsEchStatus.Accepted, retry.Client.EchStatus);
            Assert.Equal(SecretName, retry.Server.ServerName);
        }
    }

    [Fact]
    public void BothSidesLogTheEchSecretUnderTheOuterRandomAndTrafficSecretsUnderTheInnerOne()
    {
        // RFC 9850: ECH_SECRET and ECH_CONFIG name ClientHelloOuter.random; with ECH accepted the rest name the inner random.
        using var key = EchServerKey.Generate(PublicName);
        var clientLog = new MemoryKeyLog();
        var serverLog = new MemoryKeyLog();
        var observer = new RecordingObserver();
        using var loop = new Loopback(Client(key.ConfigList, o => { o.KeyLog = clientLog; o.Observer = observer; }), Server([key], o => o.KeyLog = serverLog));
        loop.Handshake();
        var outerRandom = Convert.ToHexString(SentOuterHello(observer).Random).ToLowerInvariant();
        var innerRandom = Convert.ToHexString(observer.EchInner.Single().Message.AsSpan(6, 32)).ToLowerInvariant();
        foreach (var log in new[] { clientLog, serverLog })
        {
            var secret = Assert.Single(log.Lines, l => l.StartsWith("ECH_SECRET ", StringComparison.Ordinal)).Split(' ');
            Assert.Equal(outerRandom, secret[1]);
            Assert.Equal(64, secret[2].Length);
            var config = Assert.Single(log.Lines, l => l.StartsWith("ECH_CONFIG ", StringComparison.Ordinal)).Split(' ');
            Assert.Equal(outerRandom, config[1]);
            Assert.Equal(Convert.ToHexString(key.Config.Encode()).ToLowerInvariant(), config[2]);
            Assert.Equal(innerRandom, Assert.Single(log.Lines, l => l.StartsWith("CLIENT_TRAFFIC_SECRET_0 ", StringComparison.Ordinal)).Split(' ')[1]);
        }

        Assert.Equal(clientLog.Lines.Single(l => l.StartsWith("ECH_SECRET", StringComparison.Ordinal)), serverLog.Lines.Single(l => l.StartsWith("ECH_SECRET", StringComparison.Ordinal)));
    }

    [Fact]
    public void RotationKeepsOldKeysDecryptingWhileTheFirstKeyIsTheRetryConfig()
    {
        using var old = EchServerKey.Generate(PublicName, configId: 1);
        using var current = EchServerKey.Generate(PublicName, configId: 2);
        using var loop = new Loopback(Client(old.ConfigList), Server(current, old));
        loop.Handshake();
        Assert.Equal(TlsEchStatus.Accepted, loop.Server.EchStatus);
    }

    [Fact]
    public void ASameIdConfigWithAnotherKeyDoesNotDecryptAndIsRejected()
    {
        using var theirs = EchServerKey.Generate(PublicName, configId: 5);
        using var ours = EchServerKey.Generate(PublicName, configId: 5);
        using var loop = new Loopback(Client(theirs.ConfigList), Server(ours));
        var error = Assert.Throws<TlsException>(() => loop.Pump());
        Assert.Equal(AlertDescription.EchRequired, error.Alert);
        Assert.Equal(ours.ConfigList, error.EchRetryConfigs);
    }

    [Fact]
    public void AServerWithoutEchIsAuthenticatedForThePublicNameAndTheClientStopsWithoutRetryConfigs()
    {
        using var key = EchServerKey.Generate(PublicName);
        using var loop = new Loopback(Client(key.ConfigList), Server());
        var error = Assert.Throws<TlsException>(() => loop.Pump());
        Assert.Equal(AlertDescription.EchRequired, error.Alert);
        Assert.Null(error.EchRetryConfigs);
        Assert.Equal(PublicName, loop.Server.ServerName);
        Assert.Equal(PublicName, loop.Client.ServerName);   // the only name the connection was authenticated for
        Assert.Equal(TlsEchStatus.NotOffered, loop.Server.EchStatus);   // without ECH keys the extension is ignored
    }

    [Fact]
    public void ARejectedInnerHelloWithoutServerName_StillTakesTheServerNameAcknowledgementOfTheOuterOne()
    {
        // An IP literal gives the inner hello no server_name; the outer one names the public name, and a server that
        // uses the outer hello acknowledges it in EncryptedExtensions (RFC 6066 §3). That answers what was sent.
        using var key = EchServerKey.Generate(PublicName);
        using var loop = new Loopback(Client(key.ConfigList, o => o.ServerName = "127.0.0.1"), Server());
        var error = Assert.Throws<TlsException>(() => loop.Pump());
        Assert.Equal(AlertDescription.EchRequired, error.Alert);
        Assert.Equal(PublicName, loop.Server.ServerName);
        Assert.Equal(PublicName, loop.Client.ServerName);
    }

    [Fact]
    public void RejectionAtTheHelloRetryRequestGoesOnWithTheOuterHello()
    {
        using var key = EchServerKey.Generate(PublicName);
        using var loop = new Loopback(Client(key.ConfigList, o => o.Groups = [NamedGroup.X25519, NamedGroup.Secp256r1]),
            Server([], o => o.Groups = [NamedGroup.Secp256r1]));
        var error = Assert.Throws<TlsException>(() => loop.Pump());
        Assert.True(loop.Client.WasHelloRetryRequest);
        Assert.Equal(AlertDescription.EchRequired, error.Alert);
        Assert.Equal(PublicName, loop.Server.ServerName);
    }

    [Fact]
    public void RejectionAtTheHelloRetryRequestByAnEchServerLooksLikeAcceptanceAndSendsRetryConfigs()
    {
        using var stale = EchServerKey.Generate(PublicName, configId: 1);
        using var current = EchServerKey.Generate(PublicName, configId: 2);
        var observer = new RecordingObserver();
        using var loop = new Loopback(Client(stale.ConfigList, o => { o.Groups = [NamedGroup.X25519, NamedGroup.Secp256r1]; o.Observer = observer; }),
            Server([current], o => o.Groups = [NamedGroup.Secp256r1]));
        var error = Assert.Throws<TlsException>(() => loop.Pump());
        Assert.Equal(AlertDescription.EchRequired, error.Alert);
        Assert.Equal(current.ConfigList, error.EchRetryConfigs);
        // §7.1, §10.8: eight random bytes and no cookie, as when accepting.
        var hrr = ServerHello.Parse(observer.Received.First(m => m.Type == HandshakeType.ServerHello).Message.AsSpan(4));
        Assert.True(hrr.IsHelloRetryRequest);
        Assert.Equal(EchAcceptance.Length, ExtensionBlock.Find(hrr.Extensions, ExtensionType.EncryptedClientHello)!.Data.Length);
        Assert.Null(ExtensionBlock.Find(hrr.Extensions, ExtensionType.Cookie));
    }

    [Fact]
    public void WithoutCertificateVerificationRetryConfigsAreNotTrusted()
    {
        using var stale = EchServerKey.Generate(PublicName, configId: 1);
        using var current = EchServerKey.Generate(PublicName, configId: 2);
        using var loop = new Loopback(Client(stale.ConfigList, o => o.SkipCertificateVerification = true), Server(current));
        var error = Assert.Throws<TlsException>(() => loop.Pump());
        Assert.Equal(AlertDescription.EchRequired, error.Alert);
        Assert.Null(error.EchRetryConfigs);
        Assert.Contains("certificate verification is off", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AConfigurationWhoseKeyX25519RefusesIsSkippedForTheNext()
    {
        using var key = EchServerKey.Generate(PublicName, configId: 4);
        var lowOrder = new EchConfig { ConfigId = 3, PublicKey = new byte[32], CipherSuites = key.Config.CipherSuites, PublicName = PublicName };
        using var loop = new Loopback(Client(EchConfigList.Encode([lowOrder, key.Config])), Server(key));
        loop.Handshake();
        Assert.Equal(TlsEchStatus.Accepted, loop.Server.EchStatus);

        using var none = new Loopback(Client(EchConfigList.Encode([lowOrder])), Server(key));
        var error = Assert.Throws<TlsException>(() => none.Pump());
        Assert.Contains("no configuration in the ECHConfigList is usable", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(none.ClientToServer, bytes => bytes[0] == (byte)ContentType.Handshake);   // no hello: the name never went out in the clear
    }

    [Fact]
    public void OnRejectionTheCertificateMustBeValidForThePublicName()
    {
        using var key = EchServerKey.Generate(PublicName);
        var server = new TlsServerOptions();
        server.Certificates.Add(SecretCertificate.Value);   // no certificate for the public name
        using var loop = new Loopback(Client(key.ConfigList), server);
        var error = Assert.Throws<TlsException>(() => loop.Pump());
        Assert.NotEqual(AlertDescription.EchRequired, error.Alert);
        Assert.Contains(PublicName, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnEchClientOffersOnlyTlsThirteen()
    {
        using var key = EchServerKey.Generate(PublicName);
        var observer = new RecordingObserver();
        using var loop = new Loopback(Client(key.ConfigList, o => o.Observer = observer),
            Server([key], o => o.MaxProtocolVersion = TlsProtocolVersion.Tls12));
        var error = Assert.Throws<TlsException>(() => loop.Pump());
        Assert.Equal(AlertDescription.ProtocolVersion, error.Alert);
        var versions = SupportedVersionsExtension.ParseClientHello(ExtensionBlock.Find(SentOuterHello(observer).Extensions, ExtensionType.SupportedVersions)!.Data);
        Assert.Equal([(ushort)TlsProtocolVersion.Tls13], versions);
    }

    [Fact]
    public void GreaseLooksLikeEchAndIsIgnoredEverywhere()
    {
        using var key = EchServerKey.Generate(PublicName);
        var observer = new RecordingObserver();
        // With an ECH server: it cannot decrypt, sends retry configurations, and the GREASE client drops them.
        using (var loop = new Loopback(TestCerts.ClientOptions(o => { o.EchGrease = true; o.Observer = observer; o.ServerName = SecretName; }), Server(key)))
        {
            loop.Handshake();
            Assert.Equal(TlsEchStatus.Grease, loop.Client.EchStatus);
            Assert.Equal(TlsEchStatus.Rejected, loop.Server.EchStatus);
            var ech = EncryptedClientHelloExtension.ParseClientHello(ExtensionBlock.Find(SentOuterHello(observer).Extensions, ExtensionType.EncryptedClientHello)!.Data);
            Assert.True(ech.IsOuter);
            Assert.Equal(32, ech.Enc.Length);
            Assert.Equal(0, (ech.Payload.Length - 16) % 32);
        }

        // Without ECH, with a HelloRetryRequest (the extension is repeated byte for byte), and against TLS 1.2.
        var hrrObserver = new RecordingObserver();
        using (var loop = new Loopback(TestCerts.ClientOptions(o => { o.EchGrease = true; o.Observer = hrrObserver; o.Groups = [NamedGroup.X25519, NamedGroup.Secp256r1]; }),
            TestCerts.ServerOptions(configure: o => o.Groups = [NamedGroup.Secp256r1])))
        {
            loop.Handshake();
            Assert.True(loop.Client.WasHelloRetryRequest);
            var hellos = hrrObserver.Sent.Where(m => m.Type == HandshakeType.ClientHello).Select(m => ClientHello.Parse(m.Message.AsSpan(4))).ToList();
            Assert.Equal(2, hellos.Count);
            Assert.Equal(ExtensionBlock.Find(hellos[0].Extensions, ExtensionType.EncryptedClientHello)!.Data,
                ExtensionBlock.Find(hellos[1].Extensions, ExtensionType.EncryptedClientHello)!.Data);
            Assert.Equal(TlsEchStatus.NotOffered, loop.Server.EchStatus);   // a server without ECH keys ignores the extension
        }

        using (var loop = new Loopback(TestCerts.ClientOptions(o => o.EchGrease = true), TestCerts.ServerOptions(configure: o => o.MaxProtocolVersion = TlsProtocolVersion.Tls12)))
        {
            loop.Handshake();
            Assert.Equal(TlsProtocolVersion.Tls12, loop.Client.NegotiatedProtocol);
        }
    }

    [Fact]
    public void ResumptionAndEarlyDataTravelInsideTheInnerHello()
    {
        using var key = EchServerKey.Generate(PublicName);
        var cache = new Tessera.Sessions.TlsClientSessionCache();
        var server = Server([key], o => o.MaxEarlyDataSize = 1024);
        using (var first = new Loopback(Client(key.ConfigList, o => o.SessionCache = cache), server))
        {
            first.Handshake();
            Loopback.Send(first.Server, first.Client, "tickets"u8.ToArray());
            Assert.Equal(TlsEchStatus.Accepted, first.Client.EchStatus);
        }

        var observer = new RecordingObserver();
        using var second = new Loopback(Client(key.ConfigList, o => { o.SessionCache = cache; o.Observer = observer; o.EarlyData = "early"u8.ToArray(); }), server);
        second.Handshake();
        Assert.Equal(TlsEchStatus.Accepted, second.Client.EchStatus);
        Assert.True(second.Client.IsResumed);
        Assert.True(second.Server.IsResumed);
        Assert.Equal(TlsEarlyDataStatus.Accepted, second.Client.EarlyDataStatus);

        // §6.1.2: the outer hello carries a GREASE pre_shared_key (random identity of the same length) and early_data.
        var outer = SentOuterHello(observer);
        var inner = observer.EchInner.Single(m => m.Direction == TrafficDirection.Sent).Message;
        var innerHello = ClientHello.Parse(inner.AsSpan(4));
        var outerPsk = PreSharedKeyExtension.ParseClientHello(ExtensionBlock.Find(outer.Extensions, ExtensionType.PreSharedKey)!.Data);
        var innerPsk = PreSharedKeyExtension.ParseClientHello(ExtensionBlock.Find(innerHello.Extensions, ExtensionType.PreSharedKey)!.Data);
        Assert.Equal(innerPsk.Identities[0].Identity.Length, outerPsk.Identities[0].Identity.Length);
        Assert.NotEqual(innerPsk.Identities[0].Identity, outerPsk.Identities[0].Identity);
        Assert.NotNull(ExtensionBlock.Find(outer.Extensions, ExtensionType.EarlyData));
        Assert.Equal(ExtensionType.PreSharedKey, (ExtensionType)outer.Extensions[^1].Type);
    }
}
