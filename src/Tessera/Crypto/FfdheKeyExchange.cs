using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Agreement;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using BigInteger = Org.BouncyCastle.Math.BigInteger;

namespace Tessera.Crypto;

/// <summary>
/// Finite-field Diffie-Hellman over the RFC 7919 groups (BouncyCastle: the BCL has no FFDH), in KEM
/// shape. Shares and the shared secret are big-endian and left-padded to the prime's length (RFC 8446
/// §4.2.8.1, §7.4.1); every peer value must satisfy 1 &lt; Y &lt; p − 1 (RFC 7919 §5.1) and lie in the
/// prime-order subgroup (Y^q = 1, checked by BouncyCastle).
/// </summary>
internal sealed class FfdheKeyExchange : IKeyExchangeAlgorithm
{
    public static FfdheKeyExchange Ffdhe2048 { get; } = new(NamedGroup.Ffdhe2048, DHStandardGroups.rfc7919_ffdhe2048);

    public static FfdheKeyExchange Ffdhe3072 { get; } = new(NamedGroup.Ffdhe3072, DHStandardGroups.rfc7919_ffdhe3072);

    public static FfdheKeyExchange Ffdhe4096 { get; } = new(NamedGroup.Ffdhe4096, DHStandardGroups.rfc7919_ffdhe4096);

    /// <summary>The groups, to recognise a TLS 1.2 server's explicit parameters.</summary>
    public static IReadOnlyList<FfdheKeyExchange> All { get; } = [Ffdhe2048, Ffdhe3072, Ffdhe4096];

    private static readonly SecureRandom Random = new();

    private readonly DHParameters _parameters;
    private readonly BigInteger _pMinusOne;

    private FfdheKeyExchange(NamedGroup group, DHParameters parameters)
    {
        Group = group;
        _parameters = parameters;
        _pMinusOne = parameters.P.Subtract(BigInteger.One);
        Length = (parameters.P.BitLength + 7) / 8;
        Prime = parameters.P.ToByteArrayUnsigned();
        Generator = parameters.G.ToByteArrayUnsigned();
    }

    public NamedGroup Group { get; }

    /// <summary>Length of p in bytes: the length of every share and of the shared secret.</summary>
    public int Length { get; }

    /// <summary>p, big-endian.</summary>
    public byte[] Prime { get; }

    /// <summary>g, big-endian.</summary>
    public byte[] Generator { get; }

    public IKeyExchangeClientState GenerateClientShare() => new ClientState(this, GenerateKeyPair());

    public KeyExchangeServerResult Encapsulate(ReadOnlySpan<byte> clientShare)
    {
        var peer = ImportPeer(clientShare);
        var mine = GenerateKeyPair();
        return new KeyExchangeServerResult(Pad(((DHPublicKeyParameters)mine.Public).Y), Agree((DHPrivateKeyParameters)mine.Private, peer));
    }

    private Org.BouncyCastle.Crypto.AsymmetricCipherKeyPair GenerateKeyPair()
    {
        var generator = new DHKeyPairGenerator();
        generator.Init(new DHKeyGenerationParameters(Random, _parameters));
        return generator.GenerateKeyPair();
    }

    private DHPublicKeyParameters ImportPeer(ReadOnlySpan<byte> share)
    {
        if (share.Length != Length)
        {
            throw new TlsException(AlertDescription.IllegalParameter, $"{NamedGroups.NameOf((ushort)Group)} share is {share.Length} bytes, not {Length}");
        }

        var y = new BigInteger(1, share.ToArray());
        if (y.CompareTo(BigInteger.One) <= 0 || y.CompareTo(_pMinusOne) >= 0)
        {
            throw new TlsException(AlertDescription.IllegalParameter, $"{NamedGroups.NameOf((ushort)Group)} share is outside 1 < Y < p - 1");
        }

        try
        {
            // BouncyCastle also checks Y^q = 1 (mod p): the value must lie in the prime-order subgroup.
            return new DHPublicKeyParameters(y, _parameters);
        }
        catch (ArgumentException ex)
        {
            throw new TlsException(AlertDescription.IllegalParameter, AlertSource.Local, $"{NamedGroups.NameOf((ushort)Group)} share is not in the prime-order subgroup", ex);
        }
    }

    private byte[] Agree(DHPrivateKeyParameters mine, DHPublicKeyParameters peer)
    {
        var agreement = new DHBasicAgreement();
        agreement.Init(mine);
        return Pad(agreement.CalculateAgreement(peer));
    }

    private byte[] Pad(BigInteger value)
    {
        var bytes = value.ToByteArrayUnsigned();
        if (bytes.Length == Length)
        {
            return bytes;
        }

        var padded = new byte[Length];
        bytes.CopyTo(padded, Length - bytes.Length);
        CryptographicOperations.ZeroMemory(bytes);
        return padded;
    }

    private sealed class ClientState(FfdheKeyExchange owner, Org.BouncyCastle.Crypto.AsymmetricCipherKeyPair keyPair) : IKeyExchangeClientState
    {
        public NamedGroup Group => owner.Group;

        public ReadOnlyMemory<byte> PublicShare { get; } = owner.Pad(((DHPublicKeyParameters)keyPair.Public).Y);

        public byte[] Decapsulate(ReadOnlySpan<byte> serverShare) => owner.Agree((DHPrivateKeyParameters)keyPair.Private, owner.ImportPeer(serverShare));

        public void Dispose()
        {
            // BouncyCastle's BigInteger is immutable and cannot be wiped; dropping the reference is all we can do.
        }
    }
}
