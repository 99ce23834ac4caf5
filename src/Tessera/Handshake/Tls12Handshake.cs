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

    /// <summary>The version the hellos settled on: TLS 1.2, or (legacy) 1.1 or 1.0.</summary>
    protected TlsProtocolVersion Version { get; set; } = TlsProtocolVersion.Tls12;

    /// <summary>TLS 1.0 and 1.1 (RFC 2246, RFC 4346): their PRF, MD5 ‖ SHA-1 hashes, no signature algorithm fields.</summary>
    protected bool IsPreTls12 => Version < TlsProtocolVersion.Tls12;

    /// <summary>The PRF and handshake hash: the suite's in TLS 1.2, MD5 ‖ SHA-1 before (RFC 2246 §5, §7.4.9).</summary>
    protected TlsHashAlgorithm PrfHash => IsPreTls12 ? TlsHashAlgorithm.Md5Sha1 : Suite!.Hash;

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
                ? Tls12Prf.ExtendedMasterSecret(Crypto, PrfHash, preMasterSecret, Transcript.CurrentHash())
                : Tls12Prf.MasterSecret(Crypto, PrfHash, preMasterSecret, ClientRandom, ServerRandom);
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

        var (client, server) = Tls12KeyBlock.CreateRecordProtection(Crypto, suite, Version, MasterSecret!, ClientRandom, ServerRandom, UseEncryptThenMac);
        (PendingWrite, PendingRead) = isClient ? (client, server) : (server, client);
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
        var verifyData = Tls12Prf.FinishedVerifyData(Crypto, PrfHash, MasterSecret!, client, Transcript.CurrentHash());
        Connection.RecordVerifyData(client, verifyData);
        return new Finished { VerifyData = verifyData }.ToMessageBytes();
    }

    /// <summary>Checks the peer's Finished in fixed time; decrypt_error when it does not match.</summary>
    protected void VerifyFinished(byte[] message, bool fromClient)
    {
        var finished = Finished.Parse(Body(message), Tls12Prf.VerifyDataLength);
        var expected = Tls12Prf.FinishedVerifyData(Crypto, PrfHash, MasterSecret!, fromClient, Transcript.CurrentHash());
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

    /// <summary>TLS 1.0/1.1: the signature a certificate key makes (no algorithm travels with it, RFC 4346 §7.4.3).</summary>
    protected static SignatureScheme ImpliedPreTls12Scheme(byte[] subjectPublicKeyInfo) => KeyAlgorithmOf(subjectPublicKeyInfo) switch
    {
        "1.2.840.113549.1.1.1" => SignatureScheme.rsa_pkcs1_md5_sha1,
        "1.2.840.10045.2.1" => SignatureScheme.ecdsa_sha1,
        _ => throw new TlsException(AlertDescription.UnsupportedCertificate, "TLS 1.0/1.1 signs only with RSA (PKCS#1) and ECDSA keys"),
    };

    /// <summary>Schemes this side accepts for TLS 1.2 signatures: its list, implemented, of a kind 1.2 can use.</summary>
    protected IEnumerable<SignatureScheme> Tls12Schemes => IsPreTls12
        ? [SignatureScheme.rsa_pkcs1_md5_sha1, SignatureScheme.ecdsa_sha1]   // fixed by TLS 1.0/1.1 (RFC 4346 §7.4.3)
        : Options.SignatureSchemes.Where(s => SignatureSchemes.Find(s) is { Implemented: true } && s is not (SignatureScheme.ecdsa_sha1 or SignatureScheme.rsa_pkcs1_md5_sha1) &&
            Crypto.SupportsSignatureScheme(s));
}
