using System.Security.Cryptography;
using Tessera.Crypto;
using Tessera.Messages;
using Tessera.Pki;

namespace Tessera.Handshake;

/// <summary>
/// The TLS 1.2 server (RFC 5246 §7.3, ECDHE per RFC 8422): ServerHello, Certificate,
/// ServerKeyExchange, [CertificateRequest], ServerHelloDone; then the client's [Certificate],
/// ClientKeyExchange, [CertificateVerify], ChangeCipherSpec, Finished; then ours. Takes over from
/// the TLS 1.3 server when the ClientHello settles on TLS 1.2.
/// </summary>
internal sealed class Server12Handshake : Tls12Handshake
{
    // RFC 8446 §4.1.3: a TLS 1.3 server negotiating TLS 1.2 ends ServerHello.random with "DOWNGRD" 01.
    private static readonly byte[] DowngradeTls12 = [0x44, 0x4F, 0x57, 0x4E, 0x47, 0x52, 0x44, 0x01];
    private static readonly byte[] DowngradeTls11 = [0x44, 0x4F, 0x57, 0x4E, 0x47, 0x52, 0x44, 0x00];
    private const ushort EmptyRenegotiationInfoScsv = 0x00FF;

    private readonly TlsServerOptions _options;
    private State _state = State.WaitClientHello;
    private IKeyExchangeClientState? _keyPair;
    private bool _requestCertificate;
    private TlsCertificate? _certificate;
    private ushort _clientVersion;
    private bool _clientWantsStaple;
    private byte[]? _staple;
    private NamedGroup? _dheGroup;
    private List<byte[]> _clientChain = [];
    private bool _abbreviated;
    private bool _issueTicket;
    private byte[] _sessionId = [];

    private enum State { WaitClientHello, WaitClientCertificate, WaitClientKeyExchange, DecryptingPreMasterSecret, WaitCertificateVerify, WaitChangeCipherSpec, WaitFinished, Complete }

    public Server12Handshake(TlsConnection connection, TlsServerOptions options, TlsProtocolVersion version = TlsProtocolVersion.Tls12)
        : base(connection, options)
    {
        _options = options;
        Version = version;
    }

    public override void Start()
    {
    }

    public override void HandleMessage(HandshakeType type, byte[] message)
    {
        switch (_state)
        {
            case State.WaitClientCertificate when type == HandshakeType.Certificate:
                HandleClientCertificate(message);
                break;
            case State.WaitClientKeyExchange when type == HandshakeType.ClientKeyExchange:
                HandleClientKeyExchange(message);
                break;
            case State.WaitCertificateVerify when type == HandshakeType.CertificateVerify:
                HandleCertificateVerify(message);
                break;
            case State.WaitFinished when type == HandshakeType.Finished:
                HandleFinished(message);
                break;
            default:
                throw Unexpected(type, $"in TLS 1.2 server state {_state}");
        }
    }

    public override void HandleChangeCipherSpec()
    {
        if (_state != State.WaitChangeCipherSpec)
        {
            throw new TlsException(AlertDescription.UnexpectedMessage, $"change_cipher_spec in TLS 1.2 server state {_state}");
        }

        ActivatePendingRead("client write keys");
        _state = State.WaitFinished;
    }

    public override void Dispose()
    {
        _keyPair?.Dispose();
        base.Dispose();
    }

    /// <summary>The ClientHello, already parsed and found to settle on TLS 1.2.</summary>
    public void HandleClientHello(ClientHello hello, byte[] message)
    {
        ClientRandom = hello.Random;
        if (!hello.LegacyCompressionMethods.Contains((byte)0))
        {
            throw new TlsException(AlertDescription.IllegalParameter, "ClientHello does not offer the null compression method");
        }

        // §7.4.1.4.1: without signature_algorithms a TLS 1.2 client means SHA-1, which is not accepted. TLS 1.0/1.1
        // have no such extension: their signatures are MD5 ‖ SHA-1 (RSA) or SHA-1 (ECDSA) by definition.
        var sigExt = ExtensionBlock.Find(hello.Extensions, ExtensionType.SignatureAlgorithms);
        if (sigExt is null && !IsPreTls12)
        {
            throw new TlsException(AlertDescription.HandshakeFailure, "ClientHello has no signature_algorithms (SHA-1 signatures are not accepted)");
        }

        var clientSchemes = IsPreTls12
            ? [SignatureScheme.rsa_pkcs1_md5_sha1, SignatureScheme.ecdsa_sha1]
            : SignatureAlgorithmsExtension.Parse(sigExt!.Data).Select(s => (SignatureScheme)s).ToList();

        var clientGroups = ExtensionBlock.Find(hello.Extensions, ExtensionType.SupportedGroups) is { } groupsExt
            ? SupportedGroupsExtension.Parse(groupsExt.Data)
            : [.. _options.Groups.Select(g => (ushort)g)];
        if (ExtensionBlock.Find(hello.Extensions, ExtensionType.EcPointFormats) is { } formats &&
            !EcPointFormatsExtension.Parse(formats.Data).Contains(EcPointFormatsExtension.Uncompressed))
        {
            throw new TlsException(AlertDescription.IllegalParameter, "client does not accept uncompressed points");
        }

        var group = _options.Groups.FirstOrDefault(g => Crypto.SupportsGroup(g) && !NamedGroups.IsFiniteField((ushort)g) && !NamedGroups.IsHybrid((ushort)g) && clientGroups.Contains((ushort)g));
        _dheGroup = ChooseDheGroup(clientGroups);
        _clientVersion = hello.LegacyVersion;

        string? serverName = ExtensionBlock.Find(hello.Extensions, ExtensionType.ServerName) is { } sni ? ServerNameExtension.Parse(sni.Data) : null;
        if (ExtensionBlock.Find(hello.Extensions, ExtensionType.StatusRequest) is { } statusRequest)
        {
            // Answered (RFC 6066 §8) with an empty status_request in ServerHello and a CertificateStatus message, when there is a staple.
            _clientWantsStaple = StatusRequestExtension.Parse(statusRequest.Data).StatusType == StatusRequestExtension.Ocsp;
        }

        bool clientOffersEms = ExtensionBlock.Find(hello.Extensions, ExtensionType.ExtendedMasterSecret) is { } emsOffer && CheckEmpty(emsOffer);
        var ticketExt = ExtensionBlock.Find(hello.Extensions, ExtensionType.SessionTicket);
        if (Renegotiating is null && !IsPreTls12 && ticketExt is not { Data.Length: > 0 } && clientOffersEms && hello.LegacySessionId.Length > 0 &&
            _options.SessionCache is { } store)
        {
            // A session ID to look up: the store may be elsewhere (a fleet's), so wait for it without blocking.
            Connection.Await(store.FindAsync(hello.LegacySessionId, Options.TimeProvider.GetUtcNow()), found =>
            {
                if (Usable(found, hello, serverName) is { } byId)
                {
                    ResumeSession(hello, message, byId, serverName, clientGroups);
                }
                else
                {
                    FullHandshake(hello, message, serverName, clientSchemes, clientGroups, group, ticketExt, clientOffersEms);
                }
            });
            return;
        }

        if (Renegotiating is null && !IsPreTls12 && FindSession(hello, ticketExt, serverName, clientOffersEms) is { } session)
        {
            ResumeSession(hello, message, session, serverName, clientGroups);
            return;
        }

        FullHandshake(hello, message, serverName, clientSchemes, clientGroups, group, ticketExt, clientOffersEms);
    }

    private void FullHandshake(ClientHello hello, byte[] message, string? serverName, List<SignatureScheme> clientSchemes, ushort[] clientGroups, NamedGroup group,
        TlsExtension? ticketExt, bool clientOffersEms)
    {
        var (suite, certificate, scheme) = Choose(hello, serverName, clientSchemes, clientGroups, haveGroup: group != default);
        if (suite.KeyExchange == TlsKeyExchange.Dhe)
        {
            group = _dheGroup!.Value;
        }

        // RFC 5746 §3.6: the SCSV or an empty renegotiation_info means the client renegotiates securely.
        var renegotiationInfo = ExtensionBlock.Find(hello.Extensions, ExtensionType.RenegotiationInfo);
        if (Renegotiating is not null)
        {
            // RFC 5746 §3.7: a renegotiating ClientHello carries client_verify_data in the extension, never the SCSV.
            if (hello.CipherSuites.Contains(EmptyRenegotiationInfoScsv) || renegotiationInfo is null)
            {
                throw new TlsException(AlertDescription.HandshakeFailure, "renegotiation ClientHello without renegotiation_info (RFC 5746 §3.7)");
            }

            if (Connection.ExtendedMasterSecret && !clientOffersEms)
            {
                throw new TlsException(AlertDescription.HandshakeFailure, "client dropped extended_master_secret on renegotiation");
            }

            if (Connection.EncryptThenMac && ExtensionBlock.Find(hello.Extensions, ExtensionType.EncryptThenMac) is null &&
                hello.CipherSuites.Any(c => CipherSuites.Find((CipherSuite)c) is { IsCbc: true }))
            {
                // RFC 7366 §3.1: a client that had encrypt-then-MAC may not renegotiate its way back to MAC-then-encrypt.
                throw new TlsException(AlertDescription.HandshakeFailure, "client dropped encrypt_then_mac on renegotiation");
            }
        }

        if (renegotiationInfo is not null &&
            !CryptographicOperations.FixedTimeEquals(RenegotiationInfoExtension.Parse(renegotiationInfo.Data), ExpectedRenegotiationInfo(serverHello: false)))
        {
            throw new TlsException(AlertDescription.HandshakeFailure, Renegotiating is null
                ? "renegotiation_info is not empty on an initial handshake"
                : "renegotiation_info does not carry the previous handshake's client verify_data");
        }

        bool secureRenegotiation = renegotiationInfo is not null || hello.CipherSuites.Contains(EmptyRenegotiationInfoScsv);
        UseExtendedMasterSecret = ExtensionBlock.Find(hello.Extensions, ExtensionType.ExtendedMasterSecret) is { } ems && CheckEmpty(ems);
        string? alpn = ChooseApplicationProtocol(hello);
        ushort? peerRecordLimit = ExtensionBlock.Find(hello.Extensions, ExtensionType.RecordSizeLimit) is { } rsl ? RecordSizeLimitExtension.Parse(rsl.Data) : null;

        Suite = suite;
        Transcript.SetAlgorithm(PrfHash);
        Transcript.Add(message);
        Connection.SetNegotiated(Version, suite.Suite, suite.KeyExchange == TlsKeyExchange.Rsa ? null : group);
        Connection.ServerName = serverName;
        Connection.NegotiatedApplicationProtocol = alpn;
        Connection.SecureRenegotiation = secureRenegotiation;
        Connection.ExtendedMasterSecret = UseExtendedMasterSecret;
        Connection.LocalSignatureScheme = scheme;
        Connection.IsResumed = false;

        var extensions = new List<TlsExtension>();
        if (secureRenegotiation)
        {
            extensions.Add(new TlsExtension((ushort)ExtensionType.RenegotiationInfo, RenegotiationInfoExtension.Encode(ExpectedRenegotiationInfo(serverHello: true))));
        }

        if (UseExtendedMasterSecret)
        {
            extensions.Add(new TlsExtension((ushort)ExtensionType.ExtendedMasterSecret, []));
        }

        AddEncryptThenMac(hello, extensions);
        _staple = _clientWantsStaple ? certificate.CurrentOcspResponse(Options.TimeProvider.GetUtcNow()) : null;
        if (_staple is not null)
        {
            extensions.Add(new TlsExtension((ushort)ExtensionType.StatusRequest, []));
        }

        if (ExtensionBlock.Find(hello.Extensions, ExtensionType.EcPointFormats) is not null)
        {
            extensions.Add(new TlsExtension((ushort)ExtensionType.EcPointFormats, EcPointFormatsExtension.Encode()));
        }

        if (serverName is not null)
        {
            extensions.Add(new TlsExtension((ushort)ExtensionType.ServerName, []));
        }

        if (alpn is not null)
        {
            extensions.Add(new TlsExtension((ushort)ExtensionType.ApplicationLayerProtocolNegotiation, AlpnExtension.Encode([alpn])));
        }

        if (peerRecordLimit is ushort limit)
        {
            // RFC 8449 §4: in TLS 1.2 the limit counts plaintext only.
            Connection.SetPeerRecordSizeLimit(limit, tls12: true);
            Connection.EnforceLocalRecordSizeLimit(tls12: true);
            extensions.Add(new TlsExtension((ushort)ExtensionType.RecordSizeLimit, RecordSizeLimitExtension.Encode((ushort)Math.Min(16384, _options.RecordSizeLimit ?? 16384))));
        }

        // Resumable later only with the extended master secret (RFC 7627 §5.3), and only in TLS 1.2 (sessions carry no version).
        if (UseExtendedMasterSecret && _options.SessionCache is not null && !IsPreTls12)
        {
            _sessionId = new byte[32];
            Crypto.GetRandomBytes(_sessionId);
        }

        _issueTicket = UseExtendedMasterSecret && _options.TicketKeys is not null && ticketExt is not null && !IsPreTls12;
        if (_issueTicket)
        {
            extensions.Add(new TlsExtension((ushort)ExtensionType.SessionTicket, []));
        }

        NewServerRandom();
        Send(new ServerHello
        {
            LegacyVersion = (ushort)Version,
            Random = ServerRandom,
            LegacySessionIdEcho = _sessionId,
            CipherSuite = (ushort)suite.Suite,
            LegacyCompressionMethod = 0,
            Extensions = extensions,
        }.ToMessageBytes());
        Send(new Certificate12 { Certificates = [.. certificate.Chain] }.ToMessageBytes());
        if (_staple is not null)
        {
            Send(CertificateStatus.ToMessageBytes(_staple));
        }

        _certificate = certificate;
        if (suite.KeyExchange == TlsKeyExchange.Rsa)
        {
            // RFC 5246 §7.4.3: no ServerKeyExchange; the client encrypts to the certificate's key.
            FinishServerFlight();
            return;
        }

        _keyPair = Crypto.GetKeyExchange(group).GenerateClientShare();
        IServerKeyExchange ske = suite.KeyExchange == TlsKeyExchange.Dhe
            ? new ServerKeyExchangeDhe
            {
                Prime = FfdheKeyExchange.All.First(g => g.Group == group).Prime,
                Generator = FfdheKeyExchange.All.First(g => g.Group == group).Generator,
                PublicKey = _keyPair.PublicShare.ToArray(),
                SignatureAlgorithm = (ushort)scheme,
            }
            : new ServerKeyExchangeEcdhe { Group = (ushort)group, PublicKey = _keyPair.PublicShare.ToArray(), SignatureAlgorithm = (ushort)scheme };
        ske.HasSignatureAlgorithm = !IsPreTls12;
        Connection.Await(certificate.PrivateKey.SignAsync(scheme, ServerKeyExchangeSignedContent(ske)), signature =>
        {
            ske.Signature = signature;
            Send(ske.ToMessageBytes());
            FinishServerFlight();
        });
    }

    /// <summary>
    /// RFC 7919 §4: the FFDHE group for a DHE suite. A client that lists FFDHE groups gets one of them or no
    /// DHE suite at all; one that lists none (an older client) gets ffdhe2048.
    /// </summary>
    private NamedGroup? ChooseDheGroup(ushort[] clientGroups)
    {
        var ours = _options.Groups.Where(g => NamedGroups.IsFiniteField((ushort)g)).ToList();
        if (ours.Count == 0)
        {
            ours = [.. NamedGroups.FiniteField];
        }

        ours = [.. ours.Where(Crypto.SupportsGroup)];
        if (!clientGroups.Any(NamedGroups.IsFiniteField))
        {
            return ours.Contains(NamedGroup.Ffdhe2048) ? NamedGroup.Ffdhe2048 : ours.FirstOrDefault();
        }

        return ours.Where(g => clientGroups.Contains((ushort)g)).Cast<NamedGroup?>().FirstOrDefault();
    }

    /// <summary>[CertificateRequest] and ServerHelloDone.</summary>
    private void FinishServerFlight()
    {
        _requestCertificate = _options.RequestClientCertificate || _options.RequireClientCertificate;
        if (_requestCertificate)
        {
            Send(new CertificateRequest12
            {
                CertificateTypes = [64, 1],   // ecdsa_sign, rsa_sign
                SignatureAlgorithms = [.. Tls12Schemes.Select(s => (ushort)s)],
                HasSignatureAlgorithms = !IsPreTls12,
                CertificateAuthorities = [.. _options.ClientCertificateAuthorities],
            }.ToMessageBytes());
        }

        Send(EmptyHandshakeMessage.ToMessageBytes(HandshakeType.ServerHelloDone));
        _state = _requestCertificate ? State.WaitClientCertificate : State.WaitClientKeyExchange;
    }

    /// <summary>The server random, with RFC 8446 §4.1.3's sentinel when this server could have done better; sets the record version too.</summary>
    private void NewServerRandom()
    {
        ServerRandom = new byte[32];
        Crypto.GetRandomBytes(ServerRandom);
        if (IsPreTls12 && (_options.Allows(TlsProtocolVersion.Tls12) || _options.Allows(TlsProtocolVersion.Tls13)))
        {
            DowngradeTls11.CopyTo(ServerRandom, 24);
        }
        else if (!IsPreTls12 && _options.Allows(TlsProtocolVersion.Tls13))
        {
            DowngradeTls12.CopyTo(ServerRandom, 24);
        }

        Connection.UseRecordVersion(Version);
    }

    /// <summary>
    /// A session the client may resume from its ticket (session IDs are looked up asynchronously before this);
    /// only with the extended master secret offered again (RFC 7627 §5.3), a suite both sides still accept, and the
    /// same server name (RFC 6066 §3). Anything else means a full handshake.
    /// </summary>
    private Sessions.TlsSession? FindSession(ClientHello hello, TlsExtension? ticketExt, string? serverName, bool clientOffersEms)
    {
        if (!clientOffersEms)
        {
            return null;
        }

        Sessions.TlsSession? session = null;
        if (ticketExt is { Data.Length: > 0 } && _options.TicketKeys?.Open(ticketExt.Data) is { } state)
        {
            try
            {
                session = Sessions.TlsSession.Import(state);
            }
            catch (FormatException)
            {
                session = null;
            }
            finally
            {
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(state);
            }
        }

        return Usable(session, hello, serverName);
    }

    /// <summary>A found session resumes only when current, with EMS, in TLS 1.2, with a suite still enabled and offered, for the same name, and with the client certificate a server now requires.</summary>
    private Sessions.TlsSession? Usable(Sessions.TlsSession? session, ClientHello hello, string? serverName)
    {
        var now = Options.TimeProvider.GetUtcNow();
        if (session is null || session.Version != TlsProtocolVersion.Tls12 || session.IsExpiredAt(now) || !session.ExtendedMasterSecret ||
            !hello.CipherSuites.Contains((ushort)session.CipherSuite) || !_options.EnabledCipherSuites.Contains(session.CipherSuite) ||
            !string.Equals(session.ServerName, serverName, StringComparison.OrdinalIgnoreCase) ||
            (_options.RequireClientCertificate && !session.PeerCertificateVerified))
        {
            // A session without a verified client certificate never stands in for one this server now requires.
            return null;
        }

        return session;
    }

    /// <summary>RFC 7366: encrypt_then_mac when the client asks and the suite is CBC (never with an AEAD suite).</summary>
    private void AddEncryptThenMac(ClientHello hello, List<TlsExtension> extensions)
    {
        UseEncryptThenMac = Suite!.IsCbc && ExtensionBlock.Find(hello.Extensions, ExtensionType.EncryptThenMac) is { } etm && CheckEmpty(etm);
        Connection.EncryptThenMac = UseEncryptThenMac;
        if (UseEncryptThenMac)
        {
            extensions.Add(new TlsExtension((ushort)ExtensionType.EncryptThenMac, []));
        }
    }

    /// <summary>The abbreviated handshake (RFC 5246 §7.3, figure 2): ServerHello, ChangeCipherSpec, Finished from the server first.</summary>
    private void ResumeSession(ClientHello hello, byte[] message, Sessions.TlsSession session, string? serverName, ushort[] clientGroups)
    {
        _ = clientGroups;
        _abbreviated = true;
        Suite = CipherSuites.Get(session.CipherSuite);
        UseExtendedMasterSecret = true;
        bool secureRenegotiation = ExtensionBlock.Find(hello.Extensions, ExtensionType.RenegotiationInfo) is not null || hello.CipherSuites.Contains(EmptyRenegotiationInfoScsv);
        string? alpn = ChooseApplicationProtocol(hello);
        Transcript.SetAlgorithm(PrfHash);
        Transcript.Add(message);
        Connection.SetNegotiated(Version, Suite.Suite, null);
        Connection.ServerName = serverName;
        Connection.NegotiatedApplicationProtocol = alpn;
        Connection.SecureRenegotiation = secureRenegotiation;
        Connection.ExtendedMasterSecret = true;
        Connection.IsResumed = true;
        Connection.Session = session;
        Connection.PeerCertificateChain = session.PeerCertificateChain;   // the client is who it proved to be then
        Connection.PeerCertificateVerified = session.PeerCertificateVerified;

        var extensions = new List<TlsExtension>();
        if (secureRenegotiation)
        {
            extensions.Add(new TlsExtension((ushort)ExtensionType.RenegotiationInfo, RenegotiationInfoExtension.Encode([])));
        }

        extensions.Add(new TlsExtension((ushort)ExtensionType.ExtendedMasterSecret, []));
        AddEncryptThenMac(hello, extensions);
        if (alpn is not null)
        {
            extensions.Add(new TlsExtension((ushort)ExtensionType.ApplicationLayerProtocolNegotiation, AlpnExtension.Encode([alpn])));
        }

        NewServerRandom();
        Send(new ServerHello
        {
            LegacyVersion = (ushort)Version,
            Random = ServerRandom,
            LegacySessionIdEcho = hello.LegacySessionId,
            CipherSuite = (ushort)Suite.Suite,
            LegacyCompressionMethod = 0,
            Extensions = extensions,
        }.ToMessageBytes());
        ResumeMasterSecret(session.MasterSecret, isClient: false);
        SendChangeCipherSpec("server write keys");
        Send(BuildFinished(client: false));
        _state = State.WaitChangeCipherSpec;
    }

    private static bool CheckEmpty(TlsExtension extension)
    {
        EmptyExtension.Check(extension);
        return true;
    }

    /// <summary>
    /// The server's order of TLS 1.2 suites, each needing a certificate of its kind (by SNI first) whose
    /// key can sign a scheme the client accepts.
    /// </summary>
    private (CipherSuiteInfo Suite, TlsCertificate Certificate, SignatureScheme Scheme) Choose(ClientHello hello, string? serverName, List<SignatureScheme> clientSchemes, ushort[] clientGroups, bool haveGroup)
    {
        if (_options.Certificates.Count == 0)
        {
            throw new TlsException(AlertDescription.InternalError, "the server has no certificate configured");
        }

        var byName = serverName is null ? [] : _options.Certificates.Where(c => c.DnsNames.Any(n => HostNameMatcher.MatchesDnsName(n, serverName)));
        var candidates = byName.Concat(_options.Certificates).Distinct().ToList();
        foreach (var suiteCode in _options.EnabledCipherSuites)
        {
            if (CipherSuites.Find(suiteCode) is not { } suite || !suite.UsableIn(Version) || !hello.CipherSuites.Contains((ushort)suiteCode) ||
                (suite.KeyExchange == TlsKeyExchange.Ecdhe && !haveGroup) || (suite.KeyExchange == TlsKeyExchange.Dhe && _dheGroup is null))
            {
                continue;
            }

            foreach (var certificate in candidates)
            {
                bool fits = suite.Authentication switch
                {
                    // RFC 8422 §5.1.1: ECDHE_ECDSA suites also carry EdDSA certificates.
                    SuiteAuthentication.Ecdsa => certificate.PrivateKey.KeyType is SignatureKeyType.Ecdsa or SignatureKeyType.Ed25519,
                    SuiteAuthentication.Rsa => certificate.PrivateKey.KeyType is SignatureKeyType.Rsa or SignatureKeyType.RsaPss,
                    _ => false,
                };
                // RFC 8422 §5.1: an ECDSA certificate's curve must be one the client listed.
                if (!fits || (certificate.PrivateKey.Curve is { } curve && !clientGroups.Contains((ushort)curve)))
                {
                    continue;
                }

                if (suite.KeyExchange == TlsKeyExchange.Rsa)
                {
                    // The key decrypts rather than signs; only an rsaEncryption key can.
                    if (certificate.PrivateKey.KeyType == SignatureKeyType.Rsa)
                    {
                        return (suite, certificate, default);
                    }

                    continue;
                }

                foreach (var scheme in Tls12Schemes)
                {
                    if (clientSchemes.Contains(scheme) && certificate.PrivateKey.CanSign(scheme))
                    {
                        return (suite, certificate, scheme);
                    }
                }
            }
        }

        throw new TlsException(AlertDescription.HandshakeFailure, haveGroup
            ? "no TLS 1.2 cipher suite in common for the configured certificates"
            : "no key-exchange group in common");
    }

    private string? ChooseApplicationProtocol(ClientHello hello)
    {
        if (ExtensionBlock.Find(hello.Extensions, ExtensionType.ApplicationLayerProtocolNegotiation) is not { } ext || _options.ApplicationProtocols.Count == 0)
        {
            return null;
        }

        var offered = AlpnExtension.Parse(ext.Data);
        return _options.ApplicationProtocols.FirstOrDefault(p => offered.Contains(p, StringComparer.Ordinal))
            ?? throw new TlsException(AlertDescription.NoApplicationProtocol, "no application protocol in common");
    }

    private void HandleClientCertificate(byte[] message)
    {
        var certificate = Certificate12.Parse(Body(message));
        Transcript.Add(message);
        if (certificate.Certificates.Count == 0)
        {
            if (_options.RequireClientCertificate)
            {
                // TLS 1.2 has no certificate_required alert (RFC 5246 §7.4.6).
                throw new TlsException(AlertDescription.HandshakeFailure, "client sent no certificate");
            }

            _state = State.WaitClientKeyExchange;
            return;
        }

        _clientChain = certificate.Certificates;
        Connection.PeerCertificateChain = _clientChain;
        _state = State.WaitClientKeyExchange;
        var verifier = _options.CertificateVerifier ?? new X509CertificateVerifier();
        VerifyPeerChain(verifier, [.. _clientChain.Select(c => (ReadOnlyMemory<byte>)c)], hostName: null, peerIsServer: false, next: () => { });
    }

    private void HandleClientKeyExchange(byte[] message)
    {
        if (Suite!.KeyExchange == TlsKeyExchange.Rsa)
        {
            HandleRsaClientKeyExchange(message);
            return;
        }

        byte[] preMasterSecret;
        if (Suite.KeyExchange == TlsKeyExchange.Dhe)
        {
            var dhe = ClientKeyExchangeDhe.Parse(Body(message));
            var group = FfdheKeyExchange.All.First(g => g.Group == _keyPair!.Group);
            preMasterSecret = StripLeadingZeros(_keyPair!.Decapsulate(LeftPad(dhe.PublicKey, group.Length)));
        }
        else
        {
            var cke = ClientKeyExchangeEcdhe.Parse(Body(message));
            preMasterSecret = _keyPair!.Decapsulate(cke.PublicKey);
        }

        Transcript.Add(message);
        DeriveKeys(preMasterSecret, isClient: false);
        _state = _clientChain.Count > 0 ? State.WaitCertificateVerify : State.WaitChangeCipherSpec;
    }

    /// <summary>
    /// RFC 5246 §7.4.7.1 (the Bleichenbacher countermeasure): a bad padding, a bad length and a wrong
    /// version all continue with a random premaster secret, so the only outcome the client sees is a
    /// Finished that fails to verify, the same for all three.
    /// </summary>
    private void HandleRsaClientKeyExchange(byte[] message)
    {
        var cke = ClientKeyExchangeRsa.Parse(Body(message));
        Transcript.Add(message);
        var fallback = new byte[48];
        Crypto.GetRandomBytes(fallback);
        _state = State.DecryptingPreMasterSecret;
        Connection.Await(_certificate!.PrivateKey.DecryptPreMasterSecretAsync(cke.EncryptedPreMasterSecret, fallback), preMasterSecret =>
        {
            CryptographicOperations.ZeroMemory(fallback);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(preMasterSecret, _clientVersion);
            DeriveKeys(preMasterSecret, isClient: false);
            _state = _clientChain.Count > 0 ? State.WaitCertificateVerify : State.WaitChangeCipherSpec;
        });
    }

    private void HandleCertificateVerify(byte[] message)
    {
        var cv = IsPreTls12
            ? CertificateVerify.ParseWithoutAlgorithm(Body(message), (ushort)ImpliedPreTls12Scheme(LeafPublicKey(_clientChain[0])))
            : CertificateVerify.Parse(Body(message));
        var scheme = (SignatureScheme)cv.Algorithm;
        if (!Tls12Schemes.Contains(scheme))
        {
            throw new TlsException(AlertDescription.IllegalParameter, $"client signed with {SignatureSchemes.NameOf(cv.Algorithm)}, which was not requested");
        }

        if (!Crypto.VerifyTls12Signature(scheme, LeafPublicKey(_clientChain[0]), Transcript.Messages(), cv.Signature))
        {
            throw new TlsException(AlertDescription.DecryptError, $"client CertificateVerify ({scheme}) does not verify");
        }

        Connection.PeerSignatureScheme = scheme;
        Transcript.Add(message);
        _state = State.WaitChangeCipherSpec;
    }

    private void HandleFinished(byte[] message)
    {
        VerifyFinished(message, fromClient: true);
        Transcript.Add(message);
        if (!_abbreviated)
        {
            Sessions.TlsSession? session = UseExtendedMasterSecret && !IsPreTls12
                ? new(Suite!.Suite, (byte[])MasterSecret!.Clone(), true, _sessionId, [], Connection.ServerName, Options.TimeProvider.GetUtcNow(), _options.SessionLifetime,
                    Connection.PeerCertificateChain, Connection.PeerCertificateVerified)
                : null;
            if (_issueTicket && session is not null)
            {
                Send(new NewSessionTicket12
                {
                    LifetimeHint = (uint)_options.SessionLifetime.TotalSeconds,
                    Ticket = _options.TicketKeys!.Seal(session.Export()),
                }.ToMessageBytes());
            }

            SendChangeCipherSpec("server write keys");
            Send(BuildFinished(client: false));
            if (session is not null && _sessionId.Length > 0 && _options.SessionCache is { } store)
            {
                // Not waited for: a store elsewhere (a fleet's) takes it when it can; a failure only costs a later full handshake.
                _ = store.AddAsync(session).AsTask();
            }

            Connection.Session = session;
        }

        _state = State.Complete;
        IsComplete = true;
        Connection.CompleteTls12Handshake(MasterSecret!, ClientRandom, ServerRandom);
    }
}
