using Tessera.Crypto.Hpke;
using Tessera.Ech;
using Tessera.Messages;
using Tessera.Tests.Engine;

namespace Tessera.Tests.Ech;

/// <summary>
/// What a shared-mode server must refuse in an Encrypted Client Hello (RFC 9849 §5.1, §7, §7.1, §7.1.1), each with
/// its alert, from hand-made outer hellos sealed to the server's key; and what it must quietly take as a rejection.
/// </summary>
public sealed class EchServerNegativeTests
{
    private static readonly HashSet<ushort> NotCompressed =
        [(ushort)ExtensionType.ServerName, (ushort)ExtensionType.EncryptedClientHello, (ushort)ExtensionType.PreSharedKey];

    /// <summary>A real TLS 1.3-only ClientHello for the secret name, with the inner marker: what a client encrypts.</summary>
    private static ClientHello InnerHello()
    {
        using var client = TlsConnection.CreateClient(EchHandshakeTests.Client(null, o => { o.MinProtocolVersion = TlsProtocolVersion.Tls13; o.EnableSessionTickets = false; }));
        client.Start();
        var hello = ClientHello.Parse(Wire.Split(Wire.TakeOutput(client))[0].Payload.AsSpan(4));
        var extensions = hello.Extensions.ToList();
        extensions.Insert(1, new TlsExtension((ushort)ExtensionType.EncryptedClientHello, [EncryptedClientHelloExtension.Inner]));
        return hello.With(extensions);
    }

    private static HashSet<ushort> Compressible(ClientHello inner) => [.. inner.Extensions.Select(e => e.Type).Where(t => !NotCompressed.Contains(t))];

    /// <summary>Seals <paramref name="encoded"/> into an outer hello built from <paramref name="inner"/> (public name, the same other extensions).</summary>
    private static byte[] Outer(EchServerKey key, ClientHello inner, byte[] encoded, Func<List<TlsExtension>, List<TlsExtension>>? editOuter = null, byte? echType = null)
    {
        var suite = HpkeSuite.X25519Sha256Aes128Gcm;
        byte[] info = [.. "tls ech"u8, 0, .. key.Config.Encode()];
        var (enc, context) = Hpke.SetupBaseSender(suite, key.Config.PublicKey, info);
        using (context)
        {
            var extensions = inner.Extensions
                .Where(e => e.Type != (ushort)ExtensionType.EncryptedClientHello)
                .Select(e => e.Type == (ushort)ExtensionType.ServerName ? new TlsExtension(e.Type, ServerNameExtension.Encode(EchHandshakeTests.PublicName)) : e)
                .ToList();
            extensions = editOuter?.Invoke(extensions) ?? extensions;
            var placeholder = new EncryptedClientHelloExtension(true, new EchCipherSuite(suite.Kdf, suite.Aead), key.Config.ConfigId, enc, new byte[encoded.Length + 16]);
            extensions.Add(new TlsExtension((ushort)ExtensionType.EncryptedClientHello, placeholder.Encode()));
            var outer = inner.With(extensions, random: new byte[32]);
            var payload = context.Seal(outer.ToMessageBytes().AsSpan(4), encoded);
            var data = (placeholder with { Payload = payload }).Encode();
            if (echType is byte type)
            {
                data[0] = type;
            }

            extensions[^1] = new TlsExtension((ushort)ExtensionType.EncryptedClientHello, data);
            return outer.ToMessageBytes();
        }
    }

    private static byte[] Encode(ClientHello inner) => EncodedClientHelloInner.Encode(inner, Compressible(inner), 0);

    /// <summary>An EncodedClientHelloInner written by hand: the inner hello with <paramref name="extensions"/> and a session ID, padded to 32.</summary>
    private static byte[] EncodeRaw(ClientHello inner, List<TlsExtension> extensions, byte[]? sessionId = null)
    {
        var body = inner.With(extensions, legacySessionId: sessionId ?? []).ToMessageBytes()[4..];
        return [.. body, .. new byte[32 - (body.Length % 32)]];
    }

    private static TlsException Refused(EchServerKey key, byte[] clientHello)
    {
        using var server = TlsConnection.CreateServer(EchHandshakeTests.Server(key));
        return Assert.Throws<TlsException>(() => server.ReceiveBytes(Wire.PlaintextRecord(ContentType.Handshake, clientHello)));
    }

    [Fact]
    public void AHandMadeOuterHelloIsAccepted()
    {
        // The helpers are right: without a fault the server takes the inner hello.
        using var key = EchServerKey.Generate(EchHandshakeTests.PublicName);
        var inner = InnerHello();
        using var server = TlsConnection.CreateServer(EchHandshakeTests.Server(key));
        server.ReceiveBytes(Wire.PlaintextRecord(ContentType.Handshake, Outer(key, inner, Encode(inner))));
        Assert.Equal(TlsEchStatus.Accepted, server.EchStatus);
        Assert.Equal(EchHandshakeTests.SecretName, server.ServerName);
    }

    [Fact]
    public void NonZeroPaddingIsIllegalParameter()
    {
        using var key = EchServerKey.Generate(EchHandshakeTests.PublicName);
        var inner = InnerHello();
        var encoded = Encode(inner);
        encoded[^1] = 1;
        var error = Refused(key, Outer(key, inner, encoded));
        Assert.Equal(AlertDescription.IllegalParameter, error.Alert);
        Assert.Contains("padding", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ASessionIdInTheEncodedInnerHelloIsIllegalParameter()
    {
        using var key = EchServerKey.Generate(EchHandshakeTests.PublicName);
        var inner = InnerHello();
        var error = Refused(key, Outer(key, inner, EncodeRaw(inner, inner.Extensions, new byte[32])));
        Assert.Equal(AlertDescription.IllegalParameter, error.Alert);
        Assert.Contains("legacy_session_id", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AReferenceToAMissingExtensionIsIllegalParameter()
    {
        using var key = EchServerKey.Generate(EchHandshakeTests.PublicName);
        var inner = InnerHello();
        var error = Refused(key, Outer(key, inner, Encode(inner), outer => [.. outer.Where(e => e.Type != (ushort)ExtensionType.KeyShare)]));
        Assert.Equal(AlertDescription.IllegalParameter, error.Alert);
        Assert.Contains("key_share", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReferencesOutOfTheOuterOrderAreIllegalParameter()
    {
        using var key = EchServerKey.Generate(EchHandshakeTests.PublicName);
        var inner = InnerHello();
        var error = Refused(key, Outer(key, inner, Encode(inner), outer => [.. Enumerable.Reverse(outer)]));
        Assert.Equal(AlertDescription.IllegalParameter, error.Alert);
        Assert.Contains("ech_outer_extensions", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new ushort[] { 0x0033, 0x0033 })]   // key_share twice
    [InlineData(new ushort[] { 0xFE0D })]           // encrypted_client_hello itself
    [InlineData(new ushort[] { 0xFD00 })]           // ech_outer_extensions itself (it may not appear in either hello)
    public void BadOuterExtensionsListsAreIllegalParameter(ushort[] references)
    {
        using var key = EchServerKey.Generate(EchHandshakeTests.PublicName);
        var inner = InnerHello();
        var extensions = inner.Extensions.Where(e => e.Type != (ushort)ExtensionType.KeyShare).ToList();
        extensions.Add(new TlsExtension((ushort)ExtensionType.EchOuterExtensions, EncodedClientHelloInner.EncodeOuterExtensions(references)));
        var error = Refused(key, Outer(key, inner, EncodeRaw(inner, extensions)));
        Assert.Equal(AlertDescription.IllegalParameter, error.Alert);
        Assert.Contains("ech_outer_extensions", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnInnerHelloWithoutTheInnerMarkerIsIllegalParameter()
    {
        using var key = EchServerKey.Generate(EchHandshakeTests.PublicName);
        var inner = InnerHello();
        var unmarked = inner.With([.. inner.Extensions.Where(e => e.Type != (ushort)ExtensionType.EncryptedClientHello)]);
        var error = Refused(key, Outer(key, inner, Encode(unmarked)));
        Assert.Equal(AlertDescription.IllegalParameter, error.Alert);
        Assert.Contains("inner encrypted_client_hello", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMalformedInnerMarkerIsIllegalParameter()
    {
        using var key = EchServerKey.Generate(EchHandshakeTests.PublicName);
        var inner = InnerHello();
        var bad = inner.With([.. inner.Extensions.Select(e => e.Type == (ushort)ExtensionType.EncryptedClientHello ? new TlsExtension(e.Type, [1, 0]) : e)]);
        Assert.Equal(AlertDescription.IllegalParameter, Refused(key, Outer(key, inner, Encode(bad))).Alert);
    }

    [Fact]
    public void AnEncOfTheWrongSizeIsOnlyARejection()
    {
        using var key = EchServerKey.Generate(EchHandshakeTests.PublicName);
        var inner = InnerHello();
        var message = Outer(key, inner, Encode(inner));
        var hello = ClientHello.Parse(message.AsSpan(4));
        var ech = EncryptedClientHelloExtension.ParseClientHello(ExtensionBlock.Find(hello.Extensions, ExtensionType.EncryptedClientHello)!.Data);
        var shortEnc = hello.With([.. hello.Extensions.Select(e => e.Type == (ushort)ExtensionType.EncryptedClientHello ? new TlsExtension(e.Type, (ech with { Enc = ech.Enc[..31] }).Encode()) : e)]);
        using var server = TlsConnection.CreateServer(EchHandshakeTests.Server(key));
        server.ReceiveBytes(Wire.PlaintextRecord(ContentType.Handshake, shortEnc.ToMessageBytes()));
        Assert.Equal(TlsEchStatus.Rejected, server.EchStatus);
    }

    [Fact]
    public void AServerWithoutEchKeysIgnoresEvenAMalformedExtension()
    {
        var inner = InnerHello();
        var odd = inner.With([.. inner.Extensions.Select(e => e.Type == (ushort)ExtensionType.EncryptedClientHello ? new TlsExtension(e.Type, [9, 9]) : e)]);
        using var server = TlsConnection.CreateServer(EchHandshakeTests.Server());
        server.ReceiveBytes(Wire.PlaintextRecord(ContentType.Handshake, odd.ToMessageBytes()));
        Assert.Equal(TlsEchStatus.NotOffered, server.EchStatus);
        Assert.True(server.PendingOutputLength > 0);
    }

    [Fact]
    public void AnInnerHelloOfferingTlsTwelveIsIllegalParameter()
    {
        using var key = EchServerKey.Generate(EchHandshakeTests.PublicName);
        var inner = InnerHello();
        var tls12 = inner.With([.. inner.Extensions.Select(e => e.Type == (ushort)ExtensionType.SupportedVersions
            ? new TlsExtension(e.Type, SupportedVersionsExtension.EncodeClientHello([0x0304, 0x0303])) : e)]);
        var error = Refused(key, Outer(key, inner, EncodeRaw(tls12, tls12.Extensions)));
        Assert.Equal(AlertDescription.IllegalParameter, error.Alert);
        Assert.Contains("TLS 1.2", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(EncryptedClientHelloExtension.Inner)]
    [InlineData(2)]
    public void AnInnerOrUnknownTypeFromTheNetworkIsIllegalParameter(byte type)
    {
        using var key = EchServerKey.Generate(EchHandshakeTests.PublicName);
        var inner = InnerHello();
        if (type == EncryptedClientHelloExtension.Inner)
        {
            Assert.Equal(AlertDescription.IllegalParameter, Refused(key, inner.ToMessageBytes()).Alert);
            return;
        }

        Assert.Equal(AlertDescription.IllegalParameter, Refused(key, Outer(key, inner, Encode(inner), echType: type)).Alert);
    }

    [Fact]
    public void AnOuterHelloChangedAfterSealingIsOnlyARejection()
    {
        // §5.2: the AAD binds the outer hello; a changed one does not decrypt, so the server goes on with it as it is.
        using var key = EchServerKey.Generate(EchHandshakeTests.PublicName);
        var inner = InnerHello();
        var message = Outer(key, inner, Encode(inner));
        message[4 + 2 + 5] ^= 1;   // a bit of the outer random
        using var server = TlsConnection.CreateServer(EchHandshakeTests.Server(key));
        server.ReceiveBytes(Wire.PlaintextRecord(ContentType.Handshake, message));
        Assert.Equal(TlsEchStatus.Rejected, server.EchStatus);
        Assert.Equal(EchHandshakeTests.PublicName, server.ServerName);
        Assert.True(server.PendingOutputLength > 0);
    }

    /// <summary>A real ECH client through a HelloRetryRequest; its second ClientHelloOuter is changed before the server sees it.</summary>
    private static TlsException SecondHelloRefused(Func<EncryptedClientHelloExtension, EncryptedClientHelloExtension?> edit)
    {
        using var key = EchServerKey.Generate(EchHandshakeTests.PublicName);
        using var client = TlsConnection.CreateClient(EchHandshakeTests.Client(key.ConfigList, o => o.Groups = [NamedGroup.X25519, NamedGroup.Secp256r1]));
        using var server = TlsConnection.CreateServer(EchHandshakeTests.Server([key], o => o.Groups = [NamedGroup.Secp256r1]));
        client.Start();
        server.ReceiveBytes(Wire.TakeOutput(client));
        client.ReceiveBytes(Wire.TakeOutput(server));
        Assert.True(client.WasHelloRetryRequest);
        var records = Wire.Split(Wire.TakeOutput(client));
        var index = records.FindIndex(r => r.Type == ContentType.Handshake);
        var hello = ClientHello.Parse(records[index].Payload.AsSpan(4));
        var ech = EncryptedClientHelloExtension.ParseClientHello(ExtensionBlock.Find(hello.Extensions, ExtensionType.EncryptedClientHello)!.Data);
        var changed = edit(ech);
        var extensions = hello.Extensions
            .Where(e => e.Type != (ushort)ExtensionType.EncryptedClientHello || changed is not null)
            .Select(e => e.Type == (ushort)ExtensionType.EncryptedClientHello ? new TlsExtension(e.Type, changed!.Encode()) : e)
            .ToList();
        records[index] = new Wire.Record(ContentType.Handshake, Wire.PlaintextRecord(ContentType.Handshake, hello.With(extensions).ToMessageBytes()));
        return Assert.Throws<TlsException>(() => server.ReceiveBytes(Wire.Concat(records)));
    }

    [Fact]
    public void ASecondOuterHelloWithoutEchIsMissingExtension() =>
        Assert.Equal(AlertDescription.MissingExtension, SecondHelloRefused(_ => null).Alert);

    [Fact]
    public void ASecondOuterHelloWithEncOrAnotherConfigIsIllegalParameter()
    {
        Assert.Equal(AlertDescription.IllegalParameter, SecondHelloRefused(e => e with { Enc = new byte[32] }).Alert);
        Assert.Equal(AlertDescription.IllegalParameter, SecondHelloRefused(e => e with { ConfigId = (byte)(e.ConfigId + 1) }).Alert);
    }

    [Fact]
    public void ASecondOuterHelloThatDoesNotDecryptIsDecryptError()
    {
        var error = SecondHelloRefused(e =>
        {
            var payload = (byte[])e.Payload.Clone();
            payload[0] ^= 1;
            return e with { Payload = payload };
        });
        Assert.Equal(AlertDescription.DecryptError, error.Alert);
    }

    [Fact]
    public void TheEncodedInnerHelloIsPaddedForTheLongestNameAndToThirtyTwo()
    {
        var inner = InnerHello();   // server_name secret.test: 11 bytes
        var plain = EncodedClientHelloInner.Encode(inner, Compressible(inner), 0);
        var padded = EncodedClientHelloInner.Encode(inner, Compressible(inner), 64);
        Assert.Equal(0, plain.Length % 32);
        Assert.Equal(0, padded.Length % 32);
        Assert.True(padded.Length - plain.Length >= 64 - 11 - 31);
        var decoded = EncodedClientHelloInner.Decode(padded, inner);
        Assert.Equal(inner.ToMessageBytes(), decoded.ToMessageBytes());
        var nameless = inner.With([.. inner.Extensions.Where(e => e.Type != (ushort)ExtensionType.ServerName)]);
        Assert.True(EncodedClientHelloInner.Encode(nameless, Compressible(nameless), 64).Length >= padded.Length - 32);
    }
}
