using Tessera.Crypto.Hpke;
using Tessera.Ech;
using Tessera.Messages;

namespace Tessera.Tests.Ech;

/// <summary>The encrypted_client_hello and ech_outer_extensions codecs, and how the trace names them.</summary>
public sealed class EncryptedClientHelloExtensionTests
{
    [Fact]
    public void OuterAndInnerFormsRoundTrip()
    {
        var outer = new EncryptedClientHelloExtension(true, new EchCipherSuite(HpkeKdf.HkdfSha256, HpkeAead.Aes128Gcm), 42, new byte[32], new byte[200]);
        var encoded = outer.Encode();
        Assert.Equal(1 + 4 + 1 + 2 + 32 + 2 + 200, encoded.Length);
        var parsed = EncryptedClientHelloExtension.ParseClientHello(encoded);
        Assert.True(parsed.IsOuter);
        Assert.Equal(42, parsed.ConfigId);
        Assert.Equal(outer.CipherSuite, parsed.CipherSuite);
        Assert.Equal(32, parsed.Enc.Length);
        Assert.Equal(200, parsed.Payload.Length);

        // After a HelloRetryRequest enc is empty.
        var retry = new EncryptedClientHelloExtension(true, outer.CipherSuite, 42, [], new byte[200]);
        Assert.Empty(EncryptedClientHelloExtension.ParseClientHello(retry.Encode()).Enc);

        Assert.Equal([1], EncryptedClientHelloExtension.InnerMarker.Encode());
        Assert.False(EncryptedClientHelloExtension.ParseClientHello([1]).IsOuter);
    }

    [Theory]
    [InlineData(new byte[] { }, AlertDescription.DecodeError)]
    [InlineData(new byte[] { 2 }, AlertDescription.IllegalParameter)]
    [InlineData(new byte[] { 1, 0 }, AlertDescription.DecodeError)]
    [InlineData(new byte[] { 0, 0, 1, 0, 1, 7, 0, 0, 0, 0 }, AlertDescription.DecodeError)]        // empty payload
    [InlineData(new byte[] { 0, 0, 1, 0, 1, 7, 0, 0, 0, 2, 9 }, AlertDescription.DecodeError)]     // payload cut short
    [InlineData(new byte[] { 0, 0, 1, 0, 1, 7, 0, 0, 0, 1, 9, 9 }, AlertDescription.DecodeError)]  // trailing byte
    public void MalformedExtensionsAreRefused(byte[] data, AlertDescription alert) =>
        Assert.Equal(alert, Assert.Throws<TlsException>(() => EncryptedClientHelloExtension.ParseClientHello(data)).Alert);

    [Fact]
    public void OuterExtensionsListIsChecked()
    {
        Assert.Equal([(ushort)10, (ushort)13], EncryptedClientHelloExtension.ParseOuterExtensions([4, 0, 10, 0, 13]));
        Assert.Equal(AlertDescription.DecodeError, Assert.Throws<TlsException>(() => EncryptedClientHelloExtension.ParseOuterExtensions([0])).Alert);
        Assert.Equal(AlertDescription.DecodeError, Assert.Throws<TlsException>(() => EncryptedClientHelloExtension.ParseOuterExtensions([3, 0, 10, 0])).Alert);
        Assert.Equal(AlertDescription.IllegalParameter, Assert.Throws<TlsException>(() => EncryptedClientHelloExtension.ParseOuterExtensions([2, 0xFE, 0x0D])).Alert);
    }

    [Fact]
    public void TheTraceNamesBothForms()
    {
        var outer = new EncryptedClientHelloExtension(true, new EchCipherSuite(HpkeKdf.HkdfSha256, HpkeAead.ChaCha20Poly1305), 5, new byte[32], new byte[100]);
        var hello = new ClientHello
        {
            CipherSuites = [0x1301],
            Extensions = [new TlsExtension((ushort)ExtensionType.EncryptedClientHello, outer.Encode()), new TlsExtension((ushort)ExtensionType.EchOuterExtensions, [2, 0, 10])],
        };
        var lines = string.Join("\n", HandshakeMessageDescriber.Describe(HandshakeType.ClientHello, hello.ToMessageBytes().AsSpan(4)));
        Assert.Contains("encrypted_client_hello (65037): outer, config_id 5, HkdfSha256/ChaCha20Poly1305, enc 32 bytes, payload 100 bytes", lines, StringComparison.Ordinal);
        Assert.Contains("ech_outer_extensions (64768): supported_groups", lines, StringComparison.Ordinal);

        using var key = EchServerKey.Generate("public.example");
        var ee = new EncryptedExtensions { Extensions = [new TlsExtension((ushort)ExtensionType.EncryptedClientHello, key.ConfigList)] };
        Assert.Contains("retry_configs: 1 ECHConfig(s), public names public.example",
            string.Join("\n", HandshakeMessageDescriber.Describe(HandshakeType.EncryptedExtensions, ee.ToMessageBytes().AsSpan(4))), StringComparison.Ordinal);
    }
}
