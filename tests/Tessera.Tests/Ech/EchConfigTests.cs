using Tessera.Crypto.Hpke;
using Tessera.Ech;
using Tessera.Pki;

namespace Tessera.Tests.Ech;

/// <summary>ECHConfig / ECHConfigList encoding, the ECH key file, and every malformed form refused with a clear error.</summary>
public sealed class EchConfigTests
{
    [Fact]
    public void GeneratedConfigRoundTripsThroughTheListAndTheKeyFile()
    {
        using var key = EchServerKey.Generate("public.example", configId: 7, maximumNameLength: 64);
        var list = key.ConfigList;
        Assert.Equal(list.Length - 2, (list[0] << 8) | list[1]);
        Assert.Equal(0xFE, list[2]);
        Assert.Equal(0x0D, list[3]);
        var config = Assert.Single(EchConfigList.Parse(list));
        Assert.Equal(7, config.ConfigId);
        Assert.Equal(HpkeKem.DhkemX25519HkdfSha256, config.Kem);
        Assert.Equal(key.KeyPair.PublicKey, config.PublicKey);
        Assert.Equal("public.example", config.PublicName);
        Assert.Equal(64, config.MaximumNameLength);
        Assert.Equal([new EchCipherSuite(HpkeKdf.HkdfSha256, HpkeAead.Aes128Gcm), new EchCipherSuite(HpkeKdf.HkdfSha256, HpkeAead.ChaCha20Poly1305)], config.CipherSuites);
        Assert.True(config.IsUsable);
        Assert.Equal(HpkeSuite.X25519Sha256Aes128Gcm, config.PreferredSuite);
        Assert.Equal(list, EchConfigList.Encode([config]));

        var pem = key.ToPem();
        Assert.Contains("-----BEGIN PRIVATE KEY-----", pem, StringComparison.Ordinal);
        Assert.Contains("-----BEGIN ECHCONFIG-----", pem, StringComparison.Ordinal);
        using var loaded = EchServerKey.Parse(pem);
        Assert.Equal(key.KeyPair.PrivateKey.ToArray(), loaded.KeyPair.PrivateKey.ToArray());
        Assert.Equal(list, loaded.ConfigList);
    }

    [Fact]
    public void ConfigsOfOtherVersionsAreSkippedAndUnknownMandatoryExtensionsMakeAConfigUnusable()
    {
        using var key = EchServerKey.Generate("public.example");
        var config = key.Config.Encode();
        // An entry of a future version (0xfe0e) before ours: skipped, ours still found.
        byte[] future = [0xFE, 0x0E, 0x00, 0x03, 1, 2, 3];
        byte[] body = [.. future, .. config];
        var parsed = EchConfigList.Parse([(byte)(body.Length >> 8), (byte)body.Length, .. body]);
        Assert.Equal(key.Config.PublicKey, Assert.Single(parsed).PublicKey);

        var mandatory = new EchConfig
        {
            PublicKey = key.Config.PublicKey, CipherSuites = key.Config.CipherSuites, PublicName = "public.example",
            Extensions = [new EchConfigExtension(0x8001, [1])],
        };
        Assert.False(Assert.Single(EchConfigList.Parse(EchConfigList.Encode([mandatory]))).IsUsable);
        var optional = new EchConfig { PublicKey = key.Config.PublicKey, CipherSuites = key.Config.CipherSuites, PublicName = "public.example", Extensions = [new EchConfigExtension(0x0001, [1])] };
        Assert.True(Assert.Single(EchConfigList.Parse(EchConfigList.Encode([optional]))).IsUsable);
        var foreignSuites = new EchConfig { PublicKey = key.Config.PublicKey, CipherSuites = [new EchCipherSuite((HpkeKdf)2, HpkeAead.Aes128Gcm)], PublicName = "public.example" };
        Assert.False(foreignSuites.IsUsable);
        Assert.Null(foreignSuites.PreferredSuite);
    }

    public static TheoryData<string, byte[]> Malformed()
    {
        using var key = EchServerKey.Generate("public.example");
        var good = key.ConfigList;
        var data = new TheoryData<string, byte[]>
        {
            { "empty", [] },
            { "empty list", [0, 0] },
            { "list length too long", [.. good[..1], (byte)(good[1] + 1), .. good[2..]] },
            { "truncated", good[..^1] },
            { "trailing byte", [.. good, 0] },
        };
        // No cipher suites: the contents' suites vector emptied (and the lengths fixed).
        var noSuites = new EchConfig { PublicKey = key.Config.PublicKey, CipherSuites = [], PublicName = "public.example" };
        data.Add("no cipher suites", EchConfigList.Encode([noSuites]));
        var noName = new EchConfig { PublicKey = key.Config.PublicKey, CipherSuites = key.Config.CipherSuites, PublicName = "" };
        data.Add("empty public name", EchConfigList.Encode([noName]));
        var noKey = new EchConfig { PublicKey = [], CipherSuites = key.Config.CipherSuites, PublicName = "public.example" };
        data.Add("empty public key", EchConfigList.Encode([noKey]));
        return data;
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void MalformedListsAreDecodeErrors(string what, byte[] list)
    {
        var ex = Assert.Throws<TlsException>(() => EchConfigList.Parse(list));
        Assert.True(ex.Alert == AlertDescription.DecodeError, what);
    }

    [Fact]
    public void BadKeyFilesAreClearErrors()
    {
        using var key = EchServerKey.Generate("public.example");
        using var other = EchServerKey.Generate("public.example");
        var pem = key.ToPem();
        var configOnly = pem[pem.IndexOf("-----BEGIN ECHCONFIG", StringComparison.Ordinal)..];
        Assert.Contains("needs a PRIVATE KEY", Assert.Throws<PkiLoadException>(() => EchServerKey.Parse(configOnly)).Message, StringComparison.Ordinal);
        var mismatched = pem[..pem.IndexOf("-----BEGIN ECHCONFIG", StringComparison.Ordinal)] + other.ToPem()[other.ToPem().IndexOf("-----BEGIN ECHCONFIG", StringComparison.Ordinal)..];
        Assert.Contains("does not belong", Assert.Throws<PkiLoadException>(() => EchServerKey.Parse(mismatched)).Message, StringComparison.Ordinal);
        Assert.Throws<PkiLoadException>(() => EchServerKey.Load("/nonexistent/ech.pem"));
        Assert.Throws<ArgumentException>(() => EchServerKey.Generate("has space"));
        var badBase64 = pem.Replace("-----BEGIN ECHCONFIG-----\n", "-----BEGIN ECHCONFIG-----\n*", StringComparison.Ordinal);
        Assert.Throws<PkiLoadException>(() => EchServerKey.Parse(badBase64));   // a block PEM cannot read is a missing block
    }

    [Theory]
    [InlineData("public.example", true)]
    [InlineData("a-b.c1.example", true)]
    [InlineData("localhost", true)]
    [InlineData("public.example.", false)]      // ends with a dot
    [InlineData(".public.example", false)]
    [InlineData("192.0.2.1", false)]            // reads as IPv4
    [InlineData("example.123", false)]          // last label all digits
    [InlineData("example.0x1f", false)]         // last label hexadecimal
    [InlineData("example.0x", false)]
    [InlineData("under_score.example", false)]
    [InlineData("-lead.example", false)]
    [InlineData("caf\u00e9.example", false)]
    public void PublicNamesMustBeDnsNamesAndNotIpv4(string name, bool valid)
    {
        Assert.Equal(valid, EchConfig.IsValidPublicName(name));
        Assert.False(EchConfig.IsValidPublicName(new string('a', 64) + ".example"));   // a label over 63 octets
    }

    [Fact]
    public void AnOddPublicNameOrARepeatedExtensionParsesButIsNotUsable()
    {
        // §6.1.7 and §4.2: such a configuration is ignored, not a decode_error that would end a handshake.
        using var key = EchServerKey.Generate("public.example");
        var odd = new EchConfig { PublicKey = key.Config.PublicKey, CipherSuites = key.Config.CipherSuites, PublicName = "10.0.0.1" };
        var twice = new EchConfig { PublicKey = key.Config.PublicKey, CipherSuites = key.Config.CipherSuites, PublicName = "public.example", Extensions = [new(1, []), new(1, [])] };
        var parsed = EchConfigList.Parse(EchConfigList.Encode([odd, twice, key.Config]));
        Assert.Equal([false, false, true], parsed.Select(c => c.IsUsable));
        Assert.Equal(EchConfigList.Encode([odd, twice, key.Config]), EchConfigList.Encode(parsed));
    }
}
