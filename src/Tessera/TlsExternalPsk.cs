using System.Security.Cryptography;
using Tessera.Crypto;
using Tessera.KeySchedule;
using Tessera.Messages;

namespace Tessera;

/// <summary>How a PSK's binder is keyed (RFC 8446 §7.1, RFC 9258 §4.2).</summary>
internal enum PskBinderKind
{
    /// <summary>"res binder": a resumption ticket.</summary>
    Resumption,

    /// <summary>"ext binder": an external PSK used as it is.</summary>
    External,

    /// <summary>"imp binder": a PSK made by the RFC 9258 importer.</summary>
    Imported,
}

/// <summary>
/// An external pre-shared key for TLS 1.3 (RFC 8446 §2.2, §4.2.11): an identity both sides know and a secret, with the
/// hash it is used with (SHA-256 unless said otherwise). It authenticates both sides without certificates — for
/// devices, MQTT-style brokers and the like — and, by default, still runs a fresh (EC)DHE exchange (psk_dhe_ke).
/// Opt-in only: set <see cref="TlsClientOptions.ExternalPsk"/> and <see cref="TlsServerOptions.ExternalPsks"/>.
/// A key should be high-entropy (at least 128 bits) and used with one peer pair only (RFC 9257).
/// </summary>
public sealed class TlsExternalPsk
{
    /// <summary>Creates a PSK from its identity and secret (the secret is copied).</summary>
    public TlsExternalPsk(ReadOnlySpan<byte> identity, ReadOnlySpan<byte> key, TlsHashAlgorithm hash = TlsHashAlgorithm.Sha256)
        : this(identity.ToArray(), key.ToArray(), hash, PskBinderKind.External)
    {
    }

    private TlsExternalPsk(byte[] identity, byte[] key, TlsHashAlgorithm hash, PskBinderKind kind)
    {
        if (identity.Length is 0 or > ushort.MaxValue)
        {
            throw new ArgumentException("A PSK identity is 1 to 65535 bytes.", nameof(identity));
        }

        if (key.Length < 16)
        {
            throw new ArgumentException("A PSK should hold at least 128 bits.", nameof(key));
        }

        if (hash is not (TlsHashAlgorithm.Sha256 or TlsHashAlgorithm.Sha384))
        {
            throw new ArgumentOutOfRangeException(nameof(hash), "TLS 1.3 PSKs use SHA-256 or SHA-384.");
        }

        Identity = identity;
        Key = key;
        Hash = hash;
        BinderKind = kind;
    }

    /// <summary>The identity sent in the clear in the ClientHello.</summary>
    public byte[] Identity { get; }

    /// <summary>The hash the PSK is used with: only cipher suites of this hash can use it.</summary>
    public TlsHashAlgorithm Hash { get; }

    internal byte[] Key { get; }

    internal PskBinderKind BinderKind { get; }

    /// <summary>
    /// The RFC 9258 importer: from an external PSK (identity, secret, its hash) and an optional context, the PSK TLS 1.3
    /// uses with suites of <paramref name="targetHash"/>. Its identity on the wire is the ImportedIdentity structure
    /// (external identity, context, target protocol TLS 1.3, target KDF), its key
    /// HKDF-Expand-Label(HKDF-Extract(0, epsk), "derived psk", Hash(ImportedIdentity), L), and its binder is keyed
    /// with "imp binder", so an imported key can never be confused with the raw one.
    /// </summary>
    public static TlsExternalPsk Import(ReadOnlySpan<byte> externalIdentity, ReadOnlySpan<byte> externalKey, ReadOnlySpan<byte> context = default,
        TlsHashAlgorithm externalHash = TlsHashAlgorithm.Sha256, TlsHashAlgorithm targetHash = TlsHashAlgorithm.Sha256)
    {
        if (targetHash is not (TlsHashAlgorithm.Sha256 or TlsHashAlgorithm.Sha384) || externalHash is not (TlsHashAlgorithm.Sha256 or TlsHashAlgorithm.Sha384))
        {
            throw new ArgumentOutOfRangeException(nameof(targetHash), "TLS 1.3 PSKs use SHA-256 or SHA-384.");
        }

        var w = new TlsWriter(externalIdentity.Length + context.Length + 8);
        w.WriteVector16(externalIdentity);
        w.WriteVector16(context);
        w.WriteUInt16((ushort)TlsProtocolVersion.Tls13);                            // target_protocol
        w.WriteUInt16(targetHash == TlsHashAlgorithm.Sha256 ? (ushort)0x0001 : (ushort)0x0002);   // target_kdf: HKDF_SHA256 / HKDF_SHA384
        var importedIdentity = w.ToArray();

        var crypto = DefaultCryptoProvider.Instance;
        int externalLength = HashAlgorithms.Length(externalHash);
        var epskx = new byte[externalLength];
        crypto.HkdfExtract(externalHash, externalKey, new byte[externalLength], epskx);
        var identityHash = new byte[externalLength];
        crypto.Hash(externalHash, importedIdentity, identityHash);
        var ipskx = HkdfLabel.Expand(crypto, externalHash, epskx, "derived psk", identityHash, HashAlgorithms.Length(targetHash));
        CryptographicOperations.ZeroMemory(epskx);
        return new TlsExternalPsk(importedIdentity, ipskx, targetHash, PskBinderKind.Imported);
    }
}
