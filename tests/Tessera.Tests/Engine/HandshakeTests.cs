using System.Security.Cryptography;
using Tessera.Messages;
using Tessera.Pki;

namespace Tessera.Tests.Engine;

public sealed class HandshakeTests
{
    public static TheoryData<CipherSuite, NamedGroup, CertificateKeyType> Matrix()
    {
        var data = new TheoryData<CipherSuite, NamedGroup, CertificateKeyType>();
        foreach (var suite in CipherSuites.Tls13Defaults)
        {
            foreach (var group in NamedGroups.Defaults)
            {
                foreach (var key in new[] { CertificateKeyType.EcdsaP256, CertificateKeyType.EcdsaP384, CertificateKeyType.Rsa2048, CertificateKeyType.Ed25519 })
                {
                    data.Add(suite, group, key);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public void EverySuiteGroupAndCertificateTypeCompletesAndCarriesData(CipherSuite suite, NamedGroup group, CertificateKeyType keyType)
    {
        using var loop = new Loopback(
            TestCerts.ClientOptions(o => { o.CipherSuites = [suite]; o.Groups = [group]; }),
            TestCerts.ServerOptions(keyType));
        loop.Handshake();

        foreach (var side in new[] { loop.Client, loop.Server })
        {
            Assert.Equal(TlsProtocolVersion.Tls13, side.NegotiatedProtocol);
            Assert.Equal(suite, side.NegotiatedCipherSuite);
            Assert.Equal(group, side.NegotiatedGroup);
            Assert.Equal(TlsConnectionState.Connected, side.State);
        }

        var expectedScheme = keyType switch
        {
            CertificateKeyType.EcdsaP256 => SignatureScheme.ecdsa_secp256r1_sha256,
            CertificateKeyType.EcdsaP384 => SignatureScheme.ecdsa_secp384r1_sha384,
            CertificateKeyType.Ed25519 => SignatureScheme.ed25519,
            _ => SignatureScheme.rsa_pss_rsae_sha256,
        };
        Assert.Equal(expectedScheme, loop.Client.PeerSignatureScheme);
        Assert.Equal(expectedScheme, loop.Server.LocalSignatureScheme);
        Assert.True(loop.Client.PeerCertificateVerified);
        Assert.Equal("localhost", loop.Server.ServerName);

        var request = RandomNumberGenerator.GetBytes(40_000);
        Assert.Equal(request, Loopback.Send(loop.Client, loop.Server, request));
        Assert.Equal(request, Loopback.Send(loop.Server, loop.Client, request));
    }

    [Theory]
    [InlineData(SignatureScheme.ecdsa_secp256r1_sha256, CertificateKeyType.EcdsaP256)]
    [InlineData(SignatureScheme.ecdsa_secp384r1_sha384, CertificateKeyType.EcdsaP384)]
    [InlineData(SignatureScheme.rsa_pss_rsae_sha256, CertificateKeyType.Rsa2048)]
    [InlineData(SignatureScheme.rsa_pss_rsae_sha384, CertificateKeyType.Rsa2048)]
    [InlineData(SignatureScheme.rsa_pss_rsae_sha512, CertificateKeyType.Rsa2048)]
    [InlineData(SignatureScheme.rsa_pss_pss_sha256, CertificateKeyType.RsaPss2048)]
    [InlineData(SignatureScheme.rsa_pss_pss_sha384, CertificateKeyType.RsaPss2048)]
    [InlineData(SignatureScheme.rsa_pss_pss_sha512, CertificateKeyType.RsaPss2048)]
    [InlineData(SignatureScheme.ed25519, CertificateKeyType.Ed25519)]
    public void EverySignatureSchemeSignsAndVerifies(SignatureScheme scheme, CertificateKeyType keyType)
    {
        using var loop = new Loopback(TestCerts.ClientOptions(o => o.SignatureSchemes = [scheme]), TestCerts.ServerOptions(keyType));
        loop.Handshake();
        Assert.Equal(scheme, loop.Client.PeerSignatureScheme);
        Assert.Equal(scheme, loop.Server.LocalSignatureScheme);
    }

    [Fact]
    public void AnRsaPssKeyNeverSignsWithRsaeSchemes()
    {
        using var loop = new Loopback(TestCerts.ClientOptions(o => o.SignatureSchemes = [SignatureScheme.rsa_pss_rsae_sha256]), TestCerts.ServerOptions(CertificateKeyType.RsaPss2048));
        Assert.Equal(AlertDescription.HandshakeFailure, Assert.Throws<TlsException>(() => loop.Pump()).Alert);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(5)]
    public void HandshakeSurvivesTinyDeliveries(int chunk)
    {
        using var loop = new Loopback(TestCerts.ClientOptions(), TestCerts.ServerOptions());
        loop.Handshake(chunk);
        loop.Client.WriteApplicationData("ping"u8);
        loop.Pump(chunk);
        var buffer = new byte[16];
        Assert.Equal(4, loop.Server.ReadApplicationData(buffer));
    }

    [Fact]
    public void ServerFlightIsCoalescedAndClientParsesItFromOneDelivery()
    {
        using var loop = new Loopback(TestCerts.ClientOptions(), TestCerts.ServerOptions(configure: o => o.SessionTicketCount = 0));
        loop.Handshake();
        // ClientHello; then one delivery with ServerHello, CCS and the encrypted flight; then the client's CCS + Finished
        // (tickets, which would follow the client's Finished, are turned off here).
        Assert.Single(loop.ServerToClient);
        Assert.Equal(2, loop.ClientToServer.Count);
    }

    [Fact]
    public void GroupMismatchTriggersHelloRetryRequestWithCookie()
    {
        var observer = new RecordingObserver();
        using var loop = new Loopback(
            TestCerts.ClientOptions(o => { o.Groups = [NamedGroup.X25519, NamedGroup.Secp384r1]; o.Observer = observer; }),
            TestCerts.ServerOptions(configure: o => o.Groups = [NamedGroup.Secp384r1]));
        loop.Handshake();
        Assert.True(loop.Client.WasHelloRetryRequest);
        Assert.True(loop.Server.WasHelloRetryRequest);
        Assert.Equal(NamedGroup.Secp384r1, loop.Client.NegotiatedGroup);
        var clientHellos = observer.Sent.Where(m => m.Type == HandshakeType.ClientHello).ToList();
        Assert.Equal(2, clientHellos.Count);
        var second = ClientHello.Parse(clientHellos[1].Message.AsSpan(4));
        Assert.NotNull(ExtensionBlock.Find(second.Extensions, ExtensionType.Cookie));
        Assert.Equal((ushort)NamedGroup.Secp384r1, KeyShareExtension.ParseClientHello(ExtensionBlock.Find(second.Extensions, ExtensionType.KeyShare)!.Data).Single().Group);
        Assert.Equal("ping"u8.ToArray(), Loopback.Send(loop.Client, loop.Server, "ping"u8.ToArray()));
    }

    [Fact]
    public void ObserverSeesRecordsMessagesSecretsAndKeyChangesButNoSecretValues()
    {
        var observer = new RecordingObserver();
        var keyLog = new MemoryKeyLog();
        using var loop = new Loopback(TestCerts.ClientOptions(o => { o.Observer = observer; o.KeyLog = keyLog; }), TestCerts.ServerOptions());
        loop.Handshake();
        Assert.Equal([HandshakeType.ClientHello, HandshakeType.Finished], observer.Sent.Select(m => m.Type));
        Assert.Equal(
            [HandshakeType.ServerHello, HandshakeType.EncryptedExtensions, HandshakeType.Certificate, HandshakeType.CertificateVerify, HandshakeType.Finished,
             HandshakeType.NewSessionTicket, HandshakeType.NewSessionTicket],
            observer.Received.Select(m => m.Type));
        Assert.Equal(["c hs traffic", "s hs traffic", "c ap traffic", "s ap traffic", "exp master", "res master"], observer.Secrets);

        var protectedIn = observer.Records.Where(r => r.Direction == TrafficDirection.Received && r.Record.IsProtected).ToList();
        Assert.Equal(6, protectedIn.Count);   // EncryptedExtensions, Certificate, CertificateVerify, Finished, two NewSessionTickets
        Assert.All(protectedIn, r => Assert.Equal(ContentType.Handshake, r.Record.InnerType));
        Assert.All(protectedIn, r => Assert.Equal(ContentType.ApplicationData, r.Record.OuterType));
        var ccs = Assert.Single(observer.Records, r => r.Direction == TrafficDirection.Sent && r.Record.OuterType == ContentType.ChangeCipherSpec);
        Assert.False(ccs.Record.IsProtected);

        // The observer gets labels only; no secret from the key log appears in anything it saw.
        var seen = string.Join(" ", observer.Secrets);
        Assert.All(keyLog.Lines, l => Assert.DoesNotContain(l.Split(' ')[2], seen, StringComparison.Ordinal));
    }

    [Fact]
    public void HelloRetryRequestDisabledMeansHandshakeFailure()
    {
        using var loop = new Loopback(
            TestCerts.ClientOptions(o => o.Groups = [NamedGroup.X25519, NamedGroup.Secp256r1]),
            TestCerts.ServerOptions(configure: o => { o.Groups = [NamedGroup.Secp256r1]; o.AllowHelloRetryRequest = false; }));
        var ex = Assert.Throws<TlsException>(() => loop.Pump());
        Assert.Equal(AlertDescription.HandshakeFailure, ex.Alert);
    }

    [Fact]
    public void ServerPrefersItsOwnSuiteOrder()
    {
        using var loop = new Loopback(
            TestCerts.ClientOptions(o => o.CipherSuites = [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_CHACHA20_POLY1305_SHA256]),
            TestCerts.ServerOptions(configure: o => o.CipherSuites = [CipherSuite.TLS_CHACHA20_POLY1305_SHA256, CipherSuite.TLS_AES_128_GCM_SHA256]));
        loop.Handshake();
        Assert.Equal(CipherSuite.TLS_CHACHA20_POLY1305_SHA256, loop.Client.NegotiatedCipherSuite);
    }

    [Fact]
    public void AlpnPicksTheServersPreferenceAndBothSidesSeeIt()
    {
        using var loop = new Loopback(
            TestCerts.ClientOptions(o => o.ApplicationProtocols = ["http/1.1", "h2"]),
            TestCerts.ServerOptions(configure: o => o.ApplicationProtocols = ["h2", "http/1.1"]));
        loop.Handshake();
        Assert.Equal("h2", loop.Client.NegotiatedApplicationProtocol);
        Assert.Equal("h2", loop.Server.NegotiatedApplicationProtocol);
    }

    [Fact]
    public void AlpnWithNothingInCommonIsNoApplicationProtocol()
    {
        using var loop = new Loopback(
            TestCerts.ClientOptions(o => o.ApplicationProtocols = ["h2"]),
            TestCerts.ServerOptions(configure: o => o.ApplicationProtocols = ["imap"]));
        var ex = Assert.Throws<TlsException>(() => loop.Pump());
        Assert.Equal(AlertDescription.NoApplicationProtocol, ex.Alert);
        Assert.Equal(AlertSource.Remote, loop.Client.Error!.AlertSource);
        Assert.Equal(AlertDescription.NoApplicationProtocol, loop.Client.Error.Alert);
    }

    [Fact]
    public void ServerPicksTheCertificateByNameAndSignatureScheme()
    {
        var other = TestCerts.Ca.IssueServerCertificate(["other.test"], CertificateKeyType.Ed25519);
        var serverOptions = TestCerts.ServerOptions(CertificateKeyType.Rsa2048);
        serverOptions.Certificates.Add(other);

        using (var loop = new Loopback(TestCerts.ClientOptions(o => o.ServerName = "other.test"), serverOptions))
        {
            loop.Handshake();
            Assert.Equal(SignatureScheme.ed25519, loop.Client.PeerSignatureScheme);
            Assert.Equal("other.test", loop.Server.ServerName);
        }

        // A client that cannot take Ed25519 gets the RSA certificate instead (and then rejects the name).
        using var loop2 = new Loopback(
            TestCerts.ClientOptions(o => { o.ServerName = "localhost"; o.SignatureSchemes = [SignatureScheme.rsa_pss_rsae_sha256]; }),
            serverOptions);
        loop2.Handshake();
        Assert.Equal(SignatureScheme.rsa_pss_rsae_sha256, loop2.Client.PeerSignatureScheme);
    }

    [Fact]
    public void SignatureAlgorithmsCertSteersTheChainChoice()
    {
        using var rsaCa = TestCertificateAuthority.Create(CertificateKeyType.Rsa2048, "RSA CA");
        var ecdsaChain = TestCerts.Server(CertificateKeyType.EcdsaP256);             // leaf signed ecdsa_secp256r1_sha256
        var rsaChain = rsaCa.IssueServerCertificate(["localhost"], CertificateKeyType.EcdsaP256);   // leaf signed rsa_pkcs1_sha256
        Assert.Equal(SignatureScheme.ecdsa_secp256r1_sha256, CertificateSignatureAlgorithm.Of(ecdsaChain.Chain[0]));
        Assert.Equal(SignatureScheme.rsa_pkcs1_sha256, CertificateSignatureAlgorithm.Of(rsaChain.Chain[0]));

        var serverOptions = new TlsServerOptions();
        serverOptions.Certificates.Add(ecdsaChain);
        serverOptions.Certificates.Add(rsaChain);
        var verifier = new X509CertificateVerifier([TestCerts.Ca.RootCertificateDer, rsaCa.RootCertificateDer]);

        using (var loop = new Loopback(TestCerts.ClientOptions(o => { o.CertificateVerifier = verifier; o.CertificateSignatureSchemes = [SignatureScheme.rsa_pkcs1_sha256]; }), serverOptions))
        {
            loop.Handshake();
            Assert.Equal(rsaChain.Chain[0], loop.Client.PeerCertificateChain[0]);
        }

        using (var loop = new Loopback(TestCerts.ClientOptions(o => o.CertificateVerifier = verifier), serverOptions))
        {
            loop.Handshake();
            Assert.Equal(ecdsaChain.Chain[0], loop.Client.PeerCertificateChain[0]);
        }

        // Nothing fits signature_algorithms_cert: the server still sends a chain of its choice (§4.4.2.2).
        using (var loop = new Loopback(TestCerts.ClientOptions(o => { o.CertificateVerifier = verifier; o.CertificateSignatureSchemes = [SignatureScheme.ed25519]; }), serverOptions))
        {
            loop.Handshake();
            Assert.Equal(ecdsaChain.Chain[0], loop.Client.PeerCertificateChain[0]);
        }
    }

    [Fact]
    public void NoSignatureSchemeInCommonIsHandshakeFailure()
    {
        using var loop = new Loopback(
            TestCerts.ClientOptions(o => o.SignatureSchemes = [SignatureScheme.ed25519]),
            TestCerts.ServerOptions(CertificateKeyType.EcdsaP256));
        var ex = Assert.Throws<TlsException>(() => loop.Pump());
        Assert.Equal(AlertDescription.HandshakeFailure, ex.Alert);
    }

    [Fact]
    public void NoSuiteInCommonIsHandshakeFailureOnBothSides()
    {
        using var loop = new Loopback(
            TestCerts.ClientOptions(o => o.CipherSuites = [CipherSuite.TLS_AES_256_GCM_SHA384]),
            TestCerts.ServerOptions(configure: o => o.CipherSuites = [CipherSuite.TLS_AES_128_GCM_SHA256]));
        var ex = Assert.Throws<TlsException>(() => loop.Pump());
        Assert.Equal(AlertDescription.HandshakeFailure, ex.Alert);
        Assert.Equal(AlertSource.Local, loop.Server.Error!.AlertSource);
        Assert.Equal(AlertSource.Remote, loop.Client.Error!.AlertSource);
        Assert.Equal(AlertDescription.HandshakeFailure, loop.Client.Error.Alert);
    }

    [Fact]
    public void KeyUpdateStormInBothDirectionsKeepsDataFlowing()
    {
        // A storm is what TlsLimits stops by default (LimitTests); here both sides allow it, to see the keys keep step.
        static void Allow(TlsLimits limits) => (limits.MaxKeyUpdatesWithoutData, limits.MaxPostHandshakeMessagesWithoutData) = (1000, 1000);
        using var loop = new Loopback(TestCerts.ClientOptions(o => Allow(o.Limits)), TestCerts.ServerOptions(configure: o => Allow(o.Limits)));
        loop.Handshake();
        for (int i = 0; i < 200; i++)
        {
            loop.Client.RequestKeyUpdate(requestPeerUpdate: true);
            if (i % 3 == 0)
            {
                loop.Server.RequestKeyUpdate(requestPeerUpdate: i % 2 == 0);
            }
        }

        loop.Pump();
        // 200 of its own, plus at most one answer to the server's burst of requests.
        Assert.InRange(loop.Client.KeyUpdateCount.Sent, 200, 201);
        Assert.Equal(loop.Client.KeyUpdateCount.Sent, loop.Server.KeyUpdateCount.Received);
        // The server answers a burst of requests once, not 200 times.
        Assert.True(loop.Server.KeyUpdateCount.Sent <= 67 + 1, $"server sent {loop.Server.KeyUpdateCount.Sent}");
        Assert.Equal(loop.Server.KeyUpdateCount.Sent, loop.Client.KeyUpdateCount.Received);
        Assert.Equal("after"u8.ToArray(), Loopback.Send(loop.Client, loop.Server, "after"u8.ToArray()));
        Assert.Equal("back"u8.ToArray(), Loopback.Send(loop.Server, loop.Client, "back"u8.ToArray()));
    }

    [Fact]
    public void SequenceNumberLimitForcesAKeyUpdate()
    {
        using var loop = new Loopback(TestCerts.ClientOptions(), TestCerts.ServerOptions());
        loop.Handshake();
        loop.Client.AutoKeyUpdateThreshold = 10;
        for (int i = 0; i < 35; i++)
        {
            Assert.Equal(new[] { (byte)i }, Loopback.Send(loop.Client, loop.Server, [(byte)i]));
        }

        Assert.Equal(3, loop.Client.KeyUpdateCount.Sent);
        Assert.Equal(3, loop.Server.KeyUpdateCount.Received);
    }

    [Fact]
    public void CloseNotifyInBothDirections()
    {
        using var loop = new Loopback(TestCerts.ClientOptions(), TestCerts.ServerOptions());
        loop.Handshake();
        loop.Client.WriteApplicationData("last words"u8);
        loop.Client.Close();
        Assert.Throws<InvalidOperationException>(() => loop.Client.WriteApplicationData("more"u8));
        loop.Pump();
        Assert.True(loop.Server.IsReadClosed);
        var buffer = new byte[64];
        Assert.Equal(10, loop.Server.ReadApplicationData(buffer));
        Assert.Equal(TlsConnectionState.Connected, loop.Server.State);
        loop.Server.Close();
        loop.Pump();
        Assert.Equal(TlsConnectionState.Closed, loop.Server.State);
        Assert.Equal(TlsConnectionState.Closed, loop.Client.State);
    }

    [Fact]
    public void RecordSizeLimitBoundsThePeersRecords()
    {
        using var loop = new Loopback(TestCerts.ClientOptions(o => o.RecordSizeLimit = 256), TestCerts.ServerOptions());
        loop.Handshake();
        loop.ServerToClient.Clear();
        loop.Server.WriteApplicationData(new byte[5000]);
        loop.Pump();
        var wire = loop.ServerToClient.Single();
        int offset = 0, records = 0;
        while (offset < wire.Length)
        {
            int length = (wire[offset + 3] << 8) | wire[offset + 4];
            Assert.True(length <= 256 + 16, $"record of {length} bytes");
            offset += 5 + length;
            records++;
        }

        Assert.True(records >= 5000 / 255);
        var buffer = new byte[6000];
        Assert.Equal(5000, loop.Client.ReadApplicationData(buffer));
    }

    [Fact]
    public void PaddedRecordsHideLengthsAndStillDecode()
    {
        using var loop = new Loopback(TestCerts.ClientOptions(o => o.RecordPaddingBlockSize = 512), TestCerts.ServerOptions());
        loop.Handshake();
        loop.ClientToServer.Clear();
        loop.Client.WriteApplicationData("x"u8);
        loop.Pump();
        var wire = loop.ClientToServer.Single();
        Assert.Equal(5 + 512 + 16, wire.Length);
        var buffer = new byte[8];
        Assert.Equal(1, loop.Server.ReadApplicationData(buffer));
    }

    [Fact]
    public void MutualAuthenticationWithAClientCertificate()
    {
        var clientCert = TestCerts.Ca.IssueClientCertificate("client one", CertificateKeyType.EcdsaP256);
        using var loop = new Loopback(
            TestCerts.ClientOptions(o => o.ClientCertificate = clientCert),
            TestCerts.ServerOptions(configure: o =>
            {
                o.RequireClientCertificate = true;
                o.CertificateVerifier = new X509CertificateVerifier([TestCerts.Ca.RootCertificateDer]);
            }));
        loop.Handshake();
        Assert.True(loop.Server.PeerCertificateVerified);
        Assert.Equal(clientCert.Chain[0], loop.Server.PeerCertificateChain[0]);
        Assert.Equal(SignatureScheme.ecdsa_secp256r1_sha256, loop.Server.PeerSignatureScheme);
    }

    [Fact]
    public void RequiredClientCertificateMissingIsCertificateRequired()
    {
        using var loop = new Loopback(
            TestCerts.ClientOptions(),
            TestCerts.ServerOptions(configure: o =>
            {
                o.RequireClientCertificate = true;
                o.CertificateVerifier = new X509CertificateVerifier([TestCerts.Ca.RootCertificateDer]);
            }));
        var ex = Assert.Throws<TlsException>(() => loop.Pump());
        Assert.Equal(AlertDescription.CertificateRequired, ex.Alert);
        Assert.Equal(AlertDescription.CertificateRequired, loop.Client.Error!.Alert);
    }

    [Fact]
    public void UntrustedServerCertificateIsUnknownCa()
    {
        var stranger = TestCertificateAuthority.Create(CertificateKeyType.EcdsaP256, "Stranger CA");
        var serverOptions = new TlsServerOptions();
        serverOptions.Certificates.Add(stranger.IssueServerCertificate(["localhost"], CertificateKeyType.EcdsaP256));
        using var loop = new Loopback(TestCerts.ClientOptions(), serverOptions);
        var ex = Assert.Throws<TlsException>(() => loop.Pump());
        Assert.Equal(AlertDescription.UnknownCa, ex.Alert);
        Assert.Equal(AlertDescription.UnknownCa, loop.Server.Error!.Alert);
        Assert.Equal(AlertSource.Remote, loop.Server.Error.AlertSource);
    }

    [Fact]
    public void WrongHostNameIsBadCertificate()
    {
        using var loop = new Loopback(TestCerts.ClientOptions(o => o.ServerName = "evil.test"), TestCerts.ServerOptions());
        var ex = Assert.Throws<TlsException>(() => loop.Pump());
        Assert.Equal(AlertDescription.BadCertificate, ex.Alert);
    }

    [Fact]
    public void KeyLogHasTheNssLabelsAndBothSidesAgree()
    {
        var clientLog = new MemoryKeyLog();
        var serverLog = new MemoryKeyLog();
        using var loop = new Loopback(TestCerts.ClientOptions(o => o.KeyLog = clientLog), TestCerts.ServerOptions(configure: o => o.KeyLog = serverLog));
        loop.Handshake();
        Assert.Equal(clientLog.Lines, serverLog.Lines);
        Assert.Equal(
            ["CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0", "EXPORTER_SECRET"],
            clientLog.Lines.Select(l => l.Split(' ')[0]));
        Assert.All(clientLog.Lines, l => Assert.Equal(64, l.Split(' ')[1].Length));
    }

    [Fact]
    public void ExportedKeyingMaterialMatchesOnBothSides()
    {
        using var loop = new Loopback(TestCerts.ClientOptions(), TestCerts.ServerOptions());
        loop.Handshake();
        var a = loop.Client.ExportKeyingMaterial("EXPERIMENTAL test", "ctx"u8, 32);
        var b = loop.Server.ExportKeyingMaterial("EXPERIMENTAL test", "ctx"u8, 32);
        Assert.Equal(a, b);
        Assert.NotEqual(a, loop.Client.ExportKeyingMaterial("EXPERIMENTAL test", "other"u8, 32));
    }

    [Fact]
    public void AsynchronousSigningAndVerificationSuspendAndResume()
    {
        var slowKey = new DelayedKey(TestCerts.Server().PrivateKey);
        var serverOptions = new TlsServerOptions();
        serverOptions.Certificates.Add(new TlsCertificate(TestCerts.Server().Chain, slowKey) { DnsNames = ["localhost"] });
        using var loop = new Loopback(TestCerts.ClientOptions(), serverOptions);
        loop.Client.Start();
        var hello = new byte[loop.Client.PendingOutputLength];
        loop.Client.ReadOutput(hello);
        loop.Server.ReceiveBytes(hello);
        Assert.NotNull(loop.Server.PendingOperation);
        Assert.Throws<InvalidOperationException>(() => loop.Server.ResumePendingOperation());
        slowKey.Release();
        loop.Handshake();
        Assert.Equal(1, slowKey.Calls);
    }

    private sealed class DelayedKey(Tessera.Crypto.ITlsPrivateKey inner) : Tessera.Crypto.ITlsPrivateKey
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Calls { get; private set; }

        public SignatureKeyType KeyType => inner.KeyType;

        public NamedGroup? Curve => inner.Curve;

        public ReadOnlyMemory<byte> SubjectPublicKeyInfo => inner.SubjectPublicKeyInfo;

        public bool CanSign(SignatureScheme scheme) => inner.CanSign(scheme);

        public void Release() => _gate.SetResult();

        public async ValueTask<byte[]> SignAsync(SignatureScheme scheme, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
        {
            Calls++;
            await _gate.Task.ConfigureAwait(false);
            return await inner.SignAsync(scheme, data, cancellationToken).ConfigureAwait(false);
        }
    }
}

internal sealed class RecordingObserver : ITlsObserver
{
    public List<(HandshakeType Type, byte[] Message)> Sent { get; } = [];

    public List<(HandshakeType Type, byte[] Message)> Received { get; } = [];

    public List<string> Secrets { get; } = [];

    public List<(TrafficDirection Direction, AlertDescription Alert)> Alerts { get; } = [];

    public List<(TrafficDirection Direction, TlsRecordInfo Record)> Records { get; } = [];

    public void OnRecord(TrafficDirection direction, in TlsRecordInfo record) => Records.Add((direction, record));

    public void OnHandshakeMessage(TrafficDirection direction, HandshakeType type, ReadOnlySpan<byte> message) =>
        (direction == TrafficDirection.Sent ? Sent : Received).Add((type, message.ToArray()));

    public void OnSecretDerived(string label) => Secrets.Add(label);

    public void OnKeyChange(TrafficDirection direction, string description)
    {
    }

    public void OnAlert(TrafficDirection direction, AlertDescription alert) => Alerts.Add((direction, alert));

    public List<(TrafficDirection Direction, byte[] Message)> EchInner { get; } = [];

    public void OnEchInnerClientHello(TrafficDirection direction, ReadOnlySpan<byte> message) => EchInner.Add((direction, message.ToArray()));
}
