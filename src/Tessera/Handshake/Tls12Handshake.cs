using System.Security.Cryptography;
using Tessera.KeySchedule;
using Tessera.Messages;
using Tessera.Records;

namespace Tessera.Handshake;

/// <summary>
/// What both TLS 1.2 roles share (RFC 5246, RFC 7627, RFC 5746): the master secret and key block,
/// the ChangeCipherSpec key switch, Finished with the PRF, the signed ECDHE parameters.
/// </summary>
internal abstract class Tls12Handshake : HandshakeBase
{
    protected Tls12Handshake(TlsConnection connection, TlsOptions options)
        : base(connection, options)
    {
        Transcript.KeepMessages();
    }

    public override bool UsesChangeCipherSpec => true;

    protected byte[] ServerRandom { get; set; } = [];

    protected byte[]? MasterSecret { get; private set; }

    protected bool UseExtendedMasterSecret { get; set; }

    /// <summary>encrypt_then_mac (RFC 7366) was negotiated; only ever with a CBC suite.</summary>
    protected bool UseEncryptThenMac { get; set; }

    protected IRecordProtection? PendingRead { get; private set; }

    protected IRecordProtection? PendingWrite { get; private set; }

    public override void Dispose()
    {
        base.Dispose();
        Zero(MasterSecret);
        PendingRead?.Dispose();
        PendingWrite?.Dispose();
    }

    /// <summary>
    /// From the premaster secret: the (extended) master secret and the key block, split into the two
    /// directions' keys (RFC 5246 §6.3; AEAD suites have no MAC keys). Call right after ClientKeyExchange
    /// is in the transcript (the extended master secret hashes up to it, RFC 7627 §3).
    /// </summary>
    protected void DeriveKeys(byte[] preMasterSecret, bool isClient)
    {
        var suite = Suite!;
        try
        {
            MasterSecret = UseExtendedMasterSecret
                ? Tls12Prf.ExtendedMasterSecret(Crypto, suite.Hash, preMasterSecret, Transcript.CurrentHash())
                : Tls12Prf.MasterSecret(Crypto, suite.Hash, preMasterSecret, ClientRandom, ServerRandom);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(preMasterSecret);
        }

        Options.Observer?.OnSecretDerived(UseExtendedMasterSecret ? "extended master secret" : "master secret");
        DeriveKeyBlock(isClient);
    }

    /// <summary>An abbreviated handshake reuses the session's master secret with the new randoms (RFC 5246 §7.3).</summary>
    protected void ResumeMasterSecret(byte[] masterSecret, bool isClient)
    {
        MasterSecret = (byte[])masterSecret.Clone();
        Options.Observer?.OnSecretDerived("master secret (resumed)");
        DeriveKeyBlock(isClient);
    }

    private void DeriveKeyBlock(bool isClient)
    {
        var suite = Suite!;
        KeyLogLabels.Log(Options.KeyLog, KeyLogLabels.ClientRandom, ClientRandom, MasterSecret!);

        // RFC 5246 §6.3: client MAC key, server MAC key, client key, server key, client IV, server IV.
        int macLength = suite.MacLength;
        int keyLength = suite.KeyLength;
        int ivLength = suite.FixedIvLength12;
        var block = Tls12Prf.KeyBlock(Crypto, suite.Hash, MasterSecret!, ClientRandom, ServerRandom, 2 * (macLength + keyLength + ivLength));
        try
        {
            var span = block.AsSpan();
            var clientMacKey = span[..macLength];
            var serverMacKey = span.Slice(macLength, macLength);
            span = span[(2 * macLength)..];
            var clientKey = span[..keyLength];
            var serverKey = span.Slice(keyLength, keyLength);
            var clientIv = span.Slice(2 * keyLength, ivLength);
            var serverIv = span.Slice(2 * keyLength + ivLength, ivLength);
            IRecordProtection client, server;
            if (suite.IsCbc)
            {
                client = new Tls12CbcRecordProtection(Crypto, suite, clientMacKey, clientKey, UseEncryptThenMac);
                server = new Tls12CbcRecordProtection(Crypto, suite, serverMacKey, serverKey, UseEncryptThenMac);
            }
            else
            {
                client = new Tls12AeadRecordProtection(Crypto, suite, clientKey, clientIv);
                server = new Tls12AeadRecordProtection(Crypto, suite, serverKey, serverIv);
            }

            (PendingWrite, PendingRead) = isClient ? (client, server) : (server, client);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(block);
        }

        Options.Observer?.OnSecretDerived("key expansion");
    }

    /// <summary>Sends ChangeCipherSpec and switches this side's writing to the new keys.</summary>
    protected void SendChangeCipherSpec(string description)
    {
        Connection.WriteChangeCipherSpec();
        Connection.InstallWriteProtection(PendingWrite!, description);
        PendingWrite = null;
    }

    /// <summary>The peer's ChangeCipherSpec: switch reading to the new keys.</summary>
    protected void ActivatePendingRead(string description)
    {
        Connection.InstallReadProtection(PendingRead!, description);
        PendingRead = null;
    }

    /// <summary>
    /// For a renegotiation (RFC 5746): the previous handshake's client and server verify_data, which
    /// the new hellos must carry in renegotiation_info. Null on an initial handshake.
    /// </summary>
    public (byte[] Client, byte[] Server)? Renegotiating { get; init; }

    protected byte[] BuildFinished(bool client)
    {
        var verifyData = Tls12Prf.FinishedVerifyData(Crypto, Suite!.Hash, MasterSecret!, client, Transcript.CurrentHash());
        Connection.RecordVerifyData(client, verifyData);
        return new Finished { VerifyData = verifyData }.ToMessageBytes();
    }

    /// <summary>Checks the peer's Finished in fixed time; decrypt_error when it does not match.</summary>
    protected void VerifyFinished(byte[] message, bool fromClient)
    {
        var finished = Finished.Parse(Body(message), Tls12Prf.VerifyDataLength);
        var expected = Tls12Prf.FinishedVerifyData(Crypto, Suite!.Hash, MasterSecret!, fromClient, Transcript.CurrentHash());
        if (!CryptographicOperations.FixedTimeEquals(expected, finished.VerifyData))
        {
            throw new TlsException(AlertDescription.DecryptError, "Finished verify_data does not match the handshake");
        }

        Connection.RecordVerifyData(fromClient, expected);
    }

    /// <summary>The renegotiation_info a hello must carry: empty at first, the saved verify_data after (RFC 5746 §3.4–3.7).</summary>
    protected byte[] ExpectedRenegotiationInfo(bool serverHello) => Renegotiating is { } r
        ? serverHello ? [.. r.Client, .. r.Server] : r.Client
        : [];

    /// <summary>The content a ServerKeyExchange signature covers: client_random + server_random + ServerECDHParams.</summary>
    protected byte[] ServerKeyExchangeSignedContent(IServerKeyExchange ske) => [.. ClientRandom, .. ServerRandom, .. ske.ParamsBytes()];

    /// <summary>
    /// A DH value in a fixed-length field (RFC 8446 §4.2.8.1 layout, which our key exchange expects): TLS 1.2
    /// peers may drop leading zeros; longer than the prime is illegal_parameter.
    /// </summary>
    protected static byte[] LeftPad(byte[] value, int length)
    {
        if (value.Length > length)
        {
            throw new TlsException(AlertDescription.IllegalParameter, $"DH public value of {value.Length} bytes is longer than the {length}-byte prime");
        }

        var padded = new byte[length];
        value.CopyTo(padded, length - value.Length);
        return padded;
    }

    /// <summary>RFC 5246 §8.1.2: leading zero bytes of the DH shared secret are stripped for TLS 1.2's premaster secret.</summary>
    protected static byte[] StripLeadingZeros(byte[] secret)
    {
        int zeros = 0;
        while (zeros < secret.Length - 1 && secret[zeros] == 0)
        {
            zeros++;
        }

        if (zeros == 0)
        {
            return secret;
        }

        var stripped = secret[zeros..];
        CryptographicOperations.ZeroMemory(secret);
        return stripped;
    }

    /// <summary>Schemes this side accepts for TLS 1.2 signatures: its list, implemented, of a kind 1.2 can use.</summary>
    protected IEnumerable<SignatureScheme> Tls12Schemes =>
        Options.SignatureSchemes.Where(s => SignatureSchemes.Find(s) is { Implemented: true } && Crypto.SupportsSignatureScheme(s));
}
