using System.Security.Cryptography;
using Tessera.Crypto;
using Tessera.Records;

namespace Tessera.KeySchedule;

/// <summary>
/// The TLS 1.0–1.2 key block (RFC 5246 §6.3, RFC 2246 §6.3) turned into record protection for each direction: client
/// MAC key, server MAC key, client key, server key, client IV, server IV. Used by the handshakes and by the capture
/// decoder (<c>tessera trace --pcap</c>).
/// </summary>
internal static class Tls12KeyBlock
{
    public static (IRecordProtection Client, IRecordProtection Server) CreateRecordProtection(ICryptoProvider crypto, CipherSuiteInfo suite,
        TlsProtocolVersion version, ReadOnlySpan<byte> masterSecret, ReadOnlySpan<byte> clientRandom, ReadOnlySpan<byte> serverRandom, bool encryptThenMac)
    {
        var prfHash = version < TlsProtocolVersion.Tls12 ? TlsHashAlgorithm.Md5Sha1 : suite.Hash;
        int macLength = suite.MacLength;
        int keyLength = suite.KeyLength;
        // TLS 1.0 CBC takes its first IV from the key block (RFC 2246 §6.3); 1.1 and 1.2 send one per record.
        int ivLength = version == TlsProtocolVersion.Tls10 && suite.IsCbc ? 16 : suite.FixedIvLength12;
        var block = Tls12Prf.KeyBlock(crypto, prfHash, masterSecret, clientRandom, serverRandom, 2 * (macLength + keyLength + ivLength));
        try
        {
            var span = block.AsSpan();
            var clientMacKey = span[..macLength];
            var serverMacKey = span.Slice(macLength, macLength);
            span = span[(2 * macLength)..];
            var clientKey = span[..keyLength];
            var serverKey = span.Slice(keyLength, keyLength);
            var clientIv = span.Slice(2 * keyLength, ivLength);
            var serverIv = span.Slice((2 * keyLength) + ivLength, ivLength);
            if (suite.IsCbc)
            {
                return (new Tls12CbcRecordProtection(crypto, suite, clientMacKey, clientKey, encryptThenMac, (ushort)version, clientIv),
                    new Tls12CbcRecordProtection(crypto, suite, serverMacKey, serverKey, encryptThenMac, (ushort)version, serverIv));
            }

            return (new Tls12AeadRecordProtection(crypto, suite, clientKey, clientIv), new Tls12AeadRecordProtection(crypto, suite, serverKey, serverIv));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(block);
        }
    }
}
