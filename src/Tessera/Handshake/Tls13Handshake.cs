using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Tessera.Crypto;
using Tessera.KeySchedule;
using Tessera.Messages;
using Tessera.Pki;

namespace Tessera.Handshake;

/// <summary>
/// What both TLS 1.3 roles share: the transcript, the key schedule steps, Finished and
/// CertificateVerify. Subclasses are the per-role state machines; they decide, this computes.
/// </summary>
internal abstract class Tls13Handshake : HandshakeBase
{
    private static readonly byte[] ServerSignatureContext = Encoding.ASCII.GetBytes("TLS 1.3, server CertificateVerify");
    private static readonly byte[] ClientSignatureContext = Encoding.ASCII.GetBytes("TLS 1.3, client CertificateVerify");

    protected Tls13Handshake(TlsConnection connection, TlsOptions options)
        : base(connection, options)
    {
    }

    protected Tls13KeySchedule? Schedule { get; set; }

    protected byte[]? ClientHandshakeSecret { get; set; }

    protected byte[]? ServerHandshakeSecret { get; set; }

    public override void Dispose()
    {
        base.Dispose();
        Schedule?.Dispose();
        Zero(ClientHandshakeSecret);
        Zero(ServerHandshakeSecret);
    }

    /// <summary>Handshake Secret from the (EC)DHE secret, then both handshake traffic secrets over CH..SH.</summary>
    protected void DeriveHandshakeSecrets(byte[] sharedSecret)
    {
        try
        {
            Schedule!.AdvanceToHandshakeSecret(sharedSecret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(sharedSecret);
        }

        var hash = Transcript.CurrentHash();
        ClientHandshakeSecret = Schedule.ClientHandshakeTrafficSecret(hash);
        ServerHandshakeSecret = Schedule.ServerHandshakeTrafficSecret(hash);
        Observe("c hs traffic", KeyLogLabels.ClientHandshakeTrafficSecret, ClientHandshakeSecret);
        Observe("s hs traffic", KeyLogLabels.ServerHandshakeTrafficSecret, ServerHandshakeSecret);
    }

    /// <summary>Master Secret, then the application traffic and exporter secrets over CH..server Finished.</summary>
    protected (byte[] Client, byte[] Server) DeriveApplicationSecrets()
    {
        Schedule!.AdvanceToMasterSecret();
        var hash = Transcript.CurrentHash();
        var client = Schedule.ClientApplicationTrafficSecret(hash);
        var server = Schedule.ServerApplicationTrafficSecret(hash);
        var exporter = Schedule.ExporterMasterSecret(hash);
        Observe("c ap traffic", KeyLogLabels.ClientTrafficSecret0, client);
        Observe("s ap traffic", KeyLogLabels.ServerTrafficSecret0, server);
        Observe("exp master", KeyLogLabels.ExporterSecret, exporter);
        Connection.SetExporterSecret(exporter);
        return (client, server);
    }

    /// <summary>The Finished message for a base key (a handshake traffic secret) over the current transcript.</summary>
    protected byte[] BuildFinished(byte[] baseKey)
    {
        var verifyData = Tls13KeySchedule.ComputeFinishedVerifyData(Crypto, Suite!, baseKey, Transcript.CurrentHash());
        return new Finished { VerifyData = verifyData }.ToMessageBytes();
    }

    /// <summary>Checks a received Finished in fixed time (RFC 8446 §4.4.4); decrypt_error when it does not match.</summary>
    protected void VerifyFinished(byte[] message, byte[] baseKey)
    {
        var finished = Finished.Parse(Body(message), Suite!.HashLength);
        var expected = Tls13KeySchedule.ComputeFinishedVerifyData(Crypto, Suite, baseKey, Transcript.CurrentHash());
        try
        {
            if (!CryptographicOperations.FixedTimeEquals(expected, finished.VerifyData))
            {
                throw new TlsException(AlertDescription.DecryptError, "Finished verify_data does not match the transcript");
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(expected);
        }
    }

    /// <summary>The content covered by CertificateVerify (§4.4.3): 64 spaces, context string, 0, transcript hash.</summary>
    protected byte[] CertificateVerifyContent(bool server)
    {
        var context = server ? ServerSignatureContext : ClientSignatureContext;
        var hash = Transcript.CurrentHash();
        var content = new byte[64 + context.Length + 1 + hash.Length];
        content.AsSpan(0, 64).Fill(0x20);
        context.CopyTo(content, 64);
        content[64 + context.Length] = 0;
        hash.CopyTo(content, 64 + context.Length + 1);
        return content;
    }

    /// <summary>Verifies the peer's CertificateVerify against the leaf's public key.</summary>
    protected SignatureScheme VerifyPeerCertificateVerify(byte[] message, ReadOnlyMemory<byte> leafCertificate, bool peerIsServer, IReadOnlyList<SignatureScheme> offered)
    {
        var cv = CertificateVerify.Parse(Body(message));
        var scheme = (SignatureScheme)cv.Algorithm;
        var info = SignatureSchemes.Find(scheme);
        if (info is null || !info.AllowedInTls13Handshake || !offered.Contains(scheme))
        {
            throw new TlsException(AlertDescription.IllegalParameter, $"peer signed with {SignatureSchemes.NameOf(cv.Algorithm)}, which was not offered");
        }

        var spki = LeafPublicKey(leafCertificate.Span);

        var content = CertificateVerifyContent(peerIsServer);
        if (!Crypto.VerifySignature(scheme, spki, content, cv.Signature))
        {
            throw new TlsException(AlertDescription.DecryptError, $"CertificateVerify signature ({scheme}) does not verify");
        }

        return scheme;
    }

    /// <summary>
    /// Builds a Certificate message from a chain (empty chain: an empty certificate_list); with a staple, the
    /// leaf's entry carries it in status_request (RFC 8446 §4.4.2.1).
    /// </summary>
    protected static byte[] BuildCertificate(byte[] context, IReadOnlyList<byte[]> chain, byte[]? staple = null)
    {
        // A server's Certificate message is the same for every handshake (empty context, same chain, same staple):
        // encoded once per chain and staple.
        if (context.Length == 0 && CertificateMessages.TryGetValue(chain, out var cached) && ReferenceEquals(cached.Staple, staple))
        {
            return cached.Message;
        }

        var message = new CertificateMessage
        {
            RequestContext = context,
            Entries = [.. chain.Select((der, i) => new CertificateEntry(der, i == 0 && staple is not null
                ? [new TlsExtension((ushort)ExtensionType.StatusRequest, CertificateStatus.Encode(staple))]
                : []))],
        }.ToMessageBytes();
        if (context.Length == 0 && chain.Count > 0)
        {
            CertificateMessages.AddOrUpdate(chain, new CachedCertificateMessage(staple, message));
        }

        return message;
    }

    private static readonly ConditionalWeakTable<IReadOnlyList<byte[]>, CachedCertificateMessage> CertificateMessages = new();

    /// <summary>An encoded Certificate message (never changed once sent: the transcript and the record layer only read it).</summary>
    private sealed record CachedCertificateMessage(byte[]? Staple, byte[] Message);

    /// <summary>Signs the CertificateVerify content with the key (asynchronously, for keyless keys) and sends it.</summary>
    protected void SendCertificateVerify(ITlsPrivateKey key, SignatureScheme scheme, bool server, Action next)
    {
        var content = CertificateVerifyContent(server);
        Connection.Await(key.SignAsync(scheme, content), signature =>
        {
            Send(new CertificateVerify { Algorithm = (ushort)scheme, Signature = signature }.ToMessageBytes());
            next();
        });
    }

}
