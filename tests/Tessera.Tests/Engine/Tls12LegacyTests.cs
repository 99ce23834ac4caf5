using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Tessera.Messages;
using Tessera.Pki;

namespace Tessera.Tests.Engine;

/// <summary>The legacy TLS 1.2 set: never offered or accepted by default, complete and correct when <see cref="TlsOptions.Legacy"/> allows it.</summary>
public sealed class Tls12LegacyTests
{
    public static TheoryData<CipherSuite> LegacySuites()
    {
        var data = new TheoryData<CipherSuite>();
        foreach (var suite in CipherSuites.Legacy)
        {
            data.Add(suite);
        }

        return data;
    }

    private static CertificateKeyType KeyFor(CipherSuite suite) =>
        CipherSuites.Get(suite).Authentication == SuiteAuthentication.Ecdsa ? CertificateKeyType.EcdsaP256 : CertificateKeyType.Rsa2048;

    [Theory]
    [MemberData(nameof(LegacySuites))]
    public void EveryLegacySuiteCompletesFullAndResumedWhenAllowed(CipherSuite suite)
    {
        var info = CipherSuites.Get(suite);
        var server = TestCerts.ServerOptions(KeyFor(suite), o => o.Legacy = info.RequiredLegacy);
        Sessions.TlsSession? session = null;
        for (int round = 0; round < 2; round++)
        {
            using var loop = new Loopback(
                TestCerts.ClientOptions(o => { o.CipherSuites = [suite]; o.Legacy = info.RequiredLegacy; o.ResumeSession = session; }), server);
            loop.Handshake();
            foreach (var side in new[] { loop.Client, loop.Server })
            {
                Assert.Equal(TlsProtocolVersion.Tls12, side.NegotiatedProtocol);
                Assert.Equal(suite, side.NegotiatedCipherSuite);
                Assert.Equal(info.IsCbc, side.EncryptThenMac);
                Assert.Equal(round == 1, side.IsResumed);
                NamedGroup? expectedGroup = round == 1 ? null : info.KeyExchange switch
                {
                    TlsKeyExchange.Dhe => NamedGroup.Ffdhe2048,
                    TlsKeyExchange.Ecdhe => NamedGroup.X25519,
                    _ => null,
                };
                Assert.Equal(expectedGroup, side.NegotiatedGroup);
            }

            var data = RandomNumberGenerator.GetBytes(40_000);
            Assert.Equal(data, Loopback.Send(loop.Client, loop.Server, data));
            Assert.Equal(data, Loopback.Send(loop.Server, loop.Client, data));
            session = loop.Client.Session;
        }
    }

    public static TheoryData<CipherSuite, TlsProtocolVersion, CertificateKeyType?> OldVersionCases()
    {
        var data = new TheoryData<CipherSuite, TlsProtocolVersion, CertificateKeyType?>();
        foreach (var suite in CipherSuites.Legacy.Where(s => CipherSuites.Get(s).UsableIn(TlsProtocolVersion.Tls10)))
        {
            data.Add(suite, TlsProtocolVersion.Tls10, null);
            data.Add(suite, TlsProtocolVersion.Tls11, null);
        }

        // Client certificates: RSA signs MD5 ‖ SHA-1, ECDSA signs SHA-1, with no algorithm field.
        data.Add(CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, TlsProtocolVersion.Tls10, CertificateKeyType.Rsa2048);
        data.Add(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, TlsProtocolVersion.Tls11, CertificateKeyType.EcdsaP256);
        return data;
    }

    [Theory]
    [MemberData(nameof(OldVersionCases))]
    public void Tls10And11CompleteWithEveryCbcShaSuiteWhenAllowed(CipherSuite suite, TlsProtocolVersion version, CertificateKeyType? clientKey)
    {
        var info = CipherSuites.Get(suite);
        var policy = info.RequiredLegacy | LegacyPolicy.Tls10And11;
        using var loop = new Loopback(
            TestCerts.ClientOptions(o =>
            {
                o.CipherSuites = [suite];
                o.Legacy = policy;
                o.MinProtocolVersion = TlsProtocolVersion.Tls10;
                o.MaxProtocolVersion = version;
                if (clientKey is { } key)
                {
                    o.ClientCertificate = TestCerts.Ca.IssueClientCertificate("old client", key);
                }
            }),
            TestCerts.ServerOptions(KeyFor(suite), o =>
            {
                o.Legacy = policy;
                o.MinProtocolVersion = TlsProtocolVersion.Tls10;
                o.RequireClientCertificate = clientKey is not null;
                o.CertificateVerifier = clientKey is null ? null : new X509CertificateVerifier([TestCerts.Ca.RootCertificateDer]);
            }));
        loop.Handshake();
        foreach (var side in new[] { loop.Client, loop.Server })
        {
            Assert.Equal(version, side.NegotiatedProtocol);
            Assert.Equal(suite, side.NegotiatedCipherSuite);
            Assert.Null(side.Session);   // sessions are TLS 1.2 only
        }

        if (clientKey is not null)
        {
            Assert.True(loop.Server.PeerCertificateVerified);
        }

        // Every record after the hellos carries the negotiated version.
        Assert.All(loop.ServerToClient.SelectMany(Wire.Split), r => Assert.Equal((ushort)version, (ushort)((r.Bytes[1] << 8) | r.Bytes[2])));
        var data = RandomNumberGenerator.GetBytes(33_000);
        Assert.Equal(data, Loopback.Send(loop.Client, loop.Server, data));
        Assert.Equal(data, Loopback.Send(loop.Server, loop.Client, data));
        Assert.Equal(loop.Client.ExportKeyingMaterial("EXPERIMENTAL old", [], 16), loop.Server.ExportKeyingMaterial("EXPERIMENTAL old", [], 16));
    }

    private static TlsClientOptions OldClient(TlsProtocolVersion max) => TestCerts.ClientOptions(o =>
    {
        o.Legacy = LegacyPolicy.All;
        o.MinProtocolVersion = TlsProtocolVersion.Tls10;
        o.MaxProtocolVersion = max;
    });

    [Theory]
    [InlineData(TlsProtocolVersion.Tls10)]
    [InlineData(TlsProtocolVersion.Tls11)]
    public void ADefaultServerRefusesTls10And11WithProtocolVersion(TlsProtocolVersion version)
    {
        using var loop = new Loopback(OldClient(version), TestCerts.ServerOptions(CertificateKeyType.Rsa2048, o => o.Legacy = LegacyPolicy.All ^ LegacyPolicy.Tls10And11));
        Assert.Equal(AlertDescription.ProtocolVersion, Assert.Throws<TlsException>(() => loop.Pump()).Alert);
        Assert.Equal(TlsProtocolVersion.None, loop.Server.NegotiatedProtocol);
    }

    [Fact]
    public void ADefaultClientRefusesATls10Server()
    {
        using var loop = new Loopback(TestCerts.ClientOptions(),
            TestCerts.ServerOptions(CertificateKeyType.Rsa2048, o => { o.Legacy = LegacyPolicy.All; o.MinProtocolVersion = TlsProtocolVersion.Tls10; o.MaxProtocolVersion = TlsProtocolVersion.Tls10; }));
        Assert.Equal(AlertDescription.ProtocolVersion, Assert.Throws<TlsException>(() => loop.Pump()).Alert);
    }

    [Fact]
    public void ALegacyClientStillPrefersTls12AndTls13()
    {
        using var loop = new Loopback(OldClient(TlsProtocolVersion.Tls13),
            TestCerts.ServerOptions(CertificateKeyType.Rsa2048, o => { o.Legacy = LegacyPolicy.All; o.MinProtocolVersion = TlsProtocolVersion.Tls10; }));
        loop.Handshake();
        Assert.Equal(TlsProtocolVersion.Tls13, loop.Client.NegotiatedProtocol);
    }

    [Fact]
    public void AServerForcedDownToTls11MarksItsRandomAndATls12ClientRefuses()
    {
        // An attacker strips TLS 1.2 from the ClientHello; the server, which speaks 1.2, answers 1.1 with
        // DOWNGRD\0 in its random (RFC 8446 §4.1.3), and the client, which offered 1.2, refuses it.
        using var loop = new Loopback(OldClient(TlsProtocolVersion.Tls12),
            TestCerts.ServerOptions(CertificateKeyType.Rsa2048, o => { o.Legacy = LegacyPolicy.All; o.MinProtocolVersion = TlsProtocolVersion.Tls10; o.MaxProtocolVersion = TlsProtocolVersion.Tls12; }));
        loop.Client.Start();
        var hello = ClientHello.Parse(Wire.Split(Wire.TakeOutput(loop.Client))[0].Payload.AsSpan(4));
        hello.LegacyVersion = (ushort)TlsProtocolVersion.Tls11;
        hello.Extensions = [.. hello.Extensions.Where(e => e.Type != (ushort)ExtensionType.SupportedVersions)];
        loop.Server.ReceiveBytes(Wire.PlaintextRecord(ContentType.Handshake, hello.ToMessageBytes(), 0x0301));
        var flight = Wire.TakeOutput(loop.Server);
        var serverHello = Wire.Split(flight)[0];
        Assert.Equal(0x0302, (serverHello.Payload[4] << 8) | serverHello.Payload[5]);
        Assert.Equal("DOWNGRD\0"u8.ToArray(), serverHello.Payload.AsSpan(4 + 2 + 24, 8).ToArray());
        var error = Assert.Throws<TlsException>(() => loop.Client.ReceiveBytes(flight));
        Assert.Equal(AlertDescription.IllegalParameter, error.Alert);
    }

    [Fact]
    public void FallbackScsvAtTls11ToAServerThatSpeaksTls12IsInappropriateFallback()
    {
        using var loop = new Loopback(OldClient(TlsProtocolVersion.Tls11),
            TestCerts.ServerOptions(CertificateKeyType.Rsa2048, o => { o.Legacy = LegacyPolicy.All; o.MinProtocolVersion = TlsProtocolVersion.Tls10; o.MaxProtocolVersion = TlsProtocolVersion.Tls12; }));
        loop.Client.Start();
        var hello = ClientHello.Parse(Wire.Split(Wire.TakeOutput(loop.Client))[0].Payload.AsSpan(4));
        Assert.Equal((ushort)TlsProtocolVersion.Tls11, hello.LegacyVersion);
        hello.CipherSuites = [.. hello.CipherSuites, 0x5600];
        var error = Assert.Throws<TlsException>(() => loop.Server.ReceiveBytes(Wire.PlaintextRecord(ContentType.Handshake, hello.ToMessageBytes(), 0x0301)));
        Assert.Equal(AlertDescription.InappropriateFallback, error.Alert);
    }

    [Fact]
    public void Tls10SplitsApplicationRecordsOneAndTheRest()
    {
        const CipherSuite suite = CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA;
        using var loop = new Loopback(TestCerts.ClientOptions(o => { o.CipherSuites = [suite]; o.Legacy = LegacyPolicy.All; o.MinProtocolVersion = o.MaxProtocolVersion = TlsProtocolVersion.Tls10; }),
            TestCerts.ServerOptions(CertificateKeyType.Rsa2048, o => { o.Legacy = LegacyPolicy.All; o.MinProtocolVersion = TlsProtocolVersion.Tls10; }));
        loop.Handshake();
        loop.Client.WriteApplicationData(new byte[100]);
        var records = Wire.Split(Wire.TakeOutput(loop.Client));
        Assert.Equal(2, records.Count);
        Assert.True(loop.Client.EncryptThenMac);
        Assert.Equal(16 + 20, records[0].Payload.Length);    // 1 byte padded to a block, no IV (TLS 1.0), then the MAC
        Assert.Equal(112 + 20, records[1].Payload.Length);   // the other 99 bytes padded to seven blocks, then the MAC
    }

    [Theory]
    [MemberData(nameof(LegacySuites))]
    public void ALegacySuiteIsNeitherOfferedNorAcceptedByDefault(CipherSuite suite)
    {
        var info = CipherSuites.Get(suite);

        // The client lists it but did not opt in: nothing usable is offered.
        using (var loop = new Loopback(TestCerts.ClientOptions(o => o.CipherSuites = [suite]), TestCerts.ServerOptions(KeyFor(suite), o => o.Legacy = LegacyPolicy.All)))
        {
            Assert.Equal(AlertDescription.InternalError, Assert.Throws<TlsException>(() => loop.Pump()).Alert);
        }

        // The client opts in, the server does not: no suite in common.
        using (var loop = new Loopback(
            TestCerts.ClientOptions(o => { o.CipherSuites = [suite]; o.Legacy = info.RequiredLegacy; }),
            TestCerts.ServerOptions(KeyFor(suite), o => o.CipherSuites = [.. CipherSuites.Defaults, suite])))
        {
            Assert.Equal(AlertDescription.HandshakeFailure, Assert.Throws<TlsException>(() => loop.Pump()).Alert);
        }
    }

    [Theory]
    [InlineData("bad padding")]
    [InlineData("bad length")]
    [InlineData("bad version")]
    [InlineData("other secret")]
    public async Task ABadRsaPreMasterSecretLooksExactlyLikeAnyOtherWrongSecret(string kind)
    {
        // RFC 5246 §7.4.7.1: whatever is wrong with the encrypted premaster secret, the server goes on with
        // a random one and the first thing to fail is the client's Finished record: bad_record_mac, one reason.
        const CipherSuite suite = CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256;
        var serverOptions = TestCerts.ServerOptions(CertificateKeyType.Rsa2048, o => o.Legacy = LegacyPolicy.RsaKeyExchange);
        using var client = TlsConnection.CreateClient(TestCerts.ClientOptions(o => { o.CipherSuites = [suite]; o.Legacy = LegacyPolicy.RsaKeyExchange; }));
        using var server = TlsConnection.CreateServer(serverOptions);
        client.Start();
        server.ReceiveBytes(Wire.TakeOutput(client));
        client.ReceiveBytes(Wire.TakeOutput(server));
        var flight = Wire.Split(Wire.TakeOutput(client));   // ClientKeyExchange, ChangeCipherSpec, Finished
        Assert.Equal(3, flight.Count);

        using var certificate = X509CertificateLoader.LoadCertificate(TestCerts.Server(CertificateKeyType.Rsa2048).Chain[0]);
        using var rsa = certificate.GetRSAPublicKey()!;
        var secret = RandomNumberGenerator.GetBytes(48);
        secret[0] = 3;
        secret[1] = 3;
        byte[] encrypted = kind switch
        {
            "bad padding" => [0, .. RandomNumberGenerator.GetBytes(255)],
            "bad length" => rsa.Encrypt(secret[..47], RSAEncryptionPadding.Pkcs1),
            "bad version" => rsa.Encrypt([3, 1, .. secret[2..]], RSAEncryptionPadding.Pkcs1),
            _ => rsa.Encrypt(secret, RSAEncryptionPadding.Pkcs1),
        };
        var forged = Wire.PlaintextRecord(ContentType.Handshake, new ClientKeyExchangeRsa { EncryptedPreMasterSecret = encrypted }.ToMessageBytes());
        var error = await Task.Run(() => Assert.Throws<TlsException>(() => server.ReceiveBytes([.. forged, .. flight[1].Bytes, .. flight[2].Bytes])))
            .WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(AlertDescription.BadRecordMac, error.Alert);
        Assert.Equal("record failed authentication", error.Reason);
    }

    [Theory]
    [InlineData(new[] { NamedGroup.Ffdhe3072 }, new[] { NamedGroup.Ffdhe2048, NamedGroup.Ffdhe3072 }, NamedGroup.Ffdhe3072)]
    [InlineData(new[] { NamedGroup.Ffdhe4096, NamedGroup.Ffdhe2048 }, new NamedGroup[0], NamedGroup.Ffdhe2048)]
    [InlineData(new[] { NamedGroup.X25519 }, new[] { NamedGroup.Ffdhe4096 }, NamedGroup.Ffdhe4096)]
    public void TheDheGroupFollowsRfc7919(NamedGroup[] clientGroups, NamedGroup[] serverFfdhe, NamedGroup expected)
    {
        const CipherSuite suite = CipherSuite.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256;
        using var loop = new Loopback(
            TestCerts.ClientOptions(o => { o.CipherSuites = [suite]; o.Legacy = LegacyPolicy.DheKeyExchange; o.Groups = clientGroups; }),
            TestCerts.ServerOptions(CertificateKeyType.Rsa2048, o => { o.Legacy = LegacyPolicy.DheKeyExchange; o.Groups = [.. NamedGroups.Defaults, .. serverFfdhe]; }));
        loop.Handshake();
        Assert.Equal(expected, loop.Server.NegotiatedGroup);
        Assert.Equal(expected, loop.Client.NegotiatedGroup);
        Assert.Equal("ffdhe"u8.ToArray(), Loopback.Send(loop.Client, loop.Server, "ffdhe"u8.ToArray()));
    }

    [Fact]
    public void AClientThatListsOnlyUnknownFfdheGroupsGetsNoDheSuite()
    {
        const CipherSuite suite = CipherSuite.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256;
        using var loop = new Loopback(
            TestCerts.ClientOptions(o => { o.CipherSuites = [suite]; o.Legacy = LegacyPolicy.DheKeyExchange; o.Groups = [NamedGroup.X25519, NamedGroup.Ffdhe4096]; }),
            TestCerts.ServerOptions(CertificateKeyType.Rsa2048, o => { o.Legacy = LegacyPolicy.DheKeyExchange; o.Groups = [NamedGroup.X25519, NamedGroup.Ffdhe2048]; }));
        Assert.Equal(AlertDescription.HandshakeFailure, Assert.Throws<TlsException>(() => loop.Pump()).Alert);
    }

    /// <summary>A DHE handshake stopped after the server's first flight, with that flight and the client's answer.</summary>
    private static (TlsConnection Client, TlsConnection Server, List<Wire.Record> ServerFlight) DheUpToServerFlight()
    {
        const CipherSuite suite = CipherSuite.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256;
        var client = TlsConnection.CreateClient(TestCerts.ClientOptions(o => { o.CipherSuites = [suite]; o.Legacy = LegacyPolicy.DheKeyExchange; }));
        var server = TlsConnection.CreateServer(TestCerts.ServerOptions(CertificateKeyType.Rsa2048, o => o.Legacy = LegacyPolicy.DheKeyExchange));
        client.Start();
        server.ReceiveBytes(Wire.TakeOutput(client));
        return (client, server, Wire.Split(Wire.TakeOutput(server)));
    }

    [Theory]
    [InlineData("1024-bit prime")]
    [InlineData("generator 5")]
    public void AServerDhGroupOutsideRfc7919IsInsufficientSecurity(string kind)
    {
        var (client, server, flight) = DheUpToServerFlight();
        using var _ = client;
        using var __ = server;
        var index = flight.FindIndex(r => r.Payload[0] == (byte)HandshakeType.ServerKeyExchange);
        var ske = ServerKeyExchangeDhe.Parse(flight[index].Payload.AsSpan(4));
        if (kind == "generator 5")
        {
            ske.Generator = [5];
        }
        else
        {
            ske.Prime = [0xFF, .. RandomNumberGenerator.GetBytes(127)];
        }

        var forged = Wire.PlaintextRecord(ContentType.Handshake, ske.ToMessageBytes());
        byte[] input = [.. flight.Take(index).SelectMany(r => r.Bytes), .. forged, .. flight.Skip(index + 1).SelectMany(r => r.Bytes)];
        var error = Assert.Throws<TlsException>(() => client.ReceiveBytes(input));
        Assert.Equal(AlertDescription.InsufficientSecurity, error.Alert);
    }

    [Theory]
    [InlineData("one", AlertDescription.IllegalParameter)]
    [InlineData("p - 1", AlertDescription.IllegalParameter)]
    [InlineData("longer than p", AlertDescription.IllegalParameter)]
    [InlineData("outside the subgroup", AlertDescription.IllegalParameter)]
    [InlineData("empty", AlertDescription.DecodeError)]
    public void ABadClientDhValueIsRefused(string kind, AlertDescription alert)
    {
        var (client, server, flight) = DheUpToServerFlight();
        using var _ = client;
        using var __ = server;
        client.ReceiveBytes([.. flight.SelectMany(r => r.Bytes)]);
        var answer = Wire.Split(Wire.TakeOutput(client));   // ClientKeyExchange, ChangeCipherSpec, Finished
        var p = Tessera.Crypto.FfdheKeyExchange.Ffdhe2048.Prime;
        byte[] value = kind switch
        {
            "one" => [1],
            "p - 1" => [.. p[..^1], (byte)(p[^1] - 1)],
            "longer than p" => [1, .. p],
            "outside the subgroup" => OutsideTheSubgroup(p),
            _ => [],
        };
        var body = new byte[2 + value.Length];
        body[0] = (byte)(value.Length >> 8);
        body[1] = (byte)value.Length;
        value.CopyTo(body, 2);
        byte[] message = [(byte)HandshakeType.ClientKeyExchange, 0, (byte)(body.Length >> 8), (byte)body.Length, .. body];
        var error = Assert.Throws<TlsException>(() => server.ReceiveBytes([.. Wire.PlaintextRecord(ContentType.Handshake, message), .. answer[1].Bytes, .. answer[2].Bytes]));
        Assert.Equal(alert, error.Alert);
    }

    /// <summary>A small value y with y^q ≠ 1 (mod p), q = (p − 1) / 2: a quadratic non-residue, outside the group g generates.</summary>
    private static byte[] OutsideTheSubgroup(byte[] prime)
    {
        var p = new System.Numerics.BigInteger(prime, isUnsigned: true, isBigEndian: true);
        var q = (p - 1) / 2;
        for (int y = 3; ; y++)
        {
            if (!System.Numerics.BigInteger.ModPow(y, q, p).IsOne)
            {
                return new System.Numerics.BigInteger(y).ToByteArray(isUnsigned: true, isBigEndian: true);
            }
        }
    }

    [Fact]
    public void FfdheWorksAsATls13KeyShareToo()
    {
        using var loop = new Loopback(TestCerts.ClientOptions(o => o.Groups = [NamedGroup.Ffdhe2048]),
            TestCerts.ServerOptions(configure: o => o.Groups = [NamedGroup.Ffdhe2048, NamedGroup.X25519]));
        loop.Handshake();
        Assert.Equal(TlsProtocolVersion.Tls13, loop.Client.NegotiatedProtocol);
        Assert.Equal(NamedGroup.Ffdhe2048, loop.Client.NegotiatedGroup);
    }

    [Fact]
    public void AnRsaPssCertificateCannotServeRsaKeyExchange()
    {
        using var loop = new Loopback(
            TestCerts.ClientOptions(o => { o.CipherSuites = [CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256]; o.Legacy = LegacyPolicy.RsaKeyExchange; }),
            TestCerts.ServerOptions(CertificateKeyType.RsaPss2048, o => o.Legacy = LegacyPolicy.RsaKeyExchange));
        Assert.Equal(AlertDescription.HandshakeFailure, Assert.Throws<TlsException>(() => loop.Pump()).Alert);
    }

    [Fact]
    public void WithTheLegacyOptInModernSuitesStillWin()
    {
        using var loop = new Loopback(TestCerts.ClientOptions(o => o.Legacy = LegacyPolicy.All),
            TestCerts.ServerOptions(configure: o => { o.Legacy = LegacyPolicy.All; o.MaxProtocolVersion = TlsProtocolVersion.Tls12; }));
        loop.Handshake();
        Assert.False(CipherSuites.Get(loop.Client.NegotiatedCipherSuite!.Value).IsCbc);
        Assert.False(loop.Client.EncryptThenMac);
    }
}
