using System.Security.Cryptography;
using NSec.Cryptography;

namespace Tessera.Crypto;

/// <summary>X25519 (RFC 7748) through libsodium (NSec), in KEM shape.</summary>
internal sealed class X25519KeyExchange : IKeyExchangeAlgorithm
{
    public static X25519KeyExchange Instance { get; } = new();

    private static readonly KeyAgreementAlgorithm Algorithm = KeyAgreementAlgorithm.X25519;

    public NamedGroup Group => NamedGroup.X25519;

    public IKeyExchangeClientState GenerateClientShare() => new ClientState(Key.Create(Algorithm));

    /// <summary>A client state from a known private key (for RFC vector tests).</summary>
    internal static IKeyExchangeClientState FromPrivateKey(ReadOnlySpan<byte> privateKey) =>
        new ClientState(Key.Import(Algorithm, privateKey, KeyBlobFormat.RawPrivateKey));

    public KeyExchangeServerResult Encapsulate(ReadOnlySpan<byte> clientShare)
    {
        using var key = Key.Create(Algorithm);
        var secret = Agree(key, clientShare);
        return new KeyExchangeServerResult(key.PublicKey.Export(KeyBlobFormat.RawPublicKey), secret);
    }

    private static byte[] Agree(Key key, ReadOnlySpan<byte> peerShare)
    {
        if (peerShare.Length != 32)
        {
            throw new TlsException(AlertDescription.IllegalParameter, $"X25519 share of {peerShare.Length} bytes, expected 32");
        }

        var peer = PublicKey.Import(Algorithm, peerShare, KeyBlobFormat.RawPublicKey);
        using var shared = Algorithm.Agree(key, peer, new SharedSecretCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
        if (shared is null)
        {
            // libsodium refuses low-order points, whose result would be all zeros (RFC 7748 §6.1, RFC 8446 §7.4.2).
            throw new TlsException(AlertDescription.IllegalParameter, "X25519 share is a low-order point");
        }

        var secret = shared.Export(SharedSecretBlobFormat.RawSharedSecret);
        if (CryptographicOperations.FixedTimeEquals(secret, new byte[secret.Length]))
        {
            throw new TlsException(AlertDescription.IllegalParameter, "X25519 shared secret is all zeros");
        }

        return secret;
    }

    private sealed class ClientState(Key key) : IKeyExchangeClientState
    {
        public NamedGroup Group => NamedGroup.X25519;

        public ReadOnlyMemory<byte> PublicShare { get; } = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);

        public byte[] Decapsulate(ReadOnlySpan<byte> serverShare) => Agree(key, serverShare);

        public void Dispose() => key.Dispose();
    }
}
