namespace Tessera.Crypto.Hpke;

/// <summary>HPKE KEM identifiers (RFC 9180 §7.1) that Tessera implements.</summary>
public enum HpkeKem : ushort
{
    /// <summary>DHKEM(X25519, HKDF-SHA256), 0x0020.</summary>
    DhkemX25519HkdfSha256 = 0x0020,
}

/// <summary>HPKE KDF identifiers (RFC 9180 §7.2) that Tessera implements.</summary>
public enum HpkeKdf : ushort
{
    /// <summary>HKDF-SHA256, 0x0001.</summary>
    HkdfSha256 = 0x0001,
}

/// <summary>HPKE AEAD identifiers (RFC 9180 §7.3) that Tessera implements.</summary>
public enum HpkeAead : ushort
{
    /// <summary>AES-128-GCM, 0x0001.</summary>
    Aes128Gcm = 0x0001,
    /// <summary>AES-256-GCM, 0x0002.</summary>
    Aes256Gcm = 0x0002,
    /// <summary>ChaCha20-Poly1305, 0x0003.</summary>
    ChaCha20Poly1305 = 0x0003,
    /// <summary>Export-only (no encryption), 0xFFFF.</summary>
    ExportOnly = 0xFFFF,
}

/// <summary>An HPKE ciphersuite: KEM, KDF and AEAD.</summary>
/// <param name="Kem">The key encapsulation mechanism.</param>
/// <param name="Kdf">The key derivation function.</param>
/// <param name="Aead">The AEAD (or export-only).</param>
public sealed record HpkeSuite(HpkeKem Kem, HpkeKdf Kdf, HpkeAead Aead)
{
    /// <summary>DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM: the suite ECH configurations most often name.</summary>
    public static HpkeSuite X25519Sha256Aes128Gcm { get; } = new(HpkeKem.DhkemX25519HkdfSha256, HpkeKdf.HkdfSha256, HpkeAead.Aes128Gcm);

    /// <summary>DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305.</summary>
    public static HpkeSuite X25519Sha256ChaCha20Poly1305 { get; } = new(HpkeKem.DhkemX25519HkdfSha256, HpkeKdf.HkdfSha256, HpkeAead.ChaCha20Poly1305);

    /// <summary>Whether Tessera implements every part of this suite.</summary>
    public bool IsSupported => Enum.IsDefined(Kem) && Enum.IsDefined(Kdf) && Enum.IsDefined(Aead);

    /// <summary>Nk: the AEAD key length.</summary>
    internal int KeyLength => Aead switch { HpkeAead.Aes128Gcm => 16, HpkeAead.Aes256Gcm or HpkeAead.ChaCha20Poly1305 => 32, _ => 0 };

    /// <summary>Nn: the AEAD nonce length.</summary>
    internal int NonceLength => Aead == HpkeAead.ExportOnly ? 0 : 12;

    /// <summary>Nh: the KDF's output length.</summary>
    internal static int HashLength => 32;

    internal AeadAlgorithm AeadAlgorithm => Aead switch
    {
        HpkeAead.Aes128Gcm => AeadAlgorithm.Aes128Gcm,
        HpkeAead.Aes256Gcm => AeadAlgorithm.Aes256Gcm,
        HpkeAead.ChaCha20Poly1305 => AeadAlgorithm.ChaCha20Poly1305,
        _ => throw new InvalidOperationException("an export-only HPKE context cannot seal or open"),
    };

    /// <summary>suite_id for the key schedule: "HPKE" ‖ kem_id ‖ kdf_id ‖ aead_id (RFC 9180 §5.1).</summary>
    internal byte[] SuiteId => [(byte)'H', (byte)'P', (byte)'K', (byte)'E', (byte)((ushort)Kem >> 8), (byte)Kem, (byte)((ushort)Kdf >> 8), (byte)Kdf, (byte)((ushort)Aead >> 8), (byte)Aead];

    /// <summary>suite_id for the KEM: "KEM" ‖ kem_id (RFC 9180 §4.1).</summary>
    internal byte[] KemSuiteId => [(byte)'K', (byte)'E', (byte)'M', (byte)((ushort)Kem >> 8), (byte)Kem];
}
