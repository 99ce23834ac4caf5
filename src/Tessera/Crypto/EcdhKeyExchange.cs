using System.Numerics;
using System.Security.Cryptography;

namespace Tessera.Crypto;

/// <summary>
/// ECDHE on secp256r1 / secp384r1 through the BCL, in KEM shape. Shares are uncompressed points
/// (RFC 8446 §4.2.8.2) and every peer point is checked to lie on the curve before use.
/// </summary>
internal sealed class EcdhKeyExchange : IKeyExchangeAlgorithm
{
    public static EcdhKeyExchange P256 { get; } = new(NamedGroup.Secp256r1, ECCurve.NamedCurves.nistP256, 32,
        "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff",
        "5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b");

    public static EcdhKeyExchange P384 { get; } = new(NamedGroup.Secp384r1, ECCurve.NamedCurves.nistP384, 48,
        "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff",
        "b3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aef");

    private readonly ECCurve _curve;
    private readonly int _coordinateLength;
    private readonly BigInteger _p;
    private readonly BigInteger _b;

    private EcdhKeyExchange(NamedGroup group, ECCurve curve, int coordinateLength, string pHex, string bHex)
    {
        Group = group;
        _curve = curve;
        _coordinateLength = coordinateLength;
        _p = BigInteger.Parse("0" + pHex, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
        _b = BigInteger.Parse("0" + bHex, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
    }

    public NamedGroup Group { get; }

    public IKeyExchangeClientState GenerateClientShare() => new ClientState(this, ECDiffieHellman.Create(_curve));

    public KeyExchangeServerResult Encapsulate(ReadOnlySpan<byte> clientShare)
    {
        using var peer = ImportPeer(clientShare);
        using var mine = ECDiffieHellman.Create(_curve);
        return new KeyExchangeServerResult(Encode(mine), mine.DeriveRawSecretAgreement(peer.PublicKey));
    }

    private byte[] Encode(ECDiffieHellman key)
    {
        var q = key.ExportParameters(false).Q;
        var share = new byte[1 + 2 * _coordinateLength];
        share[0] = 0x04;
        q.X!.CopyTo(share, 1 + _coordinateLength - q.X.Length);
        q.Y!.CopyTo(share, 1 + 2 * _coordinateLength - q.Y.Length);
        return share;
    }

    private ECDiffieHellman ImportPeer(ReadOnlySpan<byte> share)
    {
        if (share.Length != 1 + 2 * _coordinateLength || share[0] != 0x04)
        {
            throw new TlsException(AlertDescription.IllegalParameter, $"{NamedGroups.NameOf((ushort)Group)} share is not an uncompressed point of {1 + 2 * _coordinateLength} bytes");
        }

        var x = share.Slice(1, _coordinateLength);
        var y = share.Slice(1 + _coordinateLength, _coordinateLength);
        if (!IsOnCurve(x, y))
        {
            throw new TlsException(AlertDescription.IllegalParameter, $"{NamedGroups.NameOf((ushort)Group)} share is not a point on the curve");
        }

        try
        {
            return ECDiffieHellman.Create(new ECParameters { Curve = _curve, Q = new ECPoint { X = x.ToArray(), Y = y.ToArray() } });
        }
        catch (CryptographicException ex)
        {
            throw new TlsException(AlertDescription.IllegalParameter, AlertSource.Local, $"{NamedGroups.NameOf((ushort)Group)} share was refused", ex);
        }
    }

    /// <summary>0 ≤ x, y &lt; p and y² = x³ − 3x + b (mod p) (SEC 1 §3.2.2.1).</summary>
    private bool IsOnCurve(ReadOnlySpan<byte> xBytes, ReadOnlySpan<byte> yBytes)
    {
        var x = new BigInteger(xBytes, isUnsigned: true, isBigEndian: true);
        var y = new BigInteger(yBytes, isUnsigned: true, isBigEndian: true);
        if (x >= _p || y >= _p)
        {
            return false;
        }

        var left = BigInteger.ModPow(y, 2, _p);
        var right = ((BigInteger.ModPow(x, 3, _p) - 3 * x + _b) % _p + _p) % _p;
        return left == right;
    }

    private sealed class ClientState(EcdhKeyExchange owner, ECDiffieHellman key) : IKeyExchangeClientState
    {
        public NamedGroup Group => owner.Group;

        public ReadOnlyMemory<byte> PublicShare { get; } = owner.Encode(key);

        public byte[] Decapsulate(ReadOnlySpan<byte> serverShare)
        {
            using var peer = owner.ImportPeer(serverShare);
            return key.DeriveRawSecretAgreement(peer.PublicKey);
        }

        public void Dispose() => key.Dispose();
    }
}
