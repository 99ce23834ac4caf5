using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;
using Tessera.Crypto;

namespace Tessera.Tests.Crypto;

public sealed class DefaultCryptoProviderTests
{
    private static readonly ICryptoProvider Crypto = DefaultCryptoProvider.Instance;

    private const string GcmPlaintext = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
    private const string GcmAad = "feedfacedeadbeeffeedfacedeadbeefabaddad2";

    [Fact]
    public void HkdfMatchesRfc5869TestCase1()
    {
        var prk = new byte[32];
        Crypto.HkdfExtract(TlsHashAlgorithm.Sha256, Hex.Parse("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"), Hex.Parse("000102030405060708090a0b0c"), prk);
        Assert.Equal(Hex.Parse("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5"), prk);
        var okm = new byte[42];
        Crypto.HkdfExpand(TlsHashAlgorithm.Sha256, prk, Hex.Parse("f0f1f2f3f4f5f6f7f8f9"), okm);
        Assert.Equal(Hex.Parse("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"), okm);
    }

    [Fact]
    public void AKeyedHmacMatchesRfc4231OnEveryUse()
    {
        var key = "Jefe"u8.ToArray();
        var data = "what do ya want for nothing?"u8.ToArray();
        var expected = Hex.Parse("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");   // RFC 4231 §4.3
        using var keyed = Crypto.CreateKeyedHmac(TlsHashAlgorithm.Sha256, key);
        using var fallback = new ProviderKeyedHmac(Crypto, TlsHashAlgorithm.Sha256, key);
        for (int use = 0; use < 3; use++)
        {
            var mac = new byte[32];
            Assert.Equal(32, keyed.Compute(data, mac));
            Assert.Equal(expected, mac);
            Array.Clear(mac);
            fallback.Compute(data, mac);
            Assert.Equal(expected, mac);
        }
    }

    [Theory]
    [InlineData("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5", "f0f1f2f3f4f5f6f7f8f9",
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")]   // RFC 5869 A.1: two blocks
    [InlineData("19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04", "",
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8")]   // RFC 5869 A.3: no info
    public void AKeyedExpanderMatchesRfc5869AndTheOneShotOnEveryUse(string prk, string info, string okm)
    {
        using var expander = Crypto.CreateHkdfExpander(TlsHashAlgorithm.Sha256, Hex.Parse(prk));
        using var fallback = new ProviderHkdfExpander(Crypto, TlsHashAlgorithm.Sha256, Hex.Parse(prk));
        for (int use = 0; use < 3; use++)
        {
            var output = new byte[42];
            expander.Expand(Hex.Parse(info), output);
            Assert.Equal(Hex.Parse(okm), output);
            var shorter = new byte[7 + use];
            fallback.Expand(Hex.Parse(info), shorter);
            Assert.Equal(Hex.Parse(okm)[..shorter.Length], shorter);
        }

        Assert.Throws<ArgumentException>(() => expander.Expand([], new byte[255 * 32 + 1]));
    }

    [Theory]
    [InlineData(AeadAlgorithm.Aes128Gcm, "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888", GcmAad, GcmPlaintext,
        "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091", "5bc94fbc3221a5db94fae95ae7121a47")]
    [InlineData(AeadAlgorithm.Aes256Gcm, "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888", GcmAad, GcmPlaintext,
        "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662", "76fc6ece0f4e1768cddf8853bb2d551b")]
    [InlineData(AeadAlgorithm.ChaCha20Poly1305, "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f", "070000004041424344454647", "50515253c0c1c2c3c4c5c6c7",
        "4c616469657320616e642047656e746c656d656e206f662074686520636c617373206f66202739393a204966204920636f756c64206f6666657220796f75206f6e6c79206f6e652074697020666f7220746865206675747572652c2073756e73637265656e20776f756c642062652069742e",
        "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116", "1ae10b594f09e26a7e902ecbd0600691")]
    public void AeadKnownAnswersSealOpenAndRejectTampering(AeadAlgorithm algorithm, string key, string nonce, string aad, string plaintext, string ciphertext, string tag)
    {
        using var aead = Crypto.CreateAead(algorithm, Hex.Parse(key));
        var p = Hex.Parse(plaintext);
        var c = new byte[p.Length];
        var t = new byte[16];
        aead.Seal(Hex.Parse(nonce), p, c, t, Hex.Parse(aad));
        Assert.Equal(Hex.Parse(ciphertext), c);
        Assert.Equal(Hex.Parse(tag), t);

        var opened = new byte[c.Length];
        Assert.True(aead.Open(Hex.Parse(nonce), c, t, opened, Hex.Parse(aad)));
        Assert.Equal(p, opened);

        c[7] ^= 1;
        Assert.False(aead.Open(Hex.Parse(nonce), c, t, opened, Hex.Parse(aad)));
        Assert.All(opened, b => Assert.Equal(0, b));   // nothing unauthenticated is left behind
    }

    [Fact]
    public void AeadRejectsAKeyOfTheWrongLength() =>
        Assert.Throws<ArgumentException>(() => Crypto.CreateAead(AeadAlgorithm.Aes256Gcm, new byte[16]));

    [Fact]
    public void X25519MatchesRfc7748AndRfc8448()
    {
        using var alice = X25519KeyExchange.FromPrivateKey(Hex.Parse("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
        Assert.Equal(Hex.Parse("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"), alice.PublicShare.ToArray());
        Assert.Equal(Hex.Parse("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"),
            alice.Decapsulate(Hex.Parse("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")));

        using var client = X25519KeyExchange.FromPrivateKey(Hex.Parse("49af42ba7f7994852d713ef2784bcbcaa7911de26adc5642cb634540e7ea5005"));
        Assert.Equal(Hex.Parse("99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c"), client.PublicShare.ToArray());
        Assert.Equal(Tests.KeySchedule.Rfc8448KeyScheduleTests.SharedSecret,
            client.Decapsulate(Hex.Parse("c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f")));
    }

    [Theory]
    [InlineData(NamedGroup.X25519)]
    [InlineData(NamedGroup.Secp256r1)]
    [InlineData(NamedGroup.Secp384r1)]
    public void KeyExchangeRoundTripsInKemShape(NamedGroup group)
    {
        var kex = Crypto.GetKeyExchange(group);
        using var client = kex.GenerateClientShare();
        var server = kex.Encapsulate(client.PublicShare.Span);
        Assert.Equal(server.SharedSecret, client.Decapsulate(server.ServerShare));
        Assert.Equal(group == NamedGroup.X25519 ? 32 : group == NamedGroup.Secp256r1 ? 32 : 48, server.SharedSecret.Length);
    }

    public static TheoryData<NamedGroup, string> InvalidShares() => new()
    {
        { NamedGroup.X25519, "00" },
        { NamedGroup.X25519, new string('0', 64) },                                        // the zero point: low order
        { NamedGroup.X25519, "0100000000000000000000000000000000000000000000000000000000000000" }, // order 1
        { NamedGroup.Secp256r1, "04" + new string('1', 128) },                             // not on the curve
        { NamedGroup.Secp256r1, "02" + new string('1', 64) },                              // compressed
        { NamedGroup.Secp256r1, "04" + new string('0', 128) },                             // the point at infinity
        { NamedGroup.Secp256r1, "04" + new string('f', 128) },                             // coordinates >= p
        { NamedGroup.Secp384r1, "04" + new string('1', 190) },                             // short
    };

    [Theory]
    [MemberData(nameof(InvalidShares))]
    public void InvalidSharesAreIllegalParameterOnBothSides(NamedGroup group, string share)
    {
        var kex = Crypto.GetKeyExchange(group);
        var bytes = Hex.Parse(share);
        Assert.Equal(AlertDescription.IllegalParameter, Assert.Throws<TlsException>(() => kex.Encapsulate(bytes)).Alert);
        using var client = kex.GenerateClientShare();
        Assert.Equal(AlertDescription.IllegalParameter, Assert.Throws<TlsException>(() => client.Decapsulate(bytes)).Alert);
    }

    [Fact]
    public void AnOffCurvePointThatLooksRightIsRefused()
    {
        // A valid P-256 point with Y nudged by one: the right shape, the wrong curve.
        using var client = Crypto.GetKeyExchange(NamedGroup.Secp256r1).GenerateClientShare();
        var share = client.PublicShare.ToArray();
        share[^1] ^= 1;
        Assert.Equal(AlertDescription.IllegalParameter, Assert.Throws<TlsException>(() => Crypto.GetKeyExchange(NamedGroup.Secp256r1).Encapsulate(share)).Alert);
    }

    public static TheoryData<SignatureScheme> SignedSchemes() =>
    [
        SignatureScheme.ecdsa_secp256r1_sha256, SignatureScheme.ecdsa_secp384r1_sha384, SignatureScheme.ecdsa_secp521r1_sha512,
        SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.rsa_pss_rsae_sha384, SignatureScheme.rsa_pss_rsae_sha512,
        SignatureScheme.rsa_pkcs1_sha256, SignatureScheme.rsa_pkcs1_sha384, SignatureScheme.rsa_pkcs1_sha512, SignatureScheme.ed25519,
    ];

    private static readonly Lazy<RSA> Rsa = new(() => RSA.Create(2048));

    private static (byte[] Spki, byte[] Signature) Sign(SignatureScheme scheme, byte[] data)
    {
        var info = SignatureSchemes.Find(scheme)!;
        var hash = info.Hash switch { TlsHashAlgorithm.Sha256 => HashAlgorithmName.SHA256, TlsHashAlgorithm.Sha384 => HashAlgorithmName.SHA384, _ => HashAlgorithmName.SHA512 };
        switch (info.KeyType)
        {
            case SignatureKeyType.Ecdsa:
                using (var ec = ECDsa.Create(info.CurveGroup switch
                       {
                           NamedGroup.Secp256r1 => ECCurve.NamedCurves.nistP256,
                           NamedGroup.Secp384r1 => ECCurve.NamedCurves.nistP384,
                           _ => ECCurve.NamedCurves.nistP521,
                       }))
                {
                    return (ec.ExportSubjectPublicKeyInfo(), ec.SignData(data, hash, DSASignatureFormat.Rfc3279DerSequence));
                }

            case SignatureKeyType.Rsa:
                var padding = info.Padding == SignaturePadding.Pss ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1;
                return (Rsa.Value.ExportSubjectPublicKeyInfo(), Rsa.Value.SignData(data, hash, padding));
            default:
                using (var key = Key.Create(SignatureAlgorithm.Ed25519))
                {
                    var spki = Tessera.Pki.Ed25519PrivateKey.EncodeSubjectPublicKeyInfo(key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
                    return (spki, SignatureAlgorithm.Ed25519.Sign(key, data));
                }
        }
    }

    [Theory]
    [MemberData(nameof(SignedSchemes))]
    public void SignaturesVerifyAndTamperingIsCaught(SignatureScheme scheme)
    {
        var data = Encoding.ASCII.GetBytes("TLS 1.3, server CertificateVerify");
        var (spki, signature) = Sign(scheme, data);
        Assert.True(Crypto.VerifySignature(scheme, spki, data, signature));
        Assert.False(Crypto.VerifySignature(scheme, spki, [.. data, 0], signature));
        var bad = (byte[])signature.Clone();
        bad[^1] ^= 1;
        Assert.False(Crypto.VerifySignature(scheme, spki, data, bad));
    }

    [Fact]
    public void AKeyThatDoesNotFitTheSchemeIsRefused()
    {
        var data = new byte[] { 1, 2, 3 };
        var (p384, sig384) = Sign(SignatureScheme.ecdsa_secp384r1_sha384, data);
        Assert.False(Crypto.VerifySignature(SignatureScheme.ecdsa_secp256r1_sha256, p384, data, sig384));
        var (rsa, rsaSig) = Sign(SignatureScheme.rsa_pss_rsae_sha256, data);
        Assert.False(Crypto.VerifySignature(SignatureScheme.ed25519, rsa, data, rsaSig));
        Assert.False(Crypto.VerifySignature(SignatureScheme.rsa_pss_pss_sha256, rsa, data, rsaSig));   // rsaEncryption key, PSS-only scheme
        Assert.False(Crypto.VerifySignature(SignatureScheme.ecdsa_secp256r1_sha256, [0x30, 0x03, 0x02, 0x01, 0x00], data, sig384));
        Assert.False(Crypto.VerifySignature(SignatureScheme.ed25519, [], data, []));
        Assert.False(Crypto.VerifySignature((SignatureScheme)0x9999, rsa, data, rsaSig));
    }

    [Fact]
    public void RsaPssPssSchemesNeedAnRsassaPssKey()
    {
        // SubjectPublicKeyInfo with id-RSASSA-PSS (RFC 4055, parameters absent) around the same RSA key.
        var w = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            using (w.PushSequence())
            {
                w.WriteObjectIdentifier("1.2.840.113549.1.1.10");
            }

            w.WriteBitString(Rsa.Value.ExportRSAPublicKey());
        }

        var pssSpki = w.Encode();
        var data = new byte[] { 9, 8, 7 };
        var signature = Rsa.Value.SignData(data, HashAlgorithmName.SHA384, RSASignaturePadding.Pss);
        Assert.True(Crypto.VerifySignature(SignatureScheme.rsa_pss_pss_sha384, pssSpki, data, signature));
        Assert.False(Crypto.VerifySignature(SignatureScheme.rsa_pss_rsae_sha384, pssSpki, data, signature));   // §4.2.3: the key type decides
    }

    [Fact]
    public void SmallRsaKeysAreRefused()
    {
        using var small = RSA.Create(1024);
        var data = new byte[] { 1, 2, 3 };
        var signature = small.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pss);
        Assert.False(Crypto.VerifySignature(SignatureScheme.rsa_pss_rsae_sha256, small.ExportSubjectPublicKeyInfo(), data, signature));
    }

    [Fact]
    public void TranscriptHashClonesAreIndependent()
    {
        using var hash = Crypto.CreateHash(TlsHashAlgorithm.Sha384);
        hash.Append("abc"u8);
        using var clone = hash.Clone();
        hash.Append("def"u8);
        var a = new byte[48];
        var b = new byte[48];
        hash.GetCurrentHash(a);
        clone.GetCurrentHash(b);
        Assert.Equal(SHA384.HashData("abcdef"u8), a);
        Assert.Equal(SHA384.HashData("abc"u8), b);
    }
}
