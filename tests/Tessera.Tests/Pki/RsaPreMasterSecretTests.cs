using System.Numerics;
using System.Security.Cryptography;
using Tessera.Pki;

namespace Tessera.Tests.Pki;

/// <summary>RFC 5246 §7.4.7.1 decryption: the plaintext when all is well, the caller's fallback for every kind of bad input, never an exception.</summary>
public sealed class RsaPreMasterSecretTests
{
    private static readonly RSA Rsa = RSA.Create(2048);
    private static readonly RsaPrivateKey Key = new(ImportCopy());

    private static RSA ImportCopy()
    {
        var copy = RSA.Create();
        copy.ImportParameters(Rsa.ExportParameters(true));
        return copy;
    }

    private static byte[] Decrypt(byte[] ciphertext, byte[] fallback) =>
        Key.DecryptPreMasterSecretAsync(ciphertext, fallback).AsTask().GetAwaiter().GetResult();

    [Fact]
    public void AWellFormedPreMasterSecretDecrypts()
    {
        var secret = RandomNumberGenerator.GetBytes(48);
        var fallback = RandomNumberGenerator.GetBytes(48);
        Assert.Equal(secret, Decrypt(Rsa.Encrypt(secret, RSAEncryptionPadding.Pkcs1), fallback));
    }

    public static TheoryData<string> BadInputs() => ["47 bytes", "49 bytes", "empty", "OAEP", "random", "not below the modulus", "too long", "one byte"];

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void EveryBadInputYieldsTheFallback(string kind)
    {
        var fallback = RandomNumberGenerator.GetBytes(48);
        byte[] ciphertext = kind switch
        {
            "47 bytes" => Rsa.Encrypt(new byte[47], RSAEncryptionPadding.Pkcs1),
            "49 bytes" => Rsa.Encrypt(new byte[49], RSAEncryptionPadding.Pkcs1),
            "empty" => Rsa.Encrypt([], RSAEncryptionPadding.Pkcs1),
            "OAEP" => Rsa.Encrypt(new byte[48], RSAEncryptionPadding.OaepSHA256),
            "random" => [0, .. RandomNumberGenerator.GetBytes(255)],
            "not below the modulus" => Enumerable.Repeat((byte)0xFF, 256).ToArray(),
            "too long" => new byte[257],
            _ => [7],
        };
        Assert.Equal(fallback, Decrypt(ciphertext, fallback));
    }

    [Fact]
    public void AShortCiphertextIsReadAsIfItsLeadingZerosWereDropped()
    {
        // Find a valid ciphertext whose first byte is zero, then drop it: it must still decrypt.
        var secret = RandomNumberGenerator.GetBytes(48);
        for (int i = 0; i < 2000; i++)
        {
            var ciphertext = Rsa.Encrypt(secret, RSAEncryptionPadding.Pkcs1);
            if (ciphertext[0] == 0)
            {
                Assert.Equal(secret, Decrypt(ciphertext[1..], RandomNumberGenerator.GetBytes(48)));
                return;
            }
        }

        Assert.Fail("no ciphertext with a leading zero byte in 2000 tries (probability about 2^-11 each)");
    }

    [Fact]
    public void ARsaPssKeyCannotDecrypt()
    {
        using var pss = new RsaPrivateKey(ImportCopy(), pssOnly: true);
        Assert.Throws<NotSupportedException>(() => pss.DecryptPreMasterSecretAsync(new byte[256], new byte[48]).AsTask().GetAwaiter().GetResult());
    }
}
