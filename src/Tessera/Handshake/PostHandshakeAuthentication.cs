using System.Security.Cryptography;
using System.Text;
using Tessera.Crypto;
using Tessera.KeySchedule;
using Tessera.Messages;
using Tessera.Pki;

namespace Tessera.Handshake;

/// <summary>
/// TLS 1.3 post-handshake client authentication (RFC 8446 §4.6.2), when the client offered post_handshake_auth:
/// the server sends a CertificateRequest with a fresh context; the client answers Certificate, CertificateVerify
/// and Finished over the handshake transcript plus that exchange, keyed by the client application traffic secret.
/// </summary>
internal sealed class PostHandshakeAuthentication : IDisposable
{
    private static readonly byte[] ClientSignatureContext = Encoding.ASCII.GetBytes("TLS 1.3, client CertificateVerify");

    private readonly TlsConnection _connection;
    private readonly TlsOptions _options;
    private readonly CipherSuiteInfo _suite;
    private readonly ITranscriptHash _handshake;   // ClientHello .. client Finished
    private ITranscriptHash? _exchange;
    private byte[]? _context;
    private List<byte[]> _chain = [];
    private List<SignatureScheme> _offered = [];
    private Stage _stage;

    private enum Stage { Idle, WaitCertificate, WaitCertificateVerify, WaitFinished, Verifying }

    public PostHandshakeAuthentication(TlsConnection connection, TlsOptions options, CipherSuiteInfo suite, ITranscriptHash handshakeTranscript)
    {
        _connection = connection;
        _options = options;
        _suite = suite;
        _handshake = handshakeTranscript;
    }

    /// <summary>Server: a request is under way.</summary>
    public bool IsPending => _stage != Stage.Idle;

    /// <summary>Server: sends a CertificateRequest.</summary>
    public void Request(IEnumerable<SignatureScheme> schemes, IReadOnlyList<byte[]> authorities)
    {
        _context = new byte[16];
        _options.Crypto.GetRandomBytes(_context);
        _offered = [.. schemes];
        var extensions = new List<TlsExtension> { new((ushort)ExtensionType.SignatureAlgorithms, SignatureAlgorithmsExtension.Encode(_offered.Select(s => (ushort)s))) };
        if (authorities.Count > 0)
        {
            extensions.Add(new TlsExtension((ushort)ExtensionType.CertificateAuthorities, CertificateAuthoritiesExtension.Encode(authorities)));
        }

        var message = new CertificateRequest { RequestContext = _context, Extensions = extensions }.ToMessageBytes();
        _exchange?.Dispose();
        _exchange = _handshake.Clone();
        _exchange.Append(message);
        _chain = [];
        _stage = Stage.WaitCertificate;
        _connection.SendHandshakeMessage(message);
    }

    /// <summary>Client: answers a CertificateRequest with the certificate the request fits (or none).</summary>
    public void Answer(byte[] message, TlsClientOptions options, IEnumerable<SignatureScheme> preference, byte[] clientApplicationSecret)
    {
        var request = CertificateRequest.Parse(message.AsSpan(4));
        if (request.RequestContext.Length == 0)
        {
            throw new TlsException(AlertDescription.IllegalParameter, "a post-handshake CertificateRequest needs a request context");
        }

        var sigs = ExtensionBlock.Find(request.Extensions, ExtensionType.SignatureAlgorithms)
            ?? throw new TlsException(AlertDescription.MissingExtension, "CertificateRequest has no signature_algorithms");
        var offered = SignatureAlgorithmsExtension.Parse(sigs.Data).Select(s => (SignatureScheme)s).ToList();
        var authorities = ExtensionBlock.Find(request.Extensions, ExtensionType.CertificateAuthorities) is { } cas ? CertificateAuthoritiesExtension.Parse(cas.Data) : [];
        var exchange = _handshake.Clone();
        exchange.Append(message);
        var choice = ClientCertificateSelector.Choose(options, preference, offered, authorities);
        var certificate = new CertificateMessage
        {
            RequestContext = request.RequestContext,
            Entries = choice is { } c ? [.. c.Certificate.Chain.Select(d => new CertificateEntry(d, []))] : [],
        }.ToMessageBytes();
        Send(exchange, certificate);
        var secret = (byte[])clientApplicationSecret.Clone();
        if (choice is not { } picked)
        {
            Finish(exchange, secret);
            return;
        }

        _connection.Await(picked.Certificate.PrivateKey.SignAsync(picked.Scheme, SignedContent(exchange)), signature =>
        {
            Send(exchange, new CertificateVerify { Algorithm = (ushort)picked.Scheme, Signature = signature }.ToMessageBytes());
            Finish(exchange, secret);
        });
    }

    private void Send(ITranscriptHash exchange, byte[] message)
    {
        exchange.Append(message);
        _connection.SendHandshakeMessage(message);
    }

    private void Finish(ITranscriptHash exchange, byte[] secret)
    {
        var verifyData = Tls13KeySchedule.ComputeFinishedVerifyData(_options.Crypto, _suite, secret, CurrentHash(exchange));
        _connection.SendHandshakeMessage(new Finished { VerifyData = verifyData }.ToMessageBytes());
        CryptographicOperations.ZeroMemory(secret);
        exchange.Dispose();
    }

    /// <summary>Server: one message of the client's answer; true when it was part of the exchange.</summary>
    public void Receive(HandshakeType type, byte[] message, byte[] clientApplicationSecret, bool requireCertificate, Action<IReadOnlyList<byte[]>, bool> completed)
    {
        switch (_stage)
        {
            case Stage.WaitCertificate when type == HandshakeType.Certificate:
                var certificate = CertificateMessage.Parse(message.AsSpan(4));
                if (!certificate.RequestContext.AsSpan().SequenceEqual(_context))
                {
                    throw new TlsException(AlertDescription.IllegalParameter, "the Certificate answers another CertificateRequest");
                }

                _exchange!.Append(message);
                _chain = [.. certificate.Entries.Select(e => e.Data)];
                if (_chain.Count == 0 && requireCertificate)
                {
                    throw new TlsException(AlertDescription.CertificateRequired, "client sent no certificate after a post-handshake request");
                }

                _stage = _chain.Count == 0 ? Stage.WaitFinished : Stage.WaitCertificateVerify;
                break;
            case Stage.WaitCertificateVerify when type == HandshakeType.CertificateVerify:
                var cv = CertificateVerify.Parse(message.AsSpan(4));
                var scheme = (SignatureScheme)cv.Algorithm;
                if (!_offered.Contains(scheme))
                {
                    throw new TlsException(AlertDescription.IllegalParameter, $"client signed with {SignatureSchemes.NameOf(cv.Algorithm)}, which was not offered");
                }

                if (!_options.Crypto.VerifySignature(scheme, CertificatePublicKey.GetSubjectPublicKeyInfo(_chain[0]), SignedContent(_exchange!), cv.Signature))
                {
                    throw new TlsException(AlertDescription.DecryptError, $"client CertificateVerify ({scheme}) does not verify");
                }

                _exchange!.Append(message);
                _stage = Stage.WaitFinished;
                break;
            case Stage.WaitFinished when type == HandshakeType.Finished:
                var finished = Finished.Parse(message.AsSpan(4), _suite.HashLength);
                var expected = Tls13KeySchedule.ComputeFinishedVerifyData(_options.Crypto, _suite, clientApplicationSecret, CurrentHash(_exchange!));
                bool matches = CryptographicOperations.FixedTimeEquals(expected, finished.VerifyData);
                CryptographicOperations.ZeroMemory(expected);
                if (!matches)
                {
                    throw new TlsException(AlertDescription.DecryptError, "post-handshake Finished does not match");
                }

                _exchange!.Dispose();
                _exchange = null;
                _stage = Stage.Verifying;
                Verify(completed);
                break;
            default:
                throw new TlsException(AlertDescription.UnexpectedMessage, $"unexpected {type} during post-handshake authentication");
        }
    }

    private void Verify(Action<IReadOnlyList<byte[]>, bool> completed)
    {
        var chain = _chain;
        if (chain.Count == 0 || _options.CertificateVerifier is not { } verifier)
        {
            _stage = Stage.Idle;
            completed(chain, false);
            return;
        }

        var context = new CertificateVerificationContext([.. chain.Select(c => (ReadOnlyMemory<byte>)c)], null, false, _options.TimeProvider.GetUtcNow());
        _connection.Await(verifier.VerifyAsync(context), result =>
        {
            _stage = Stage.Idle;
            if (!result.IsValid)
            {
                throw new TlsException(result.Alert, $"client certificate rejected: {result.Reason}");
            }

            completed(chain, true);
        });
    }

    private static byte[] CurrentHash(ITranscriptHash hash)
    {
        var output = new byte[hash.HashLength];
        hash.GetCurrentHash(output);
        return output;
    }

    private static byte[] SignedContent(ITranscriptHash exchange)
    {
        var hash = CurrentHash(exchange);
        var content = new byte[64 + ClientSignatureContext.Length + 1 + hash.Length];
        content.AsSpan(0, 64).Fill(0x20);
        ClientSignatureContext.CopyTo(content, 64);
        hash.CopyTo(content, 64 + ClientSignatureContext.Length + 1);
        return content;
    }

    public void Dispose()
    {
        _handshake.Dispose();
        _exchange?.Dispose();
    }
}
