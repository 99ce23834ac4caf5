using System.Security.Cryptography;
using Tessera.Crypto;
using Tessera.Messages;
using Tessera.Pki;

namespace Tessera.Handshake;

/// <summary>
/// The TLS 1.2 client (RFC 5246 §7.3): ServerHello → Certificate → ServerKeyExchange →
/// [CertificateRequest] → ServerHelloDone; then [Certificate], ClientKeyExchange, [CertificateVerify],
/// ChangeCipherSpec, Finished; then the server's ChangeCipherSpec and Finished. Takes over from the
/// TLS 1.3 client when the ServerHello picks TLS 1.2.
/// </summary>
internal sealed class Client12Handshake : Tls12Handshake
{
    private readonly TlsClientOptions _options;
    private readonly ClientHello _clientHello;
    private readonly HashSet<ushort> _offeredExtensions;
    private State _state = State.WaitServerHello;
    private List<byte[]> _serverChain = [];
    private IKeyExchangeClientState? _keyShare;
    private byte[]? _serverPublicKey;
    private CertificateRequest12? _certificateRequest;
    private byte[] _sessionId = [];
    private bool _expectTicket;
    private bool _statusExpected;
    private State _afterCertificate;
    private bool _abbreviated;
    private NewSessionTicket12? _ticket;

    private enum State { WaitServerHello, WaitCertificate, WaitCertificateStatus, WaitServerKeyExchange, WaitCertificateRequestOrDone, WaitServerHelloDone, WaitNewSessionTicket, WaitChangeCipherSpec, WaitFinished, Complete }

    public Client12Handshake(TlsConnection connection, TlsClientOptions options, byte[] clientHelloMessage, ClientHello clientHello, HashSet<ushort> offeredExtensions,
        TlsProtocolVersion version = TlsProtocolVersion.Tls12)
        : base(connection, options)
    {
        Version = version;
        _options = options;
        _clientHello = clientHello;
        _offeredExtensions = offeredExtensions;
        ClientRandom = clientHello.Random;
        Transcript.Add(clientHelloMessage);
    }

    /// <summary>The TLS 1.2 session the ClientHello offered (by ID or ticket), if any: the only one the server may resume.</summary>
    public Sessions.TlsSession? OfferedSession { get; init; }

    public override void Start() => throw new InvalidOperationException("The TLS 1.2 client takes over after ClientHello.");

    public override void HandleMessage(HandshakeType type, byte[] message)
    {
        switch (_state)
        {
            case State.WaitCertificate when type == HandshakeType.Certificate:
                HandleCertificate(message);
                break;
            case State.WaitCertificateStatus when type == HandshakeType.CertificateStatus:
                var staple = CertificateStatus.Parse(Body(message));
                Transcript.Add(message);
                Connection.PeerOcspResponse = staple;
                _state = _afterCertificate;
                VerifyServerChain(staple, next: () => { });
                break;
            case State.WaitCertificateStatus:
                // The server promised a status but sent none (RFC 6066 allows it): verify without, then go on.
                _state = _afterCertificate;
                VerifyServerChain(null, next: () => HandleMessage(type, message));
                break;
            case State.WaitServerKeyExchange when type == HandshakeType.ServerKeyExchange:
                HandleServerKeyExchange(message);
                break;
            case State.WaitCertificateRequestOrDone when type == HandshakeType.CertificateRequest:
                _certificateRequest = CertificateRequest12.Parse(Body(message), withSignatureAlgorithms: !IsPreTls12);
                Transcript.Add(message);
                _state = State.WaitServerHelloDone;
                break;
            case State.WaitCertificateRequestOrDone or State.WaitServerHelloDone when type == HandshakeType.ServerHelloDone:
                HandleServerHelloDone(message);
                break;
            case State.WaitNewSessionTicket when type == HandshakeType.NewSessionTicket:
                _ticket = NewSessionTicket12.Parse(Body(message));
                Transcript.Add(message);
                _state = State.WaitChangeCipherSpec;
                break;
            case State.WaitFinished when type == HandshakeType.Finished:
                HandleFinished(message);
                break;
            default:
                throw Unexpected(type, $"in TLS 1.2 client state {_state}");
        }
    }

    public override void HandleChangeCipherSpec()
    {
        if (_state != State.WaitChangeCipherSpec)
        {
            throw new TlsException(AlertDescription.UnexpectedMessage, $"change_cipher_spec in TLS 1.2 client state {_state}");
        }

        ActivatePendingRead("server write keys");
        _state = State.WaitFinished;
    }

    public override void Dispose()
    {
        _keyShare?.Dispose();
        base.Dispose();
    }

    /// <summary>The ServerHello that chose TLS 1.2 (the TLS 1.3 client has checked the version and the downgrade sentinel).</summary>
    public void HandleServerHello(ServerHello hello, byte[] message)
    {
        var suite = CipherSuites.Find((CipherSuite)hello.CipherSuite);
        if (suite is null || !suite.UsableIn(Version) || !_clientHello.CipherSuites.Contains(hello.CipherSuite))
        {
            throw new TlsException(AlertDescription.IllegalParameter, $"server selected cipher suite {CipherSuites.NameOf(hello.CipherSuite)}, which was not offered for {Version.ToDisplayName()}");
        }

        Connection.UseRecordVersion(Version);

        if (hello.LegacyCompressionMethod != 0)
        {
            throw new TlsException(AlertDescription.IllegalParameter, "ServerHello selected compression");
        }

        var resumable = OfferedSession;
        _abbreviated = hello.LegacySessionIdEcho.Length > 0 && hello.LegacySessionIdEcho.AsSpan().SequenceEqual(_clientHello.LegacySessionId);
        if (_abbreviated && resumable is null)
        {
            // The session id we sent is random: no server can resume it.
            throw new TlsException(AlertDescription.IllegalParameter, "server claims to resume a session that was never established");
        }

        if (_abbreviated && IsPreTls12)
        {
            throw new TlsException(AlertDescription.IllegalParameter, $"server resumed a TLS 1.2 session in {Version.ToDisplayName()}");
        }

        if (_abbreviated && (CipherSuite)hello.CipherSuite != resumable!.CipherSuite)
        {
            throw new TlsException(AlertDescription.IllegalParameter, "server resumed the session with a different cipher suite");
        }

        _sessionId = hello.LegacySessionIdEcho;

        bool secureRenegotiation = false;
        foreach (var ext in hello.Extensions)
        {
            if (!_offeredExtensions.Contains(ext.Type))
            {
                throw new TlsException(AlertDescription.UnsupportedExtension, $"ServerHello carries {ExtensionTypeNames.NameOf(ext.Type)}, which was not offered");
            }

            switch ((ExtensionType)ext.Type)
            {
                case ExtensionType.RenegotiationInfo:
                    // RFC 5746 §3.4: empty on the first handshake; §3.5: client_verify_data ‖ server_verify_data on a renegotiation.
                    if (!CryptographicOperations.FixedTimeEquals(RenegotiationInfoExtension.Parse(ext.Data), ExpectedRenegotiationInfo(serverHello: true)))
                    {
                        throw new TlsException(AlertDescription.HandshakeFailure, Renegotiating is null
                            ? "renegotiation_info is not empty on an initial handshake"
                            : "renegotiation_info does not carry the previous handshake's verify_data");
                    }

                    secureRenegotiation = true;
                    break;
                case ExtensionType.ExtendedMasterSecret:
                    EmptyExtension.Check(ext);
                    UseExtendedMasterSecret = true;
                    break;
                case ExtensionType.EncryptThenMac:
                    // RFC 7366 §3: only ever with a CBC suite.
                    EmptyExtension.Check(ext);
                    if (!suite.IsCbc)
                    {
                        throw new TlsException(AlertDescription.IllegalParameter, "server sent encrypt_then_mac with an AEAD suite");
                    }

                    UseEncryptThenMac = true;
                    break;
                case ExtensionType.EcPointFormats:
                    if (!EcPointFormatsExtension.Parse(ext.Data).Contains(EcPointFormatsExtension.Uncompressed))
                    {
                        throw new TlsException(AlertDescription.IllegalParameter, "server does not accept uncompressed points");
                    }

                    break;
                case ExtensionType.ServerName:
                    EmptyExtension.Check(ext);
                    Connection.ServerName = _options.ServerName;
                    break;
                case ExtensionType.SessionTicket:
                    EmptyExtension.Check(ext);
                    _expectTicket = true;
                    break;
                case ExtensionType.StatusRequest:
                    // RFC 6066 §8: a CertificateStatus message may follow Certificate.
                    EmptyExtension.Check(ext);
                    _statusExpected = true;
                    break;
                case ExtensionType.ApplicationLayerProtocolNegotiation:
                    var names = AlpnExtension.Parse(ext.Data);
                    if (names.Length != 1 || !_options.ApplicationProtocols.Contains(names[0], StringComparer.Ordinal))
                    {
                        throw new TlsException(AlertDescription.IllegalParameter, "server selected an application protocol that was not offered");
                    }

                    Connection.NegotiatedApplicationProtocol = names[0];
                    break;
                case ExtensionType.RecordSizeLimit:
                    // RFC 8449 §4: in TLS 1.2 the limit counts plaintext only.
                    Connection.SetPeerRecordSizeLimit(RecordSizeLimitExtension.Parse(ext.Data), tls12: true);
                    Connection.EnforceLocalRecordSizeLimit(tls12: true);
                    break;
                default:
                    throw new TlsException(AlertDescription.IllegalParameter, $"{ExtensionTypeNames.NameOf(ext.Type)} is not allowed in a TLS 1.2 ServerHello");
            }
        }

        if (Renegotiating is not null && !secureRenegotiation && !_options.InsecureRenegotiationProbe)
        {
            throw new TlsException(AlertDescription.HandshakeFailure, "server renegotiates without renegotiation_info (RFC 5746 §3.5)");
        }

        if (Renegotiating is not null && Connection.ExtendedMasterSecret && !UseExtendedMasterSecret)
        {
            throw new TlsException(AlertDescription.HandshakeFailure, "server dropped extended_master_secret on renegotiation");
        }

        if (Renegotiating is not null && Connection.EncryptThenMac && suite.IsCbc && !UseEncryptThenMac)
        {
            // RFC 7366 §3.1: once encrypt-then-MAC, never back to MAC-then-encrypt on the same connection.
            throw new TlsException(AlertDescription.HandshakeFailure, "server dropped encrypt_then_mac on renegotiation");
        }

        Suite = suite;
        ServerRandom = hello.Random;
        Transcript.SetAlgorithm(PrfHash);
        Transcript.Add(message);
        Connection.SecureRenegotiation = secureRenegotiation;
        Connection.ExtendedMasterSecret = UseExtendedMasterSecret;
        Connection.EncryptThenMac = UseEncryptThenMac;
        if (!_abbreviated)
        {
            Connection.IsResumed = false;
            _state = State.WaitCertificate;
            return;
        }

        // RFC 7627 §5.3: a session with an extended master secret resumes only with one.
        if (!UseExtendedMasterSecret)
        {
            throw new TlsException(AlertDescription.HandshakeFailure, "server resumed an extended-master-secret session without the extension");
        }

        Connection.SetNegotiated(Version, suite.Suite, null);
        Connection.IsResumed = true;
        Connection.PeerCertificateChain = resumable!.PeerCertificateChain;   // the identity the session was made with
        Connection.PeerCertificateVerified = resumable.PeerCertificateVerified;
        ResumeMasterSecret(resumable!.MasterSecret, isClient: true);
        _state = _expectTicket ? State.WaitNewSessionTicket : State.WaitChangeCipherSpec;
    }

    private void HandleCertificate(byte[] message)
    {
        var certificate = Certificate12.Parse(Body(message));
        if (certificate.Certificates.Count == 0)
        {
            throw new TlsException(AlertDescription.HandshakeFailure, "server sent no certificate");
        }

        Transcript.Add(message);
        if (Renegotiating is not null && Connection.PeerCertificateChain.Count > 0 &&
            !Connection.PeerCertificateChain[0].AsSpan().SequenceEqual(certificate.Certificates[0]))
        {
            // The peer's identity must not change under a renegotiation (the triple-handshake lesson).
            throw new TlsException(AlertDescription.HandshakeFailure, "server presented a different certificate on renegotiation");
        }

        _serverChain = certificate.Certificates;
        Connection.PeerCertificateChain = _serverChain;
        var keyOid = KeyAlgorithmOf(LeafPublicKey(_serverChain[0]));
        bool fits = Suite!.Authentication switch
        {
            SuiteAuthentication.Ecdsa => keyOid is "1.2.840.10045.2.1" or "1.3.101.112",   // ECDSA or, per RFC 8422 §5.1.1, Ed25519
            // RSA key exchange encrypts to the key: only rsaEncryption, never an RSASSA-PSS key.
            SuiteAuthentication.Rsa when Suite.KeyExchange == TlsKeyExchange.Rsa => keyOid is "1.2.840.113549.1.1.1",
            SuiteAuthentication.Rsa => keyOid is "1.2.840.113549.1.1.1" or "1.2.840.113549.1.1.10",
            _ => true,
        };
        if (!fits)
        {
            throw new TlsException(AlertDescription.UnsupportedCertificate, $"the certificate's key does not fit {Suite.Name}");
        }

        if (Suite.KeyExchange == TlsKeyExchange.Rsa)
        {
            // No ServerKeyExchange: the certificate's key is the key exchange (RFC 5246 §7.4.3).
            Connection.SetNegotiated(Version, Suite.Suite, null);
            _state = State.WaitCertificateRequestOrDone;
        }
        else
        {
            _state = State.WaitServerKeyExchange;
        }

        if (_statusExpected)
        {
            // Verification waits for the CertificateStatus that may come next.
            _afterCertificate = _state;
            _state = State.WaitCertificateStatus;
            return;
        }

        VerifyServerChain(null, next: () => { });
    }

    private void VerifyServerChain(byte[]? staple, Action next)
    {
        if (_options.SkipCertificateVerification)
        {
            next();
            return;
        }

        var verifier = _options.CertificateVerifier ?? new X509CertificateVerifier();
        var hostName = string.IsNullOrEmpty(_options.ServerName) ? null : _options.ServerName;
        VerifyPeerChain(verifier, [.. _serverChain.Select(c => (ReadOnlyMemory<byte>)c)], hostName, peerIsServer: true, next, staple);
    }

    private void HandleServerKeyExchange(byte[] message)
    {
        if (Suite!.KeyExchange == TlsKeyExchange.Dhe)
        {
            HandleServerKeyExchangeDhe(message);
            return;
        }

        var ske = ServerKeyExchangeEcdhe.Parse(Body(message), withSignatureAlgorithm: !IsPreTls12);
        var group = (NamedGroup)ske.Group;
        if (!_options.Groups.Contains(group) || !Crypto.SupportsGroup(group) || NamedGroups.IsFiniteField(ske.Group))
        {
            throw new TlsException(AlertDescription.IllegalParameter, $"server chose group {NamedGroups.NameOf(ske.Group)}, which was not offered");
        }

        VerifyServerKeyExchangeSignature(ske);
        Transcript.Add(message);
        Connection.SetNegotiated(Version, Suite!.Suite, group);
        _keyShare = Crypto.GetKeyExchange(group).GenerateClientShare();
        _serverPublicKey = ske.PublicKey;
        _state = State.WaitCertificateRequestOrDone;
    }

    /// <summary>
    /// DHE (legacy): the server sends p and g explicitly. Only the RFC 7919 groups are accepted, recognised
    /// by their prime, so a weak or trapdoored group (Logjam) can never be used.
    /// </summary>
    private void HandleServerKeyExchangeDhe(byte[] message)
    {
        var ske = ServerKeyExchangeDhe.Parse(Body(message), withSignatureAlgorithm: !IsPreTls12);
        var prime = ske.Prime.AsSpan().TrimStart((byte)0).ToArray();
        var group = FfdheKeyExchange.All.FirstOrDefault(g => prime.AsSpan().SequenceEqual(g.Prime));
        if (group is null || !ske.Generator.AsSpan().TrimStart((byte)0).SequenceEqual(group.Generator))
        {
            throw new TlsException(AlertDescription.InsufficientSecurity, $"the server's {prime.Length * 8}-bit DH group is not one of the RFC 7919 groups");
        }

        var offered = ExtensionBlock.Find(_clientHello.Extensions, ExtensionType.SupportedGroups) is { } groups ? SupportedGroupsExtension.Parse(groups.Data) : [];
        if (!offered.Contains((ushort)group.Group) || !Crypto.SupportsGroup(group.Group))
        {
            throw new TlsException(AlertDescription.InsufficientSecurity, $"the server chose {NamedGroups.NameOf((ushort)group.Group)}, which was not offered");
        }

        VerifyServerKeyExchangeSignature(ske);
        Transcript.Add(message);
        Connection.SetNegotiated(Version, Suite!.Suite, group.Group);
        _keyShare = Crypto.GetKeyExchange(group.Group).GenerateClientShare();
        _serverPublicKey = LeftPad(ske.PublicKey, group.Length);
        _state = State.WaitCertificateRequestOrDone;
    }

    private void VerifyServerKeyExchangeSignature(IServerKeyExchange ske)
    {
        var scheme = IsPreTls12 ? ImpliedPreTls12Scheme(LeafPublicKey(_serverChain[0])) : (SignatureScheme)ske.SignatureAlgorithm;
        if (!Tls12Schemes.Contains(scheme))
        {
            throw new TlsException(AlertDescription.IllegalParameter, $"server signed with {SignatureSchemes.NameOf(ske.SignatureAlgorithm)}, which was not offered");
        }

        if (!Crypto.VerifyTls12Signature(scheme, LeafPublicKey(_serverChain[0]), ServerKeyExchangeSignedContent(ske), ske.Signature))
        {
            throw new TlsException(AlertDescription.DecryptError, $"ServerKeyExchange signature ({scheme}) does not verify");
        }

        Connection.PeerSignatureScheme = scheme;
    }

    private void HandleServerHelloDone(byte[] message)
    {
        EmptyHandshakeMessage.Parse(Body(message), HandshakeType.ServerHelloDone);
        Transcript.Add(message);

        ITlsPrivateKey? signingKey = null;
        SignatureScheme signingScheme = default;
        if (_certificateRequest is not null)
        {
            var accepted = IsPreTls12 ? null : _certificateRequest.SignatureAlgorithms.Select(s => (SignatureScheme)s).ToList();
            if (ClientCertificateSelector.Choose(_options, Tls12Schemes, accepted, _certificateRequest.CertificateAuthorities) is { } choice)
            {
                Send(new Certificate12 { Certificates = [.. choice.Certificate.Chain] }.ToMessageBytes());
                signingKey = choice.Certificate.PrivateKey;
                signingScheme = choice.Scheme;
            }
            else
            {
                Send(new Certificate12().ToMessageBytes());
            }
        }

        byte[] preMasterSecret;
        if (Suite!.KeyExchange == TlsKeyExchange.Rsa)
        {
            // RFC 5246 §7.4.7.1: client_version ‖ 46 random bytes, encrypted to the server's certificate key.
            preMasterSecret = new byte[48];
            Crypto.GetRandomBytes(preMasterSecret.AsSpan(2));
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(preMasterSecret, _clientHello.LegacyVersion);
            var encrypted = Crypto.RsaEncryptPkcs1(LeafPublicKey(_serverChain[0]), preMasterSecret);
            Send(new ClientKeyExchangeRsa { EncryptedPreMasterSecret = encrypted }.ToMessageBytes());
        }
        else if (Suite.KeyExchange == TlsKeyExchange.Dhe)
        {
            preMasterSecret = StripLeadingZeros(_keyShare!.Decapsulate(_serverPublicKey));
            Send(new ClientKeyExchangeDhe { PublicKey = _keyShare.PublicShare.ToArray() }.ToMessageBytes());
        }
        else
        {
            preMasterSecret = _keyShare!.Decapsulate(_serverPublicKey);
            Send(new ClientKeyExchangeEcdhe { PublicKey = _keyShare.PublicShare.ToArray() }.ToMessageBytes());
        }

        DeriveKeys(preMasterSecret, isClient: true);

        if (signingKey is null)
        {
            FinishFlight();
            return;
        }

        // RFC 5246 §7.4.8: the signature covers every handshake message so far.
        Connection.Await(signingKey.SignAsync(signingScheme, Transcript.Messages()), signature =>
        {
            var cv = new CertificateVerify { Algorithm = (ushort)signingScheme, Signature = signature };
            Send(IsPreTls12 ? cv.ToMessageBytesWithoutAlgorithm() : cv.ToMessageBytes());
            FinishFlight();
        });
    }

    private void FinishFlight()
    {
        SendChangeCipherSpec("client write keys");
        Send(BuildFinished(client: true));
        _state = _expectTicket ? State.WaitNewSessionTicket : State.WaitChangeCipherSpec;
    }

    private void HandleFinished(byte[] message)
    {
        VerifyFinished(message, fromClient: false);
        Transcript.Add(message);
        if (_abbreviated)
        {
            // Abbreviated handshake: the server finished first; now the client (RFC 5246 §7.3, figure 2).
            SendChangeCipherSpec("client write keys");
            Send(BuildFinished(client: true));
        }

        var ticket = _ticket?.Ticket ?? (_abbreviated ? OfferedSession!.Ticket : []);
        if (UseExtendedMasterSecret && !IsPreTls12 && (_sessionId.Length > 0 || ticket.Length > 0))
        {
            var previous = OfferedSession;
            Connection.Session = new Sessions.TlsSession(Suite!.Suite, (byte[])MasterSecret!.Clone(), true, _sessionId,
                ticket, _options.ServerName,
                _abbreviated ? previous!.CreatedAt : Options.TimeProvider.GetUtcNow(),
                _ticket is { LifetimeHint: > 0 } t ? TimeSpan.FromSeconds(t.LifetimeHint) : _abbreviated ? previous!.Lifetime : TimeSpan.FromHours(2),
                Connection.PeerCertificateChain, Connection.PeerCertificateVerified);
            _options.SessionCache?.Add(Connection.Session);
        }

        _state = State.Complete;
        IsComplete = true;
        Connection.CompleteTls12Handshake(MasterSecret!, ClientRandom, ServerRandom);
    }
}
