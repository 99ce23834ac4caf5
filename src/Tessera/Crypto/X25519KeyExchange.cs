using System.Security.Cryptography;

namespace Tessera.Crypto;

/// <summary>X25519 (RFC 7748) through libsodium, in KEM shape.</summary>
internal sealed class X25519KeyExchange : IKeyExchangeAlgorithm
{
    private const int KeyLength = 32;

    public static X25519KeyExchange Instance { get; } = new();

    public NamedGroup Group => NamedGroup.X25519;

    public IKeyExchangeClientState GenerateClientShare() => new ClientState(RandomNumberGenerator.GetBytes(KeyLength));

    /// <summary>A client state from a known private key (for RFC vector tests).</summary>
    internal static IKeyExchangeClientState FromPrivateKey(ReadOnlySpan<byte> privateKey) => new ClientState(privateKey.ToArray());

    public KeyExchangeServerResult Encapsulate(ReadOnlySpan<byte> clientShare)
    {
        var privateKey = RandomNumberGenerator.GetBytes(KeyLength);
        try
        {
            var secret = Agree(privateKey, clientShare);
            return new KeyExchangeServerResult(PublicKeyOf(privateKey), secret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(privateKey);
        }
    }

    private static byte[] PublicKeyOf(byte[] privateKey)
    {
        var publicKey = new byte[KeyLength];
        Libsodium.ScalarMultBase(publicKey, privateKey);
        return publicKey;
    }

    private static byte[] Agree(byte[] privateKey, ReadOnlySpan<byte> peerShare)
    {
        if (peerShare.Length != KeyLength)
        {
            throw new TlsException(AlertDescription.IllegalParameter, $"X25519 share of {peerShare.Length} bytes, expected 32");
        }

        var secret = new byte[KeyLength];
        if (!Libsodium.ScalarMult(secret, privateKey, peerShare.ToArray()) || CryptographicOperations.FixedTimeEquals(secret, new byte[KeyLength]))
        {
            // A low-order point gives all zeros (RFC 7748 §6.1, RFC 8446 §7.4.2): refused.
            CryptographicOperations.ZeroMemory(secret);
            throw new TlsException(AlertDescription.IllegalParameter, "X25519 share is a low-order point");
        }

        return secret;
    }

    private sealed class ClientState : IKeyExchangeClientState
    {
        private readonly byte[] _privateKey;

        public ClientState(byte[] privateKey)
        {
            _privateKey = privateKey;
            PublicShare = PublicKeyOf(privateKey);
        }

        public NamedGroup Group => NamedGroup.X25519;

        public ReadOnlyMemory<byte> PublicShare { get; }

        public byte[] Decapsulate(ReadOnlySpan<byte> serverShare) => Agree(_privateKey, serverShare);

        public void Dispose() => CryptographicOperations.ZeroMemory(_privateKey);
    }
}
