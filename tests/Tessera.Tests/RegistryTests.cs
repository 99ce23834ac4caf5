using Tessera.Messages;

namespace Tessera.Tests;

public sealed class RegistryTests
{
    [Fact]
    public void CipherSuiteTableHasIanaNamesAndLengths()
    {
        var info = CipherSuites.Get(CipherSuite.TLS_AES_256_GCM_SHA384);
        Assert.Equal("TLS_AES_256_GCM_SHA384", info.Name);
        Assert.Equal(32, info.KeyLength);
        Assert.Equal(48, info.HashLength);
        Assert.Equal(CipherSuite.TLS_CHACHA20_POLY1305_SHA256, CipherSuites.FromName("tls_chacha20_poly1305_sha256"));
        Assert.Null(CipherSuites.FromName("TLS_NOPE"));
        Assert.Equal("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", CipherSuites.NameOf(0xC02F));
        Assert.Equal("0xABCD", CipherSuites.NameOf(0xABCD));
    }

    [Theory]
    [InlineData("X25519", NamedGroup.X25519)]
    [InlineData("P-256", NamedGroup.Secp256r1)]
    [InlineData("prime256v1", NamedGroup.Secp256r1)]
    [InlineData("secp384r1", NamedGroup.Secp384r1)]
    public void GroupNamesParseAsOpenSslSpellsThem(string name, NamedGroup expected) =>
        Assert.Equal(expected, NamedGroups.FromName(name));

    [Fact]
    public void Tls13ForbidsPkcs1InHandshakeSignatures()
    {
        Assert.False(SignatureSchemes.Find(SignatureScheme.rsa_pkcs1_sha256)!.AllowedInTls13Handshake);
        Assert.True(SignatureSchemes.Find(SignatureScheme.rsa_pss_rsae_sha256)!.AllowedInTls13Handshake);
        Assert.DoesNotContain(SignatureScheme.rsa_pkcs1_sha256, SignatureSchemes.Tls13HandshakeDefaults);
    }

    [Fact]
    public void AlertAndExtensionNamesFollowTheRfc()
    {
        Assert.Equal("handshake_failure", AlertDescription.HandshakeFailure.ToRfcName());
        Assert.Equal("alert(255)", ((AlertDescription)255).ToRfcName());
        Assert.Equal("key_share", ExtensionTypeNames.NameOf(51));
        var ex = new TlsException(AlertDescription.DecodeError, AlertSource.Remote, "truncated");
        Assert.Contains("decode_error received from peer", ex.Message, StringComparison.Ordinal);
    }
}
