using Tessera.Messages;
using Tessera.Crypto;

namespace Tessera.Tests.Engine;

/// <summary>The hybrid post-quantum groups (draft-ietf-tls-ecdhe-mlkem) in both roles, with HelloRetryRequest both ways, and every malformed share refused.</summary>
public sealed class HybridKeyExchangeTests
{
    public static TheoryData<NamedGroup> Hybrids => [NamedGroup.X25519MLKEM768, NamedGroup.SecP256r1MLKEM768, NamedGroup.SecP384r1MLKEM1024];

    [Theory]
    [MemberData(nameof(Hybrids))]
    public void HandshakeWithEachHybridGroup(NamedGroup group)
    {
        using var loop = new Loopback(TestCerts.ClientOptions(o => o.Groups = [group]), TestCerts.ServerOptions(configure: o => o.Groups = [group]));
        loop.Handshake();
        Assert.Equal(group, loop.Client.NegotiatedGroup);
        Assert.Equal(group, loop.Server.NegotiatedGroup);
        Assert.False(loop.Client.WasHelloRetryRequest);
        Assert.Equal("post-quantum"u8.ToArray(), Loopback.Send(loop.Client, loop.Server, "post-quantum"u8.ToArray()));
    }

    [Theory]
    [InlineData(NamedGroup.X25519MLKEM768, NamedGroup.Secp384r1)]
    [InlineData(NamedGroup.X25519, NamedGroup.X25519MLKEM768)]
    [InlineData(NamedGroup.SecP256r1MLKEM768, NamedGroup.Secp384r1)]
    [InlineData(NamedGroup.Secp256r1, NamedGroup.SecP384r1MLKEM1024)]
    public void HelloRetryRequestMovesBetweenHybridAndClassical(NamedGroup offeredShare, NamedGroup serverGroup)
    {
        // A hybrid first share brings the first classical group's share along (X25519 here), so the server's group comes last.
        using var loop = new Loopback(
            TestCerts.ClientOptions(o => { o.Groups = [offeredShare, NamedGroup.X25519, serverGroup]; o.KeyShareCount = 1; }),
            TestCerts.ServerOptions(configure: o => o.Groups = [serverGroup]));
        loop.Handshake();
        Assert.True(loop.Client.WasHelloRetryRequest);
        Assert.Equal(serverGroup, loop.Client.NegotiatedGroup);
        Assert.Equal("ok"u8.ToArray(), Loopback.Send(loop.Server, loop.Client, "ok"u8.ToArray()));
    }

    [Fact]
    public void ByDefaultTheClientOffersX25519MLKEM768WithAnX25519ShareAndAServerPrefersTheHybrid()
    {
        var observer = new RecordingObserver();
        using (var loop = new Loopback(TestCerts.ClientOptions(o => o.Observer = observer), TestCerts.ServerOptions()))
        {
            loop.Handshake();
            Assert.Equal(NamedGroup.X25519MLKEM768, loop.Server.NegotiatedGroup);
            Assert.False(loop.Client.WasHelloRetryRequest);
        }

        var hello = ClientHello.Parse(observer.Sent.First(m => m.Type == HandshakeType.ClientHello).Message.AsSpan(4));
        var shares = KeyShareExtension.ParseClientHello(ExtensionBlock.Find(hello.Extensions, ExtensionType.KeyShare)!.Data);
        Assert.Equal([(ushort)NamedGroup.X25519MLKEM768, (ushort)NamedGroup.X25519], shares.Select(s => s.Group));

        // A server without post-quantum groups takes the X25519 share: no HelloRetryRequest.
        using var classical = new Loopback(TestCerts.ClientOptions(), TestCerts.ServerOptions(configure: o => o.Groups = [NamedGroup.X25519, NamedGroup.Secp256r1]));
        classical.Handshake();
        Assert.Equal(NamedGroup.X25519, classical.Client.NegotiatedGroup);
        Assert.False(classical.Client.WasHelloRetryRequest);
    }

    [Fact]
    public void TlsTwelveNeverUsesAHybridGroup()
    {
        using var loop = new Loopback(TestCerts.ClientOptions(o => o.MaxProtocolVersion = TlsProtocolVersion.Tls12), TestCerts.ServerOptions());
        loop.Handshake();
        Assert.Equal(TlsProtocolVersion.Tls12, loop.Client.NegotiatedProtocol);
        Assert.Equal(NamedGroup.X25519, loop.Client.NegotiatedGroup);
    }

    [Theory]
    [InlineData(NamedGroup.X25519MLKEM768, 1184 + 32, 1088 + 32)]
    [InlineData(NamedGroup.SecP256r1MLKEM768, 65 + 1184, 65 + 1088)]
    [InlineData(NamedGroup.SecP384r1MLKEM1024, 97 + 1568, 97 + 1568)]
    public void SharesHaveTheDraftsLayoutAndEveryOtherLengthIsIllegalParameter(NamedGroup group, int clientLength, int serverLength)
    {
        var exchange = DefaultCryptoProvider.Instance.GetKeyExchange(group);
        using var client = exchange.GenerateClientShare();
        Assert.Equal(clientLength, client.PublicShare.Length);
        var result = exchange.Encapsulate(client.PublicShare.Span);
        Assert.Equal(serverLength, result.ServerShare.Length);
        Assert.Equal(group == NamedGroup.SecP384r1MLKEM1024 ? 48 + 32 : 64, result.SharedSecret.Length);
        Assert.Equal(result.SharedSecret, client.Decapsulate(result.ServerShare));

        foreach (int length in new[] { 0, 1, 32, 65, clientLength - 1, clientLength + 1, clientLength * 2 })
        {
            var ex = Assert.Throws<TlsException>(() => exchange.Encapsulate(new byte[length]));
            Assert.Equal(AlertDescription.IllegalParameter, ex.Alert);
        }

        foreach (int length in new[] { 0, 1, serverLength - 1, serverLength + 1 })
        {
            var ex = Assert.Throws<TlsException>(() => client.Decapsulate(new byte[length]));
            Assert.Equal(AlertDescription.IllegalParameter, ex.Alert);
        }

        // The right length with an encapsulation key that fails the modulus check (all coefficients 0xFFF).
        var badKey = client.PublicShare.ToArray();
        int keyStart = group == NamedGroup.X25519MLKEM768 ? 0 : clientLength - (group == NamedGroup.SecP384r1MLKEM1024 ? 1568 : 1184);
        badKey.AsSpan(keyStart, 30).Fill(0xFF);
        Assert.Equal(AlertDescription.IllegalParameter, Assert.Throws<TlsException>(() => exchange.Encapsulate(badKey)).Alert);

        // The right length with a bad (EC)DH part: an all-zero X25519 share, or a point not on the curve.
        var badClassical = client.PublicShare.ToArray();
        if (group == NamedGroup.X25519MLKEM768)
        {
            badClassical.AsSpan(1184).Clear();
        }
        else
        {
            badClassical.AsSpan(1, 20).Fill(0x5A);
        }

        Assert.Equal(AlertDescription.IllegalParameter, Assert.Throws<TlsException>(() => exchange.Encapsulate(badClassical)).Alert);
    }
}
