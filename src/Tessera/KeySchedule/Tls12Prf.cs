using System.Security.Cryptography;
using System.Text;
using Tessera.Crypto;

namespace Tessera.KeySchedule;

/// <summary>
/// The TLS 1.2 PRF (RFC 5246 §5): PRF(secret, label, seed) = P_hash(secret, label + seed), with the
/// suite's hash; and the secrets built on it: master secret (RFC 5246 §8.1, or the extended master
/// secret of RFC 7627 §4), key block (§6.3) and Finished verify_data (§7.4.9).
/// </summary>
internal static class Tls12Prf
{
    public const int MasterSecretLength = 48;
    public const int VerifyDataLength = 12;

    /// <summary>
    /// Fills <paramref name="output"/> with PRF(secret, label, seed). With <see cref="TlsHashAlgorithm.Md5Sha1"/>
    /// this is the TLS 1.0/1.1 PRF (RFC 2246 §5): P_MD5(S1, label + seed) XOR P_SHA-1(S2, label + seed), S1 and
    /// S2 the two halves of the secret (sharing the middle byte when its length is odd).
    /// </summary>
    public static void Compute(ICryptoProvider crypto, TlsHashAlgorithm hash, ReadOnlySpan<byte> secret, string label, ReadOnlySpan<byte> seed, Span<byte> output)
    {
        if (hash == TlsHashAlgorithm.Md5Sha1)
        {
            int half = (secret.Length + 1) / 2;
            var sha1Part = new byte[output.Length];
            try
            {
                Compute(crypto, TlsHashAlgorithm.Md5, secret[..half], label, seed, output);
                Compute(crypto, TlsHashAlgorithm.Sha1, secret[(secret.Length - half)..], label, seed, sha1Part);
                for (int i = 0; i < output.Length; i++)
                {
                    output[i] ^= sha1Part[i];
                }
            }
            finally
            {
                CryptographicOperations.ZeroMemory(sha1Part);
            }

            return;
        }

        // P_hash: A(0) = label+seed, A(i) = HMAC(secret, A(i-1)); output = HMAC(secret, A(1) + label+seed) + HMAC(secret, A(2) + label+seed) + ...
        int hashLength = HkdfLabel.HashLength(hash);
        var labelSeed = new byte[Encoding.ASCII.GetByteCount(label) + seed.Length];
        Encoding.ASCII.GetBytes(label, labelSeed);
        seed.CopyTo(labelSeed.AsSpan(labelSeed.Length - seed.Length));

        var a = new byte[hashLength];
        var block = new byte[hashLength + labelSeed.Length];
        var chunk = new byte[hashLength];
        using var hmac = crypto.CreateKeyedHmac(hash, secret);   // every HMAC of P_hash is under the one secret
        try
        {
            hmac.Compute(labelSeed, a);
            int offset = 0;
            while (offset < output.Length)
            {
                a.CopyTo(block, 0);
                labelSeed.CopyTo(block, hashLength);
                hmac.Compute(block, chunk);
                int n = Math.Min(hashLength, output.Length - offset);
                chunk.AsSpan(0, n).CopyTo(output[offset..]);
                offset += n;
                if (offset < output.Length)
                {
                    hmac.Compute(a, a);   // A(i+1), only when another block follows
                }
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(a);
            CryptographicOperations.ZeroMemory(block);
            CryptographicOperations.ZeroMemory(chunk);
        }
    }

    public static byte[] Compute(ICryptoProvider crypto, TlsHashAlgorithm hash, ReadOnlySpan<byte> secret, string label, ReadOnlySpan<byte> seed, int length)
    {
        var output = new byte[length];
        Compute(crypto, hash, secret, label, seed, output);
        return output;
    }

    /// <summary>master_secret = PRF(pre_master_secret, "master secret", ClientHello.random + ServerHello.random)[0..47].</summary>
    public static byte[] MasterSecret(ICryptoProvider crypto, TlsHashAlgorithm hash, ReadOnlySpan<byte> preMasterSecret, ReadOnlySpan<byte> clientRandom, ReadOnlySpan<byte> serverRandom) =>
        Compute(crypto, hash, preMasterSecret, "master secret", [.. clientRandom, .. serverRandom], MasterSecretLength);

    /// <summary>RFC 7627: master_secret = PRF(pre_master_secret, "extended master secret", session_hash)[0..47].</summary>
    public static byte[] ExtendedMasterSecret(ICryptoProvider crypto, TlsHashAlgorithm hash, ReadOnlySpan<byte> preMasterSecret, ReadOnlySpan<byte> sessionHash) =>
        Compute(crypto, hash, preMasterSecret, "extended master secret", sessionHash, MasterSecretLength);

    /// <summary>key_block = PRF(master_secret, "key expansion", server_random + client_random).</summary>
    public static byte[] KeyBlock(ICryptoProvider crypto, TlsHashAlgorithm hash, ReadOnlySpan<byte> masterSecret, ReadOnlySpan<byte> clientRandom, ReadOnlySpan<byte> serverRandom, int length) =>
        Compute(crypto, hash, masterSecret, "key expansion", [.. serverRandom, .. clientRandom], length);

    /// <summary>verify_data = PRF(master_secret, finished_label, Hash(handshake_messages))[0..11].</summary>
    public static byte[] FinishedVerifyData(ICryptoProvider crypto, TlsHashAlgorithm hash, ReadOnlySpan<byte> masterSecret, bool client, ReadOnlySpan<byte> transcriptHash) =>
        Compute(crypto, hash, masterSecret, client ? "client finished" : "server finished", transcriptHash, VerifyDataLength);
}
