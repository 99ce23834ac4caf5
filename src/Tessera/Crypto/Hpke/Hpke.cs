using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Tessera.Crypto.Hpke;

/// <summary>
/// Hybrid Public Key Encryption (RFC 9180), base mode: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-GCM or
/// ChaCha20-Poly1305, on the crypto provider's X25519, HKDF and AEADs. A sender encapsulates to the recipient's public
/// key and seals; the recipient decapsulates the <c>enc</c> it receives and opens.
/// </summary>
public static class Hpke
{
    private static readonly byte[] Version = "HPKE-v1"u8.ToArray();

    /// <summary>A fresh key pair (GenerateKeyPair, RFC 9180 §4).</summary>
    public static HpkeKeyPair GenerateKeyPair(HpkeKem kem, ICryptoProvider? crypto = null)
    {
        crypto ??= DefaultCryptoProvider.Instance;
        var ikm = new byte[32];
        crypto.GetRandomBytes(ikm);
        try
        {
            return DeriveKeyPair(kem, ikm, crypto);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(ikm);
        }
    }

    /// <summary>DeriveKeyPair(ikm) (RFC 9180 §7.1.3): the same key pair from the same input keying material.</summary>
    public static HpkeKeyPair DeriveKeyPair(HpkeKem kem, ReadOnlySpan<byte> ikm, ICryptoProvider? crypto = null)
    {
        crypto ??= DefaultCryptoProvider.Instance;
        var suite = new HpkeSuite(kem, HpkeKdf.HkdfSha256, HpkeAead.ExportOnly);
        Require(suite with { Aead = HpkeAead.Aes128Gcm });
        var prk = LabeledExtract(crypto, suite.KemSuiteId, [], "dkp_prk", ikm);
        var sk = LabeledExpand(crypto, suite.KemSuiteId, prk, "sk", [], 32);
        CryptographicOperations.ZeroMemory(prk);
        var pk = new byte[32];
        crypto.X25519PublicKey(sk, pk);
        return new HpkeKeyPair(kem, sk, pk);
    }

    /// <summary>SetupBaseS (RFC 9180 §5.1.1): encapsulates to <paramref name="recipientPublicKey"/>; send <c>Enc</c> with the ciphertexts.</summary>
    public static (byte[] Enc, HpkeContext Context) SetupBaseSender(HpkeSuite suite, ReadOnlySpan<byte> recipientPublicKey, ReadOnlySpan<byte> info, ICryptoProvider? crypto = null) =>
        SetupBaseSender(suite, recipientPublicKey, info, crypto ?? DefaultCryptoProvider.Instance, sharedSecretCopy: default);

    /// <summary>SetupBaseS that also copies the KEM's shared secret into <paramref name="sharedSecretCopy"/> (32 bytes; for a key log only).</summary>
    internal static (byte[] Enc, HpkeContext Context) SetupBaseSender(HpkeSuite suite, ReadOnlySpan<byte> recipientPublicKey, ReadOnlySpan<byte> info, ICryptoProvider crypto, Span<byte> sharedSecretCopy)
    {
        using var ephemeral = GenerateKeyPair(suite.Kem, crypto);
        return SetupBaseSender(suite, recipientPublicKey, info, ephemeral, crypto, sharedSecretCopy);
    }

    /// <summary>
    /// SetupBaseS with a given ephemeral key pair: for known-answer tests only. An ephemeral key used twice gives away
    /// every message sealed under either context.
    /// </summary>
    internal static (byte[] Enc, HpkeContext Context) SetupBaseSender(HpkeSuite suite, ReadOnlySpan<byte> recipientPublicKey, ReadOnlySpan<byte> info, HpkeKeyPair ephemeral, ICryptoProvider crypto,
        Span<byte> sharedSecretCopy = default)
    {
        Require(suite);
        if (recipientPublicKey.Length != 32)
        {
            throw new CryptographicException("the recipient's X25519 public key must be 32 bytes");
        }

        var enc = ephemeral.PublicKey.ToArray();
        var sharedSecret = Encapsulate(crypto, suite, recipientPublicKey, ephemeral);
        if (!sharedSecretCopy.IsEmpty)
        {
            sharedSecret.CopyTo(sharedSecretCopy);
        }

        return (enc, KeySchedule(crypto, suite, sharedSecret, info, isSender: true));
    }

    /// <summary>Encap's shared secret (RFC 9180 §4.1) with a given ephemeral key pair: DH, then ExtractAndExpand over enc ‖ pkRm.</summary>
    internal static byte[] Encapsulate(ICryptoProvider crypto, HpkeSuite suite, ReadOnlySpan<byte> recipientPublicKey, HpkeKeyPair ephemeral)
    {
        var dh = new byte[32];
        try
        {
            if (!crypto.X25519SharedSecret(ephemeral.PrivateKey, recipientPublicKey, dh))
            {
                throw new CryptographicException("the recipient's public key is a low-order point");
            }

            return ExtractAndExpand(crypto, suite, dh, [.. ephemeral.PublicKey, .. recipientPublicKey]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dh);
        }
    }

    /// <summary>SetupBaseR (RFC 9180 §5.1.1): decapsulates <paramref name="enc"/> with the recipient's key pair.</summary>
    public static HpkeContext SetupBaseRecipient(HpkeSuite suite, ReadOnlySpan<byte> enc, HpkeKeyPair recipient, ReadOnlySpan<byte> info, ICryptoProvider? crypto = null) =>
        SetupBaseRecipient(suite, enc, recipient, info, crypto ?? DefaultCryptoProvider.Instance, sharedSecretCopy: default);

    /// <summary>SetupBaseR that also copies the KEM's shared secret into <paramref name="sharedSecretCopy"/> (32 bytes; for a key log only).</summary>
    internal static HpkeContext SetupBaseRecipient(HpkeSuite suite, ReadOnlySpan<byte> enc, HpkeKeyPair recipient, ReadOnlySpan<byte> info, ICryptoProvider crypto, Span<byte> sharedSecretCopy)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        Require(suite);
        if (enc.Length != 32)
        {
            throw new CryptographicException("an X25519 enc must be 32 bytes");
        }

        var dh = new byte[32];
        try
        {
            if (!crypto.X25519SharedSecret(recipient.PrivateKey, enc, dh))
            {
                throw new CryptographicException("enc is a low-order point");
            }

            var sharedSecret = ExtractAndExpand(crypto, suite, dh, [.. enc, .. recipient.PublicKey]);
            if (!sharedSecretCopy.IsEmpty)
            {
                sharedSecret.CopyTo(sharedSecretCopy);
            }

            return KeySchedule(crypto, suite, sharedSecret, info, isSender: false);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dh);
        }
    }

    /// <summary>Single-shot Seal (RFC 9180 §6.1): a fresh context, one message.</summary>
    public static (byte[] Enc, byte[] Ciphertext) Seal(HpkeSuite suite, ReadOnlySpan<byte> recipientPublicKey, ReadOnlySpan<byte> info, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext)
    {
        var (enc, context) = SetupBaseSender(suite, recipientPublicKey, info);
        using (context)
        {
            return (enc, context.Seal(associatedData, plaintext));
        }
    }

    /// <summary>Single-shot Open (RFC 9180 §6.1).</summary>
    public static byte[] Open(HpkeSuite suite, ReadOnlySpan<byte> enc, HpkeKeyPair recipient, ReadOnlySpan<byte> info, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext)
    {
        using var context = SetupBaseRecipient(suite, enc, recipient, info);
        return context.Open(associatedData, ciphertext);
    }

    private static void Require(HpkeSuite suite)
    {
        if (!suite.IsSupported)
        {
            throw new NotSupportedException($"HPKE suite {suite} is not implemented (Tessera has DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-GCM, ChaCha20-Poly1305, export-only)");
        }
    }

    /// <summary>ExtractAndExpand (RFC 9180 §4.1): shared_secret from the DH output and kem_context = enc ‖ pkRm.</summary>
    private static byte[] ExtractAndExpand(ICryptoProvider crypto, HpkeSuite suite, ReadOnlySpan<byte> dh, ReadOnlySpan<byte> kemContext)
    {
        var prk = LabeledExtract(crypto, suite.KemSuiteId, [], "eae_prk", dh);
        try
        {
            return LabeledExpand(crypto, suite.KemSuiteId, prk, "shared_secret", kemContext, 32);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(prk);
        }
    }

    /// <summary>A recipient context from a known shared secret (a key log's ECH_SECRET, when a capture is decoded).</summary>
    internal static HpkeContext RecipientFromSharedSecret(ICryptoProvider crypto, HpkeSuite suite, ReadOnlySpan<byte> sharedSecret, ReadOnlySpan<byte> info)
    {
        Require(suite);
        return KeySchedule(crypto, suite, sharedSecret.ToArray(), info, isSender: false);
    }

    private static HpkeContext KeySchedule(ICryptoProvider crypto, HpkeSuite suite, byte[] sharedSecret, ReadOnlySpan<byte> info, bool isSender)
    {
        var (key, baseNonce, exporterSecret) = ScheduleSecrets(crypto, suite, sharedSecret, info);
        CryptographicOperations.ZeroMemory(sharedSecret);
        return new HpkeContext(crypto, suite, key, baseNonce, exporterSecret, isSender);
    }

    /// <summary>KeySchedule for mode_base (RFC 9180 §5.1): no PSK, psk_id empty; key, base_nonce and exporter_secret.</summary>
    internal static (byte[] Key, byte[] BaseNonce, byte[] ExporterSecret) ScheduleSecrets(ICryptoProvider crypto, HpkeSuite suite, ReadOnlySpan<byte> sharedSecret, ReadOnlySpan<byte> info)
    {
        var id = suite.SuiteId;
        var pskIdHash = LabeledExtract(crypto, id, [], "psk_id_hash", []);
        var infoHash = LabeledExtract(crypto, id, [], "info_hash", info);
        byte[] context = [0x00, .. pskIdHash, .. infoHash];
        var secret = LabeledExtract(crypto, id, sharedSecret, "secret", []);
        try
        {
            return (LabeledExpand(crypto, id, secret, "key", context, suite.KeyLength),
                LabeledExpand(crypto, id, secret, "base_nonce", context, suite.NonceLength),
                LabeledExpand(crypto, id, secret, "exp", context, HpkeSuite.HashLength));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>LabeledExtract(salt, label, ikm) = Extract(salt, "HPKE-v1" ‖ suite_id ‖ label ‖ ikm).</summary>
    internal static byte[] LabeledExtract(ICryptoProvider crypto, ReadOnlySpan<byte> suiteId, ReadOnlySpan<byte> salt, string label, ReadOnlySpan<byte> ikm)
    {
        byte[] labeled = [.. Version, .. suiteId, .. Encoding.ASCII.GetBytes(label), .. ikm];
        var prk = new byte[HpkeSuite.HashLength];
        try
        {
            crypto.HkdfExtract(TlsHashAlgorithm.Sha256, labeled, salt, prk);
            return prk;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(labeled);
        }
    }

    /// <summary>LabeledExpand(prk, label, info, L) = Expand(prk, I2OSP(L, 2) ‖ "HPKE-v1" ‖ suite_id ‖ label ‖ info, L).</summary>
    internal static byte[] LabeledExpand(ICryptoProvider crypto, ReadOnlySpan<byte> suiteId, ReadOnlySpan<byte> prk, string label, ReadOnlySpan<byte> info, int length)
    {
        var lengthBytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(lengthBytes, (ushort)length);
        byte[] labeled = [.. lengthBytes, .. Version, .. suiteId, .. Encoding.ASCII.GetBytes(label), .. info];
        var output = new byte[length];
        if (length > 0)
        {
            crypto.HkdfExpand(TlsHashAlgorithm.Sha256, prk, labeled, output);
        }

        return output;
    }
}
