using System.Security.Cryptography;

namespace Tessera.Crypto;

/// <summary>
/// The hybrid post-quantum groups of draft-ietf-tls-ecdhe-mlkem: an ML-KEM encapsulation and an (EC)DH exchange in one
/// key_share, secrets concatenated. X25519MLKEM768 puts ML-KEM first in every field; SecP256r1MLKEM768 and
/// SecP384r1MLKEM1024 put the ECDH part first. Every field's length is checked; a bad one is illegal_parameter.
/// </summary>
internal sealed class HybridKeyExchange(NamedGroup group, IKeyExchangeAlgorithm classical, int classicalShareLength, IMlKem mlKem) : IKeyExchangeAlgorithm
{
    public NamedGroup Group => group;

    private bool MlKemFirst => group == NamedGroup.X25519MLKEM768;

    /// <summary>The (EC)DH share's length, the same both ways: 32 for X25519, 65 for P-256, 97 for P-384 (uncompressed points).</summary>
    private int ClassicalShareLength => classicalShareLength;

    private int EncapsulationKeyLength => MlKemSizes.EncapsulationKey(mlKem.ParameterSet);

    private int CiphertextLength => MlKemSizes.Ciphertext(mlKem.ParameterSet);

    public static HybridKeyExchange Create(NamedGroup group, ICryptoProvider crypto) => group switch
    {
        NamedGroup.X25519MLKEM768 => new(group, X25519KeyExchange.Instance, 32, crypto.GetMlKem(MlKemParameterSet.MlKem768)),
        NamedGroup.SecP256r1MLKEM768 => new(group, EcdhKeyExchange.P256, 65, crypto.GetMlKem(MlKemParameterSet.MlKem768)),
        NamedGroup.SecP384r1MLKEM1024 => new(group, EcdhKeyExchange.P384, 97, crypto.GetMlKem(MlKemParameterSet.MlKem1024)),
        _ => throw new NotSupportedException($"{group} is not a hybrid group"),
    };

    public IKeyExchangeClientState GenerateClientShare()
    {
        var classicalState = classical.GenerateClientShare();
        var key = mlKem.GenerateKey();
        byte[] share = MlKemFirst ? [.. key.EncapsulationKey, .. classicalState.PublicShare.Span] : [.. classicalState.PublicShare.Span, .. key.EncapsulationKey];
        return new ClientState(this, classicalState, key, share);
    }

    public KeyExchangeServerResult Encapsulate(ReadOnlySpan<byte> clientShare)
    {
        if (clientShare.Length != EncapsulationKeyLength + classicalShareLength)
        {
            throw new TlsException(AlertDescription.IllegalParameter, $"{group} client share of {clientShare.Length} bytes, expected {EncapsulationKeyLength + classicalShareLength}");
        }

        var encapsulationKey = MlKemFirst ? clientShare[..EncapsulationKeyLength] : clientShare[classicalShareLength..];
        var classicalShare = MlKemFirst ? clientShare[EncapsulationKeyLength..] : clientShare[..classicalShareLength];
        byte[] ciphertext, mlKemSecret;
        try
        {
            (ciphertext, mlKemSecret) = mlKem.Encapsulate(encapsulationKey);
        }
        catch (CryptographicException)
        {
            throw new TlsException(AlertDescription.IllegalParameter, $"{group} client share carries an invalid ML-KEM encapsulation key");
        }

        try
        {
            var classicalResult = classical.Encapsulate(classicalShare);
            byte[] serverShare = MlKemFirst ? [.. ciphertext, .. classicalResult.ServerShare] : [.. classicalResult.ServerShare, .. ciphertext];
            byte[] secret = MlKemFirst ? [.. mlKemSecret, .. classicalResult.SharedSecret] : [.. classicalResult.SharedSecret, .. mlKemSecret];
            CryptographicOperations.ZeroMemory(classicalResult.SharedSecret);
            return new KeyExchangeServerResult(serverShare, secret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(mlKemSecret);
        }
    }

    private sealed class ClientState(HybridKeyExchange owner, IKeyExchangeClientState classical, IMlKemDecapsulationKey key, byte[] share) : IKeyExchangeClientState
    {
        public NamedGroup Group => owner.Group;

        public ReadOnlyMemory<byte> PublicShare => share;

        public byte[] Decapsulate(ReadOnlySpan<byte> serverShare)
        {
            int classicalServerLength = serverShare.Length - owner.CiphertextLength;
            if (classicalServerLength != owner.ClassicalShareLength)
            {
                throw new TlsException(AlertDescription.IllegalParameter, $"{owner.Group} server share of {serverShare.Length} bytes, expected {owner.CiphertextLength + owner.ClassicalShareLength}");
            }

            var ciphertext = owner.MlKemFirst ? serverShare[..owner.CiphertextLength] : serverShare[classicalServerLength..];
            var classicalShare = owner.MlKemFirst ? serverShare[owner.CiphertextLength..] : serverShare[..classicalServerLength];
            byte[]? mlKemSecret = null;
            byte[]? classicalSecret = null;
            try
            {
                mlKemSecret = key.Decapsulate(ciphertext);
                classicalSecret = classical.Decapsulate(classicalShare);
                return owner.MlKemFirst ? [.. mlKemSecret, .. classicalSecret] : [.. classicalSecret, .. mlKemSecret];
            }
            finally
            {
                // Also when the (EC)DH part is refused: the ML-KEM secret never outlives the call.
                CryptographicOperations.ZeroMemory(mlKemSecret);
                CryptographicOperations.ZeroMemory(classicalSecret);
            }
        }

        public void Dispose()
        {
            classical.Dispose();
            key.Dispose();
        }
    }
}
