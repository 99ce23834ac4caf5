using System.Security.Cryptography;
using Tessera.Crypto;
using Tessera.KeySchedule;
using Tessera.Messages;
using Tessera.Pki;

namespace Tessera.Handshake;

/// <summary>
/// What every handshake state machine shares, whatever the version: the transcript, sending,
/// the asynchronous certificate check, the key log. Subclasses decide; this computes and plumbs.
/// </summary>
internal abstract class HandshakeBase : IDisposable
{
    protected HandshakeBase(TlsConnection connection, TlsOptions options)
    {
        Connection = connection;
        Options = options;
        Crypto = options.Crypto;
        Transcript = new Transcript(Crypto);
    }

    public bool IsComplete { get; protected set; }

    protected TlsConnection Connection { get; }

    protected TlsOptions Options { get; }

    protected ICryptoProvider Crypto { get; }

    protected Transcript Transcript { get; }

    protected CipherSuiteInfo? Suite { get; set; }

    protected byte[] ClientRandom { get; set; } = [];

    protected bool IsDisposed { get; private set; }

    /// <summary>Client-side: the client sends the first message.</summary>
    public abstract void Start();

    /// <summary>Handles one whole handshake message received during the handshake.</summary>
    public abstract void HandleMessage(HandshakeType type, byte[] message);

    /// <summary>
    /// A ChangeCipherSpec arrived during the handshake. TLS 1.3 drops it (middlebox compatibility,
    /// checked by the connection); TLS 1.2 switches read keys on it.
    /// </summary>
    public virtual void HandleChangeCipherSpec() =>
        throw new TlsException(AlertDescription.UnexpectedMessage, "unexpected change_cipher_spec");

    /// <summary>True when this handshake gives ChangeCipherSpec a meaning (TLS 1.2).</summary>
    public virtual bool UsesChangeCipherSpec => false;

    public virtual void Dispose()
    {
        IsDisposed = true;
        Transcript.Dispose();
    }

    protected static void Zero(byte[]? secret)
    {
        if (secret is not null)
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    protected static ReadOnlySpan<byte> Body(byte[] message) => message.AsSpan(4);

    protected static TlsException Unexpected(HandshakeType type, string state) =>
        new(AlertDescription.UnexpectedMessage, $"unexpected {type} message while {state}");

    /// <summary>Adds a message to the transcript and sends it.</summary>
    protected void Send(byte[] message)
    {
        Transcript.Add(message);
        Connection.SendHandshakeMessage(message);
    }

    /// <summary>Checks the peer's chain with the verifier; continues with <paramref name="next"/> once it answers.</summary>
    protected void VerifyPeerChain(ICertificateVerifier verifier, IReadOnlyList<ReadOnlyMemory<byte>> chain, string? hostName, bool peerIsServer, Action next,
        byte[]? ocspResponse = null)
    {
        // (A null array must stay null: converted to ReadOnlyMemory it would become an empty, present staple.)
        var context = new CertificateVerificationContext(chain, hostName, peerIsServer, Options.TimeProvider.GetUtcNow(),
            ocspResponse is null ? (ReadOnlyMemory<byte>?)null : new ReadOnlyMemory<byte>(ocspResponse));
        ValueTask<CertificateVerificationResult> verification;
        try
        {
            verification = verifier.VerifyAsync(context);
        }
        catch (Exception ex) when (ex is not TlsException)
        {
            throw new TlsException(AlertDescription.BadCertificate, AlertSource.Local, $"certificate verifier failed: {ex.Message}", ex);
        }

        Connection.Await(verification, result =>
        {
            if (!result.IsValid)
            {
                throw new TlsException(result.Alert, $"peer certificate rejected: {result.Reason}");
            }

            Connection.PeerCertificateVerified = true;
            next();
        });
    }

    /// <summary>The leaf's SubjectPublicKeyInfo, or bad_certificate when it cannot be read.</summary>
    protected static byte[] LeafPublicKey(ReadOnlySpan<byte> leaf)
    {
        try
        {
            return CertificatePublicKey.GetSubjectPublicKeyInfo(leaf);
        }
        catch (CryptographicException)
        {
            throw new TlsException(AlertDescription.BadCertificate, "peer certificate cannot be parsed");
        }
    }

    /// <summary>The algorithm OID of a SubjectPublicKeyInfo, or bad_certificate when it cannot be read.</summary>
    protected static string KeyAlgorithmOf(byte[] subjectPublicKeyInfo)
    {
        try
        {
            return SignatureVerifier.ParseSpki(subjectPublicKeyInfo).Oid;
        }
        catch (Exception ex) when (ex is System.Formats.Asn1.AsnContentException or CryptographicException)
        {
            throw new TlsException(AlertDescription.BadCertificate, "the peer certificate's public key cannot be parsed");
        }
    }

    protected void Observe(string label, string keyLogLabel, byte[] secret)
    {
        Options.Observer?.OnSecretDerived(label);
        KeyLogLabels.Log(Options.KeyLog, keyLogLabel, ClientRandom, secret);
    }
}
