using System.Security.Cryptography;
using Tessera.Crypto;
using Tessera.Crypto.Hpke;

namespace Tessera.Tests.Crypto;

/// <summary>HPKE (RFC 9180) against the RFC's Appendix A vectors for base mode with DHKEM(X25519, HKDF-SHA256) and HKDF-SHA256.</summary>
public sealed class HpkeTests
{
    public sealed record Vector(string Name, HpkeAead Aead, string IkmE, string PkEm, string SkEm, string IkmR, string PkRm, string SkRm,
        string SharedSecret, string Key, string BaseNonce, string ExporterSecret, (int Sequence, string Aad, string Ciphertext)[] Encryptions);

    private const string Info = "4f6465206f6e2061204772656369616e2055726e";
    private const string Plaintext = "4265617574792069732074727574682c20747275746820626561757479";

    /// <summary>RFC 9180 A.1.1 (AES-128-GCM) and A.2.1 (ChaCha20-Poly1305).</summary>
    public static TheoryData<Vector> Vectors => new()
    {
        new Vector("A.1.1", HpkeAead.Aes128Gcm,
            "7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234", "37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431",
            "52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736", "6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037",
            "3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d", "4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8",
            "fe0e18c9f024ce43799ae393c7e8fe8fce9d218875e8227b0187c04e7d2ea1fc", "4531685d41d65f03dc48f6b8302c05b0", "56d890e5accaaf011cff4b7d",
            "45ff1c2e220db587171952c0592d5f5ebe103f1561a2614e38f2ffd47e99e3f8",
            [
                (0, "436f756e742d30", "f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a"),
                (1, "436f756e742d31", "af2d7e9ac9ae7e270f46ba1f975be53c09f8d875bdc8535458c2494e8a6eab251c03d0c22a56b8ca42c2063b84"),
                (2, "436f756e742d32", "498dfcabd92e8acedc281e85af1cb4e3e31c7dc394a1ca20e173cb72516491588d96a19ad4a683518973dcc180"),
                (4, "436f756e742d34", "583bd32bc67a5994bb8ceaca813d369bca7b2a42408cddef5e22f880b631215a09fc0012bc69fccaa251c0246d"),
                (255, "436f756e742d323535", "7175db9717964058640a3a11fb9007941a5d1757fda1a6935c805c21af32505bf106deefec4a49ac38d71c9e0a"),
                (256, "436f756e742d323536", "957f9800542b0b8891badb026d79cc54597cb2d225b54c00c5238c25d05c30e3fbeda97d2e0e1aba483a2df9f2"),
            ]),
        new Vector("A.2.1", HpkeAead.ChaCha20Poly1305,
            "909a9b35d3dc4713a5e72a4da274b55d3d3821a37e5d099e74a647db583a904b", "1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a",
            "f4ec9b33b792c372c1d2c2063507b684ef925b8c75a42dbcbf57d63ccd381600", "1ac01f181fdf9f352797655161c58b75c656a6cc2716dcb66372da835542e1df",
            "4310ee97d88cc1f088a5576c77ab0cf5c3ac797f3d95139c6c84b5429c59662a", "8057991eef8f1f1af18f4a9491d16a1ce333f695d4db8e38da75975c4478e0fb",
            "0bbe78490412b4bbea4812666f7916932b828bba79942424abb65244930d69a7", "ad2744de8e17f4ebba575b3f5f5a8fa1f69c2a07f6e7500bc60ca6e3e3ec1c91",
            "5c4d98150661b848853b547f", "a3b010d4994890e2c6968a36f64470d3c824c8f5029942feb11e7a74b2921922",
            [
                (0, "436f756e742d30", "1c5250d8034ec2b784ba2cfd69dbdb8af406cfe3ff938e131f0def8c8b60b4db21993c62ce81883d2dd1b51a28"),
                (1, "436f756e742d31", "6b53c051e4199c518de79594e1c4ab18b96f081549d45ce015be002090bb119e85285337cc95ba5f59992dc98c"),
                (2, "436f756e742d32", "71146bd6795ccc9c49ce25dda112a48f202ad220559502cef1f34271e0cb4b02b4f10ecac6f48c32f878fae86b"),
                (4, "436f756e742d34", "63357a2aa291f5a4e5f27db6baa2af8cf77427c7c1a909e0b37214dd47db122bb153495ff0b02e9e54a50dbe16"),
                (255, "436f756e742d323535", "18ab939d63ddec9f6ac2b60d61d36a7375d2070c9b683861110757062c52b8880a5f6b3936da9cd6c23ef2a95c"),
                (256, "436f756e742d323536", "7a4a13e9ef23978e2c520fd4d2e757514ae160cd0cd05e556ef692370ca53076214c0c40d4c728d6ed9e727a5b"),
            ]),
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void BaseModeMatchesTheRfcVectors(Vector v)
    {
        var suite = new HpkeSuite(HpkeKem.DhkemX25519HkdfSha256, HpkeKdf.HkdfSha256, v.Aead);
        using var ephemeral = Hpke.DeriveKeyPair(suite.Kem, Hex.Parse(v.IkmE));
        using var recipient = Hpke.DeriveKeyPair(suite.Kem, Hex.Parse(v.IkmR));
        Assert.Equal(Hex.Parse(v.SkEm), ephemeral.PrivateKey.ToArray());
        Assert.Equal(Hex.Parse(v.PkEm), ephemeral.PublicKey);
        Assert.Equal(Hex.Parse(v.SkRm), recipient.PrivateKey.ToArray());
        Assert.Equal(Hex.Parse(v.PkRm), recipient.PublicKey);

        var (enc, sender) = Hpke.SetupBaseSender(suite, recipient.PublicKey, Hex.Parse(Info), ephemeral, DefaultCryptoProvider.Instance);
        using var receiver = Hpke.SetupBaseRecipient(suite, enc, recipient, Hex.Parse(Info));
        using (sender)
        {
            Assert.Equal(Hex.Parse(v.PkEm), enc);
            var sharedSecret = Hpke.Encapsulate(DefaultCryptoProvider.Instance, suite, recipient.PublicKey, ephemeral);
            Assert.Equal(Hex.Parse(v.SharedSecret), sharedSecret);
            var (key, baseNonce, exporterSecret) = Hpke.ScheduleSecrets(DefaultCryptoProvider.Instance, suite, sharedSecret, Hex.Parse(Info));
            Assert.Equal(Hex.Parse(v.Key), key);
            Assert.Equal(Hex.Parse(v.BaseNonce), baseNonce);
            Assert.Equal(Hex.Parse(v.ExporterSecret), exporterSecret);
            foreach (var (sequence, aad, ciphertext) in v.Encryptions)
            {
                while (sender.SequenceNumber < (ulong)sequence)
                {
                    receiver.Open([], sender.Seal([], [0]));
                }

                var sealedMessage = sender.Seal(Hex.Parse(aad), Hex.Parse(Plaintext));
                Assert.Equal(Hex.Parse(ciphertext), sealedMessage);
                Assert.Equal(Hex.Parse(Plaintext), receiver.Open(Hex.Parse(aad), sealedMessage));
            }
        }
    }

    [Fact]
    public void ExportsMatchTheRfcVectorsOfA11()
    {
        var suite = HpkeSuite.X25519Sha256Aes128Gcm;
        using var ephemeral = Hpke.DeriveKeyPair(suite.Kem, Hex.Parse("7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234"));
        using var recipient = Hpke.DeriveKeyPair(suite.Kem, Hex.Parse("6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037"));
        var (enc, sender) = Hpke.SetupBaseSender(suite, recipient.PublicKey, Hex.Parse(Info), ephemeral, DefaultCryptoProvider.Instance);
        using (sender)
        using (var receiver = Hpke.SetupBaseRecipient(suite, enc, recipient, Hex.Parse(Info)))
        {
            foreach (var (context, expected) in new[]
            {
                ("", "3853fe2b4035195a573ffc53856e77058e15d9ea064de3e59f4961d0095250ee"),
                ("00", "2e8f0b54673c7029649d4eb9d5e33bf1872cf76d623ff164ac185da9e88c21a5"),
                ("54657374436f6e74657874", "e9e43065102c3836401bed8c3c3c75ae46be1639869391d62c61f1ec7af54931"),
            })
            {
                Assert.Equal(Hex.Parse(expected), sender.Export(Hex.Parse(context), 32));
                Assert.Equal(Hex.Parse(expected), receiver.Export(Hex.Parse(context), 32));
            }
        }
    }

    [Fact]
    public void SingleShotRoundTripsAndRefusesTampering()
    {
        using var recipient = Hpke.GenerateKeyPair(HpkeKem.DhkemX25519HkdfSha256);
        var (enc, ciphertext) = Hpke.Seal(HpkeSuite.X25519Sha256ChaCha20Poly1305, recipient.PublicKey, "info"u8, "aad"u8, "hello"u8);
        Assert.Equal("hello"u8.ToArray(), Hpke.Open(HpkeSuite.X25519Sha256ChaCha20Poly1305, enc, recipient, "info"u8, "aad"u8, ciphertext));
        Assert.Throws<CryptographicException>(() => Hpke.Open(HpkeSuite.X25519Sha256ChaCha20Poly1305, enc, recipient, "other info"u8, "aad"u8, ciphertext));
        Assert.Throws<CryptographicException>(() => Hpke.Open(HpkeSuite.X25519Sha256ChaCha20Poly1305, enc, recipient, "info"u8, "bad"u8, ciphertext));
        ciphertext[0] ^= 1;
        Assert.Throws<CryptographicException>(() => Hpke.Open(HpkeSuite.X25519Sha256ChaCha20Poly1305, enc, recipient, "info"u8, "aad"u8, ciphertext));
        Assert.Throws<CryptographicException>(() => Hpke.Open(HpkeSuite.X25519Sha256ChaCha20Poly1305, enc.AsSpan(1), recipient, "info"u8, "aad"u8, ciphertext));
        // A low-order point (all zeros) as enc or as the recipient's key is refused, not turned into a zero secret.
        Assert.Throws<CryptographicException>(() => Hpke.Open(HpkeSuite.X25519Sha256ChaCha20Poly1305, new byte[32], recipient, "info"u8, "aad"u8, ciphertext));
        Assert.Throws<CryptographicException>(() => Hpke.Seal(HpkeSuite.X25519Sha256ChaCha20Poly1305, new byte[32], "info"u8, "aad"u8, "x"u8));
    }

    [Fact]
    public void AFailedOpenDoesNotAdvanceTheSequence()
    {
        using var recipient = Hpke.GenerateKeyPair(HpkeKem.DhkemX25519HkdfSha256);
        var (enc, sender) = Hpke.SetupBaseSender(HpkeSuite.X25519Sha256Aes128Gcm, recipient.PublicKey, []);
        using (sender)
        using (var receiver = Hpke.SetupBaseRecipient(HpkeSuite.X25519Sha256Aes128Gcm, enc, recipient, []))
        {
            var first = sender.Seal([], "one"u8);
            var forged = (byte[])first.Clone();
            forged[^1] ^= 0x80;
            Assert.Throws<CryptographicException>(() => receiver.Open([], forged));
            Assert.Equal(0UL, receiver.SequenceNumber);
            Assert.Equal("one"u8.ToArray(), receiver.Open([], first));
            Assert.Throws<InvalidOperationException>(() => receiver.Seal([], "x"u8));
            Assert.Throws<InvalidOperationException>(() => sender.Open([], first));
        }
    }

    [Fact]
    public void ADisposedContextRefusesToWork()
    {
        using var recipient = Hpke.GenerateKeyPair(HpkeKem.DhkemX25519HkdfSha256);
        var (_, sender) = Hpke.SetupBaseSender(HpkeSuite.X25519Sha256Aes128Gcm, recipient.PublicKey, []);
        sender.Dispose();
        Assert.Throws<ObjectDisposedException>(() => sender.Export([], 32));
        Assert.Throws<ObjectDisposedException>(() => sender.Seal([], "x"u8));
    }

    [Fact]
    public void UnsupportedSuitesAreRefusedByName() =>
        Assert.Throws<NotSupportedException>(() => Hpke.SetupBaseSender(new HpkeSuite((HpkeKem)0x0010, HpkeKdf.HkdfSha256, HpkeAead.Aes128Gcm), new byte[65], []));
}
