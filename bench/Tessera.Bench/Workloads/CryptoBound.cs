using System.Diagnostics;
using System.Security.Cryptography;
using Tessera.Pki;

namespace Tessera.Bench.Workloads;

/// <summary>
/// The limit set by the primitives themselves, called directly (BCL and libsodium, the fastest way each is offered):
/// what one handshake must compute at least (both key shares made and agreed, one signature and its verification, the
/// CertificateVerify or ServerKeyExchange, with the public key already parsed), and how fast an AEAD seals and opens
/// 16 KiB. The certificate's own signature is not counted: a chain seen before need not be verified again.
/// </summary>
public static class CryptoBound
{
    private static readonly byte[] Signed = RandomNumberGenerator.GetBytes(130);   // about what a TLS 1.3 CertificateVerify signs

    /// <summary>Operations per second of <paramref name="operation"/>, median of the windows.</summary>
    public static double Rate(Action operation, BenchSettings settings)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(settings);
        var window = settings.Window / 4;
        operation();
        var rates = new List<double>();
        for (int w = 0; w < settings.Windows; w++)
        {
            int n = 0;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < window)
            {
                operation();
                n++;
            }

            rates.Add(n / clock.Elapsed.TotalSeconds);
        }

        return Measurement.FromWindows("", "", "", "", true, rates).Median;
    }

    /// <summary>One side's key exchange: make a key pair and agree with the peer's share.</summary>
    public static Action KeyExchange(NamedGroup group)
    {
        if (group == NamedGroup.X25519)
        {
            var peerPrivate = RandomNumberGenerator.GetBytes(32);
            var peerPublic = new byte[32];
            Tessera.Crypto.Libsodium.ScalarMultBase(peerPublic, peerPrivate);
            var privateKey = new byte[32];
            var publicKey = new byte[32];
            var shared = new byte[32];
            return () =>
            {
                RandomNumberGenerator.Fill(privateKey);
                Tessera.Crypto.Libsodium.ScalarMultBase(publicKey, privateKey);
                _ = Tessera.Crypto.Libsodium.ScalarMult(shared, privateKey, peerPublic) ? 0 : throw new CryptographicException("X25519 agreement failed");
            };
        }

        var curve = group == NamedGroup.Secp256r1 ? ECCurve.NamedCurves.nistP256 : ECCurve.NamedCurves.nistP384;
        using var other = ECDiffieHellman.Create(curve);
        var otherPublic = other.PublicKey.ExportSubjectPublicKeyInfo();
        return () =>
        {
            using var key = ECDiffieHellman.Create(curve);
            using var peerKey = ECDiffieHellman.Create();
            peerKey.ImportSubjectPublicKeyInfo(otherPublic, out _);
            key.DeriveRawSecretAgreement(peerKey.PublicKey);
        };
    }

    /// <summary>Signing and verifying with a key of <paramref name="keyType"/> as TLS does (ECDSA SHA-256, RSA-PSS SHA-256).</summary>
    public static (Action Sign, Action Verify) Signature(CertificateKeyType keyType)
    {
        if (keyType == CertificateKeyType.EcdsaP256)
        {
            var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var signature = ec.SignData(Signed, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
            return (() => ec.SignData(Signed, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence),
                () => _ = ec.VerifyData(Signed, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence) ? 0 : throw new CryptographicException());
        }

        var rsa = RSA.Create(2048);
        var rsaSignature = rsa.SignData(Signed, HashAlgorithmName.SHA256, RSASignaturePadding.Pss);
        return (() => rsa.SignData(Signed, HashAlgorithmName.SHA256, RSASignaturePadding.Pss),
            () => _ = rsa.VerifyData(Signed, rsaSignature, HashAlgorithmName.SHA256, RSASignaturePadding.Pss) ? 0 : throw new CryptographicException());
    }

    /// <summary>Handshakes per second the primitives allow: 2 key exchanges, 1 signature, 1 verification (full); 2 key exchanges (resumed, psk_dhe_ke).</summary>
    public static double HandshakeBound(NamedGroup group, CertificateKeyType keyType, bool resumed, BenchSettings settings)
    {
        double kex = Rate(KeyExchange(group), settings);
        double seconds = 2 / kex;
        if (!resumed)
        {
            var (sign, verify) = Signature(keyType);
            seconds += (1 / Rate(sign, settings)) + (1 / Rate(verify, settings));
        }

        return 1 / seconds;
    }

    /// <summary>
    /// MB/s of sealing and of opening 16 KiB records with <paramref name="suite"/>'s AEAD, each alone. In a transfer they
    /// run on different cores, so the slower of the two is the limit; one thread doing both is limited by the two in series.
    /// </summary>
    public static (double Seal, double Open) AeadRates(CipherSuite suite, BenchSettings settings)
    {
        const int RecordSize = 16 * 1024;
        var plaintext = RandomNumberGenerator.GetBytes(RecordSize);
        var ciphertext = new byte[RecordSize];
        var tag = new byte[16];
        var nonce = new byte[12];
        var aad = new byte[5];
        int keyLength = suite == CipherSuite.TLS_AES_128_GCM_SHA256 ? 16 : 32;
        var key = RandomNumberGenerator.GetBytes(keyLength);
        Action seal, open;
        if (suite == CipherSuite.TLS_CHACHA20_POLY1305_SHA256)
        {
            var chacha = new System.Security.Cryptography.ChaCha20Poly1305(key);
            chacha.Encrypt(nonce, plaintext, ciphertext, tag, aad);
            var opened = new byte[RecordSize];
            seal = () => chacha.Encrypt(nonce, plaintext, ciphertext, tag, aad);
            open = () => chacha.Decrypt(nonce, ciphertext, tag, opened, aad);
        }
        else
        {
            var gcm = new AesGcm(key, 16);
            gcm.Encrypt(nonce, plaintext, ciphertext, tag, aad);
            var opened = new byte[RecordSize];
            seal = () => gcm.Encrypt(nonce, plaintext, ciphertext, tag, aad);
            open = () => gcm.Decrypt(nonce, ciphertext, tag, opened, aad);
        }

        return (Rate(seal, settings) * RecordSize / 1e6, Rate(open, settings) * RecordSize / 1e6);
    }
}
