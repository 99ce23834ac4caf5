using System.Net;
using System.Security.Cryptography;
using Tessera.Crypto;
using Tessera.Ech;
using Tessera.KeySchedule;
using Tessera.Messages;
using Tessera.Pki;

namespace Tessera.Handshake;

/// <summary>The TLS 1.3 client (RFC 8446 §2, §4): ClientHello → ServerHello/HRR → EE → [CR] → Cert → CV → Finished.</summary>
internal sealed class Client13Handshake : Tls13Handshake
{
    // RFC 8446 §4.1.3: the last 8 bytes of ServerHello.random when a TLS 1.3 server negotiates 1.2 or 1.1.
    private static readonly byte[] DowngradeTls12 = [0x44, 0x4F, 0x57, 0x4E, 0x47, 0x52, 0x44, 0x01];
    private static readonly byte[] DowngradeTls11 = [0x44, 0x4F, 0x57, 0x4E, 0x47, 0x52, 0x44, 0x00];

    private readonly TlsClientOptions _options;
    private readonly List<IKeyExchangeClientState> _keyShares = [];
    private readonly HashSet<ushort> _offeredExtensions = [];
    private State _state = State.Start;
    private byte[] _sessionId = [];
    private ClientHello? _clientHello;
    private byte[] _clientHelloMessage = [];
    private bool _retried;
    private CipherSuite? _retrySuite;
    private CertificateRequest? _certificateRequest;
    private List<ReadOnlyMemory<byte>> _serverChain = [];
    private Sessions.TlsSession? _offered;   // from ResumeSession or the cache: a TLS 1.2 session or a TLS 1.3 ticket
    private Sessions.TlsSession? _ticket;     // _offered, when it is a TLS 1.3 ticket this handshake can offer
    private OfferedPsk? _psk;                // the PSK to offer: the ticket's, or the external one
    private bool _pskOffered;                // the ClientHello just sent carries pre_shared_key
    private bool _pskAccepted;
    private bool _earlyDataOffered;          // the first ClientHello carried early_data and 0-RTT data followed it
    private bool _earlyDataAccepted;
    private EchClientContext? _ech;          // Encrypted Client Hello offered (or GREASE)

    private enum State { Start, WaitServerHello, WaitEncryptedExtensions, WaitCertificateOrRequest, WaitCertificate, WaitCertificateVerify, WaitFinished, Complete }

    public Client13Handshake(TlsConnection connection, TlsClientOptions options)
        : base(connection, options) => _options = options;

    /// <summary>
    /// Set for a TLS 1.2 renegotiation (RFC 5746): the previous handshake's verify_data. The new
    /// ClientHello then offers TLS 1.2 only, carries client_verify_data in renegotiation_info and
    /// resumes nothing.
    /// </summary>
    public (byte[] Client, byte[] Server)? RenegotiationContext { get; init; }

    private string? SniHostName =>
        string.IsNullOrEmpty(_options.ServerName) || IPAddress.TryParse(_options.ServerName, out _) ? null : _options.ServerName.TrimEnd('.');

    public override void Start()
    {
        if (_state != State.Start)
        {
            throw new InvalidOperationException("The handshake has already started.");
        }

        ClientRandom = new byte[32];
        Crypto.GetRandomBytes(ClientRandom);
        if (RenegotiationContext is null && _options.EchConfigList is { } echConfigs)
        {
            if (!_options.Allows(TlsProtocolVersion.Tls13))
            {
                throw new TlsException(AlertDescription.InternalError, "Encrypted Client Hello needs TLS 1.3, which is not enabled");
            }

            _ech = EchClientContext.Offer(echConfigs, Crypto, forKeyLog: Options.KeyLog is not null);
            if (_ech.KeyLogSecret is { } echSecret)
            {
                // RFC 9850: what a capture tool needs to open the outer hello, under its random.
                KeyLogLabels.Log(Options.KeyLog, KeyLogLabels.EchSecret, _ech.OuterRandom, echSecret);
                KeyLogLabels.Log(Options.KeyLog, KeyLogLabels.EchConfig, _ech.OuterRandom, _ech.Config!.Encode());
                CryptographicOperations.ZeroMemory(echSecret);
            }
        }
        else if (RenegotiationContext is null && _options.EchGrease && _options.Allows(TlsProtocolVersion.Tls13))
        {
            _ech = EchClientContext.Grease(Crypto);
            Connection.EchStatus = TlsEchStatus.Grease;
        }

        _offered = RenegotiationContext is null
            ? _options.ResumeSession ?? _options.SessionCache?.Take(_options.ServerName, Options.TimeProvider.GetUtcNow())
            : null;
        _ticket = UsableTicket;
        _psk = _ticket is { } t ? new OfferedPsk(t.Ticket, t.MasterSecret, CipherSuites.Find(t.CipherSuite)!, PskBinderKind.Resumption)
            : _options.ExternalPsk is { } external && Offers13 && OfferedSuites.FirstOrDefault(s => s.Version == TlsProtocolVersion.Tls13 && s.Hash == external.Hash) is { } withHash
                ? new OfferedPsk(external.Identity, external.Key, withHash, external.BinderKind)
                : null;
        _sessionId = new byte[(_options.MiddleboxCompatibility && RenegotiationContext is null) || ResumableSession is not null ? 32 : 0];
        Crypto.GetRandomBytes(_sessionId);
        if (ResumableSession is { SessionId.Length: > 0 } byId)
        {
            // Resuming by session ID (RFC 5246 §7.4.1.2); with a ticket alone the random ID lets the server signal acceptance (RFC 5077 §3.4).
            _sessionId = (byte[])byId.SessionId.Clone();
        }

        var groups = _options.Groups.Where(Crypto.SupportsGroup).ToList();
        if (groups.Count == 0 || !OfferedSuites.Any())
        {
            throw new TlsException(AlertDescription.InternalError, "no usable cipher suite or group is configured for the enabled versions");
        }

        if (Offers13)
        {
            var shared = groups.Take(Math.Max(1, _options.KeyShareCount)).ToList();
            if (shared.Any(g => NamedGroups.IsHybrid((ushort)g)) && groups.FirstOrDefault(g => !NamedGroups.IsHybrid((ushort)g) && !NamedGroups.IsFiniteField((ushort)g)) is var classical
                && classical != default && !shared.Contains(classical))
            {
                // As browsers do: a hybrid share comes with a classical one, so a server without post-quantum groups needs no HelloRetryRequest.
                shared.Add(classical);
            }

            foreach (var group in shared)
            {
                _keyShares.Add(Crypto.GetKeyExchange(group).GenerateClientShare());
            }
        }

        _earlyDataOffered = EarlyDataFits;
        _clientHello = BuildClientHello(cookie: null);
        _clientHelloMessage = SendClientHello(_clientHello, afterHelloRetryRequest: false);
        if (_earlyDataOffered)
        {
            SendEarlyData();
        }
        _state = State.WaitServerHello;
    }

    public override void HandleMessage(HandshakeType type, byte[] message)
    {
        switch (_state)
        {
            case State.WaitServerHello when type == HandshakeType.ServerHello:
                HandleServerHello(message);
                break;
            case State.WaitEncryptedExtensions when type == HandshakeType.EncryptedExtensions:
                HandleEncryptedExtensions(message);
                break;
            case State.WaitCertificateOrRequest when type == HandshakeType.CertificateRequest:
                HandleCertificateRequest(message);
                break;
            case State.WaitCertificateOrRequest or State.WaitCertificate when type == HandshakeType.Certificate:
                HandleCertificate(message);
                break;
            case State.WaitCertificateVerify when type == HandshakeType.CertificateVerify:
                HandleCertificateVerify(message);
                break;
            case State.WaitFinished when type == HandshakeType.Finished:
                HandleFinished(message);
                break;
            default:
                throw Unexpected(type, $"in client state {_state}");
        }
    }

    public override void Dispose()
    {
        foreach (var share in _keyShares)
        {
            share.Dispose();
        }

        _ech?.Dispose();
        base.Dispose();
    }

    private bool Offers13 => RenegotiationContext is null && _options.Allows(TlsProtocolVersion.Tls13);

    /// <summary>The TLS 1.2 session to offer, if it is still usable with this configuration.</summary>
    private Sessions.TlsSession? ResumableSession =>
        _offered is { Version: TlsProtocolVersion.Tls12 } session && Offers12 && RenegotiationContext is null && session.ExtendedMasterSecret &&
        string.Equals(session.ServerName, _options.ServerName, StringComparison.OrdinalIgnoreCase) &&
        !session.IsExpiredAt(Options.TimeProvider.GetUtcNow()) && _options.EnabledCipherSuites.Contains(session.CipherSuite)
            ? session : null;

    /// <summary>The TLS 1.3 ticket to offer as a PSK, if it is still usable: current, for this server name, with a suite of its hash enabled.</summary>
    private Sessions.TlsSession? UsableTicket =>
        _offered is { Version: TlsProtocolVersion.Tls13 } ticket && Offers13 && !ticket.IsExpiredAt(Options.TimeProvider.GetUtcNow()) &&
        string.Equals(ticket.ServerName, _options.ServerName, StringComparison.OrdinalIgnoreCase) &&
        CipherSuites.Find(ticket.CipherSuite) is { } info &&
        OfferedSuites.Any(s => s.Version == TlsProtocolVersion.Tls13 && s.Hash == info.Hash)
            ? ticket : null;

    private bool Offers12 => Offers(TlsProtocolVersion.Tls12);

    /// <summary>TLS 1.2, or (legacy) 1.1 or 1.0: the versions Client12Handshake speaks.</summary>
    private bool OffersTls12Family => Offers(TlsProtocolVersion.Tls12) || Offers(TlsProtocolVersion.Tls11) || Offers(TlsProtocolVersion.Tls10);

    /// <summary>A renegotiation keeps the connection's version; otherwise the options decide.</summary>
    private bool Offers(TlsProtocolVersion version) => RenegotiationContext is not null
        ? version == Connection.NegotiatedProtocol
        : _options.Allows(version) && (version == TlsProtocolVersion.Tls13 || !OffersEch);

    /// <summary>A real Encrypted Client Hello is offered: then TLS 1.3 only, in both hellos (RFC 9849 §6.1 requires it of the inner one).</summary>
    private bool OffersEch => _ech is { IsGrease: false };

    /// <summary>The server used the outer ClientHello: authenticate the public name, then fail with ech_required.</summary>
    private bool EchRejected => _ech is { IsGrease: false, Accepted: false };

    private static readonly TlsProtocolVersion[] Tls12Family = [TlsProtocolVersion.Tls12, TlsProtocolVersion.Tls11, TlsProtocolVersion.Tls10];

    private IEnumerable<CipherSuiteInfo> OfferedSuites => _options.EnabledCipherSuites
        .Select(CipherSuites.Find).OfType<CipherSuiteInfo>()
        .Where(s => (Offers13 && s.UsableIn(TlsProtocolVersion.Tls13)) || Tls12Family.Any(v => Offers(v) && s.UsableIn(v)));

    private ClientHello BuildClientHello(byte[]? cookie)
    {
        var extensions = new List<TlsExtension>();
        void Add(ExtensionType type, byte[] data)
        {
            extensions.Add(new TlsExtension((ushort)type, data));
            _offeredExtensions.Add((ushort)type);
        }

        if (SniHostName is { } host)
        {
            Add(ExtensionType.ServerName, ServerNameExtension.Encode(host));
        }

        if (Offers13)
        {
            ushort[] versions = [(ushort)TlsProtocolVersion.Tls13, .. Tls12Family.Where(Offers).Select(v => (ushort)v)];
            Add(ExtensionType.SupportedVersions, SupportedVersionsExtension.EncodeClientHello(versions));
        }

        // RFC 7919 §3: a client offering DHE suites lists the FFDHE groups it accepts (all three unless Groups names some).
        var groups = _options.Groups.Where(Crypto.SupportsGroup).ToList();
        if (OffersTls12Family && OfferedSuites.Any(s => s.KeyExchange == TlsKeyExchange.Dhe) && !groups.Any(g => NamedGroups.IsFiniteField((ushort)g)))
        {
            groups.AddRange(NamedGroups.FiniteField.Where(g => Crypto.SupportsGroup(g) && !groups.Contains(g)));
        }

        Add(ExtensionType.SupportedGroups, SupportedGroupsExtension.Encode(groups.Select(g => (ushort)g)));
        if (Offers13)
        {
            Add(ExtensionType.KeyShare, KeyShareExtension.EncodeClientHello(_keyShares.Select(k => new KeyShareEntry((ushort)k.Group, k.PublicShare.ToArray()))));
        }

        // A client that also speaks TLS 1.2 may list PKCS#1 v1.5 schemes for 1.2 servers (RFC 8446 §4.2.3).
        var schemes = _options.SignatureSchemes.Where(s => SignatureSchemes.Find(s) is { Implemented: true } info && Crypto.SupportsSignatureScheme(s) &&
            (info.AllowedInTls13Handshake || Offers12) && s is not (SignatureScheme.ecdsa_sha1 or SignatureScheme.rsa_pkcs1_md5_sha1));
        Add(ExtensionType.SignatureAlgorithms, SignatureAlgorithmsExtension.Encode(schemes.Select(s => (ushort)s)));
        Add(ExtensionType.SignatureAlgorithmsCert, SignatureAlgorithmsExtension.Encode(_options.CertificateSignatureSchemes.Select(s => (ushort)s)));
        if (_options.ApplicationProtocols.Count > 0)
        {
            Add(ExtensionType.ApplicationLayerProtocolNegotiation, AlpnExtension.Encode(_options.ApplicationProtocols));
        }

        if (_options.EnablePostHandshakeAuthentication && Offers13)
        {
            Add(ExtensionType.PostHandshakeAuth, []);
        }

        if (_options.RequestOcspStapling)
        {
            Add(ExtensionType.StatusRequest, StatusRequestExtension.EncodeOcsp());
        }

        if (_options.RecordSizeLimit is int limit)
        {
            Add(ExtensionType.RecordSizeLimit, RecordSizeLimitExtension.Encode((ushort)limit));
        }

        if (cookie is not null)
        {
            Add(ExtensionType.Cookie, CookieExtension.Encode(cookie));
        }

        if (OffersTls12Family && cookie is null && !_retried)
        {
            Add(ExtensionType.ExtendedMasterSecret, []);
            if (OfferedSuites.Any(s => s.IsCbc))
            {
                Add(ExtensionType.EncryptThenMac, []);
            }

            if (!_options.InsecureRenegotiationProbe)
            {
                Add(ExtensionType.RenegotiationInfo, RenegotiationInfoExtension.Encode(RenegotiationContext?.Client ?? []));
            }

            Add(ExtensionType.EcPointFormats, EcPointFormatsExtension.Encode());
            if (_options.EnableSessionTickets)
            {
                Add(ExtensionType.SessionTicket, ResumableSession?.Ticket ?? []);
            }
        }

        if (Offers13 && (_options.EnableSessionTickets || _psk is not null))
        {
            // psk_dhe_ke, and psk_ke only when allowed (RFC 8446 §4.2.9); without this extension servers send no tickets.
            Add(ExtensionType.PskKeyExchangeModes, PskKeyExchangeModesExtension.Encode(_options.AllowPskOnlyKeyExchange ? [PskDheKe, PskKe] : [PskDheKe]));
        }

        if (_earlyDataOffered && !_retried)
        {
            Add(ExtensionType.EarlyData, []);
        }

        _pskOffered = false;
        if (_psk is { } psk && (!_retried || CipherSuites.Find(_retrySuite!.Value)!.Hash == psk.HashSuite.Hash))
        {
            // §4.2.11.1: for a ticket, the age the client sees plus ticket_age_add, modulo 2^32; 0 for an external PSK.
            uint age = _ticket is { } ticket
                ? unchecked((uint)Math.Clamp((Options.TimeProvider.GetUtcNow() - ticket.CreatedAt).TotalMilliseconds, 0, uint.MaxValue) + ticket.TicketAgeAdd)
                : 0;
            Add(ExtensionType.PreSharedKey, PreSharedKeyExtension.EncodeClientHello([new PskIdentity(psk.Identity, age)], [psk.HashSuite.HashLength]));
            _pskOffered = true;   // last, as §4.2.11 requires; the binder is filled in by Serialize
        }

        if (OffersEch)
        {
            // RFC 9849 §5, §6.1: the inner hello carries the inner marker. The inner-only extensions (server_name, the
            // marker, ALPN) come first and pre_shared_key last; everything between is repeated in the outer hello and
            // compressed away, so it must be contiguous (§5.1).
            int first = SniHostName is null ? 0 : 1;
            extensions.Insert(first, new TlsExtension((ushort)ExtensionType.EncryptedClientHello, EncryptedClientHelloExtension.InnerMarker.Encode()));
            _offeredExtensions.Add((ushort)ExtensionType.EncryptedClientHello);
            int alpn = extensions.FindIndex(e => e.Type == (ushort)ExtensionType.ApplicationLayerProtocolNegotiation);
            if (alpn > first + 1)
            {
                var moved = extensions[alpn];
                extensions.RemoveAt(alpn);
                extensions.Insert(first + 1, moved);
            }
        }

        var hello = new ClientHello
        {
            // RFC 8446 §4.1.2: 0x0303 when offering TLS 1.2 or 1.3; otherwise (legacy) the highest version offered.
            LegacyVersion = (ushort)(Offers13 || Offers12 ? TlsProtocolVersion.Tls12 : Tls12Family.First(Offers)),
            Random = ClientRandom,
            LegacySessionId = _sessionId,
            CipherSuites = [.. OfferedSuites.Select(s => (ushort)s.Suite)],
            LegacyCompressionMethods = [0],
            Extensions = extensions,
        };

        if (_ech is { IsGrease: true } grease)
        {
            // RFC 9849 §6.2.1: before pre_shared_key, which stays last.
            extensions.Insert(_pskOffered ? extensions.Count - 1 : extensions.Count, grease.GreaseExtension(hello));
            _offeredExtensions.Add((ushort)ExtensionType.EncryptedClientHello);
        }

        return hello;
    }

    /// <summary>
    /// Sends a ClientHello. With Encrypted Client Hello, <paramref name="hello"/> is the inner one: it goes into the
    /// transcript (until the server says otherwise) and out sealed inside the ClientHelloOuter that is sent instead.
    /// Returns the hello's bytes.
    /// </summary>
    private byte[] SendClientHello(ClientHello hello, bool afterHelloRetryRequest)
    {
        var bytes = Serialize(hello);
        if (_ech is not { IsGrease: false } ech)
        {
            Send(bytes);
            return bytes;
        }

        var outer = ech.SealOuter(ClientHello.Parse(bytes.AsSpan(4)), afterHelloRetryRequest);
        Options.Observer?.OnEchInnerClientHello(TrafficDirection.Sent, bytes);
        if (ech.Accepted == false)
        {
            Send(outer);   // rejected at the HelloRetryRequest: the outer hello is the ClientHello now
        }
        else
        {
            Transcript.Add(bytes);
            Connection.SendHandshakeMessage(outer);
        }

        return bytes;
    }

    private const byte PskKe = 0;
    private const byte PskDheKe = 1;

    /// <summary>A PSK this client offers: identity, secret, a suite of its hash (for the binder), and how its binder is keyed.</summary>
    private sealed record OfferedPsk(byte[] Identity, byte[] Key, CipherSuiteInfo HashSuite, PskBinderKind Kind);

    /// <summary>
    /// 0-RTT is possible when the ticket allows at least this much early data, and the ALPN offered first is the
    /// ticket's (the server accepts early data only for the same protocol, §4.2.10).
    /// </summary>
    private bool EarlyDataFits =>
        _options.EarlyData is { Length: > 0 } data && _ticket is { } ticket && data.Length <= ticket.MaxEarlyDataSize &&
        (ticket.ApplicationProtocol is null
            ? _options.ApplicationProtocols.Count == 0
            : _options.ApplicationProtocols.Count > 0 && _options.ApplicationProtocols[0] == ticket.ApplicationProtocol);

    /// <summary>Right after the first ClientHello (and the compatibility CCS, §D.4): the early data under client_early_traffic_secret.</summary>
    private void SendEarlyData()
    {
        var info = CipherSuites.Find(_ticket!.CipherSuite)!;
        Connection.SendChangeCipherSpecOnce(_options.MiddleboxCompatibility);
        using var schedule = new Tls13KeySchedule(Crypto, info, _ticket.MasterSecret);
        var secret = schedule.ClientEarlyTrafficSecret(Transcript.HashWith(info.Hash, []));
        Observe("c e traffic", KeyLogLabels.ClientEarlyTrafficSecret, secret);
        Connection.InstallWriteKeys(info, secret, "client early traffic keys");
        Zero(secret);
        Connection.SendEarlyData(_options.EarlyData);
    }

    /// <summary>The ClientHello's bytes, with the PSK binder computed over the hello truncated before the binders (§4.2.11.2).</summary>
    private byte[] Serialize(ClientHello hello)
    {
        var bytes = hello.ToMessageBytes();
        if (_pskOffered)
        {
            var psk = _psk!;
            int binders = 2 + PreSharedKeyExtension.BindersLength([psk.HashSuite.HashLength]);
            var hash = Transcript.HashWith(psk.HashSuite.Hash, bytes.AsSpan(0, bytes.Length - binders));
            using var schedule = new Tls13KeySchedule(Crypto, psk.HashSuite, psk.Key);
            var binder = schedule.ComputeBinder(hash, psk.Kind);
            binder.CopyTo(bytes.AsSpan(bytes.Length - binder.Length));
        }

        return bytes;
    }

    private IEnumerable<SignatureScheme> OfferedSignatureSchemes =>
        _options.SignatureSchemes.Where(s => SignatureSchemes.Find(s) is { AllowedInTls13Handshake: true } && Crypto.SupportsSignatureScheme(s));

    private void HandleServerHello(byte[] message)
    {
        var hello = ServerHello.Parse(Body(message));
        if (hello.LegacyVersion <= 0x0300)
        {
            // §D.5: never SSL 3.0 or older.
            throw new TlsException(AlertDescription.ProtocolVersion, $"ServerHello.legacy_version 0x{hello.LegacyVersion:X4} is SSL 3.0 or older");
        }

        var versionExt = ExtensionBlock.Find(hello.Extensions, ExtensionType.SupportedVersions);
        if (versionExt is null)
        {
            // A TLS 1.2-or-older answer. A TLS 1.3 server that was forced down marks its random (§4.1.3).
            var tail = hello.Random.AsSpan(24);
            if (Offers13 && (tail.SequenceEqual(DowngradeTls12) || tail.SequenceEqual(DowngradeTls11)))
            {
                throw new TlsException(AlertDescription.IllegalParameter, "ServerHello.random carries the TLS 1.3 downgrade sentinel");
            }

            var version = (TlsProtocolVersion)hello.LegacyVersion;
            if (Tls12Family.Contains(version) && Offers(version) && !_retried && !hello.IsHelloRetryRequest)
            {
                // A client that speaks TLS 1.2 also refuses a forced fall to 1.1 or 1.0 (RFC 8446 §4.1.3).
                if (version < TlsProtocolVersion.Tls12 && Offers12 && tail.SequenceEqual(DowngradeTls11))
                {
                    throw new TlsException(AlertDescription.IllegalParameter, "ServerHello.random carries the TLS 1.2 downgrade sentinel");
                }

                if (_earlyDataOffered)
                {
                    // RFC 8446 §D.3: a client that sent 0-RTT data cannot fall back to an older version.
                    throw new TlsException(AlertDescription.ProtocolVersion, $"the server answered with {version.ToDisplayName()} after 0-RTT data was sent");
                }

                var tls12 = new Client12Handshake(Connection, _options, _clientHelloMessage, _clientHello!, _offeredExtensions, version)
                {
                    Renegotiating = RenegotiationContext,
                    OfferedSession = ResumableSession,
                };
                Connection.ReplaceHandshake(tls12);
                tls12.HandleServerHello(hello, message);
                return;
            }

            throw new TlsException(AlertDescription.ProtocolVersion, $"server chose {((TlsProtocolVersion)hello.LegacyVersion).ToDisplayName()}, which is not enabled");
        }

        if (!Offers13)
        {
            throw new TlsException(AlertDescription.IllegalParameter, "server used supported_versions, but TLS 1.3 was not offered");
        }

        if (SupportedVersionsExtension.ParseServerHello(versionExt.Data) != (ushort)TlsProtocolVersion.Tls13)
        {
            throw new TlsException(AlertDescription.IllegalParameter, "server selected a version that was not offered");
        }

        if (hello.LegacyVersion != (ushort)TlsProtocolVersion.Tls12)
        {
            throw new TlsException(AlertDescription.IllegalParameter, "ServerHello.legacy_version is not 0x0303");
        }

        if (!hello.LegacySessionIdEcho.AsSpan().SequenceEqual(_sessionId))
        {
            throw new TlsException(AlertDescription.IllegalParameter, "ServerHello does not echo the legacy_session_id");
        }

        if (hello.LegacyCompressionMethod != 0)
        {
            throw new TlsException(AlertDescription.IllegalParameter, "ServerHello selected compression");
        }

        var suite = (CipherSuite)hello.CipherSuite;
        if (!_clientHello!.CipherSuites.Contains(hello.CipherSuite) || CipherSuites.Find(suite) is not { Version: TlsProtocolVersion.Tls13 } suiteInfo)
        {
            throw new TlsException(AlertDescription.IllegalParameter, $"server selected cipher suite {CipherSuites.NameOf(hello.CipherSuite)}, which was not offered");
        }

        if (_retrySuite is { } earlier && earlier != suite)
        {
            throw new TlsException(AlertDescription.IllegalParameter, "ServerHello cipher suite differs from the HelloRetryRequest's");
        }

        if (hello.IsHelloRetryRequest && _retried)
        {
            throw new TlsException(AlertDescription.UnexpectedMessage, "a second HelloRetryRequest");
        }

        if (_ech is { IsGrease: false, Accepted: not false } ech)
        {
            DecideEch(ech, hello, suiteInfo, message);
        }
        else if (_ech is { IsGrease: true } && hello.IsHelloRetryRequest &&
            ExtensionBlock.Find(hello.Extensions, ExtensionType.EncryptedClientHello) is { Data.Length: not EchAcceptance.Length })
        {
            throw new TlsException(AlertDescription.DecodeError, "HelloRetryRequest's encrypted_client_hello is not 8 bytes");
        }

        if (hello.IsHelloRetryRequest)
        {
            HandleHelloRetryRequest(hello, suiteInfo, message);
            return;
        }

        foreach (var ext in hello.Extensions)
        {
            CheckServerExtension(ext.Type, allowed: [ExtensionType.KeyShare, ExtensionType.SupportedVersions, ExtensionType.PreSharedKey], "ServerHello");
        }

        byte[]? psk = null;
        if (ExtensionBlock.Find(hello.Extensions, ExtensionType.PreSharedKey) is { } pskExt)
        {
            // §4.2.11: the one identity offered, and a suite with the PSK's hash.
            if (!_pskOffered)
            {
                throw new TlsException(AlertDescription.IllegalParameter, "server selected a pre-shared key that was not offered");
            }

            if (PreSharedKeyExtension.ParseServerHello(pskExt.Data) != 0)
            {
                throw new TlsException(AlertDescription.IllegalParameter, "server selected a PSK identity that was not offered");
            }

            if (_psk!.HashSuite.Hash != suiteInfo.Hash)
            {
                throw new TlsException(AlertDescription.IllegalParameter, "server chose a cipher suite whose hash differs from the PSK's");
            }

            psk = _psk.Key;
        }

        byte[] sharedSecret;
        IKeyExchangeClientState? myShare = null;
        if (ExtensionBlock.Find(hello.Extensions, ExtensionType.KeyShare) is { } keyShareExt)
        {
            var serverShare = KeyShareExtension.ParseServerHello(keyShareExt.Data);
            myShare = _keyShares.Find(k => (ushort)k.Group == serverShare.Group)
                ?? throw new TlsException(AlertDescription.IllegalParameter, $"server key_share is for group {NamedGroups.NameOf(serverShare.Group)}, for which no share was sent");
            sharedSecret = myShare.Decapsulate(serverShare.KeyExchange);
        }
        else if (psk is not null && _options.AllowPskOnlyKeyExchange)
        {
            sharedSecret = new byte[suiteInfo.HashLength];   // psk_ke: no (EC)DHE, zeros in its place (§7.1)
        }
        else
        {
            throw new TlsException(AlertDescription.MissingExtension, "ServerHello has no key_share");
        }

        Suite = suiteInfo;
        Transcript.SetAlgorithm(suiteInfo.Hash);
        Transcript.Add(message);
        Schedule = new Tls13KeySchedule(Crypto, suiteInfo, psk);
        DeriveHandshakeSecrets(sharedSecret);
        _pskAccepted = psk is not null;

        Connection.SetNegotiated(TlsProtocolVersion.Tls13, suite, myShare?.Group);
        Connection.InstallReadKeys(suiteInfo, ServerHandshakeSecret!, "server handshake traffic keys");
        if (!_earlyDataOffered || _retried)
        {
            Connection.InstallWriteKeys(suiteInfo, ClientHandshakeSecret!, "client handshake traffic keys");
        }

        _state = State.WaitEncryptedExtensions;
    }

    /// <summary>
    /// RFC 9849 §6.1.4: did the server use the inner ClientHello? A ServerHello says so in the last 8 bytes of its
    /// random, a HelloRetryRequest in its encrypted_client_hello extension; both are keyed by the inner random and
    /// hash the inner transcript with the confirmation zeroed. Without the signal the outer hello is the ClientHello.
    /// </summary>
    private void DecideEch(EchClientContext ech, ServerHello hello, CipherSuiteInfo suite, byte[] message)
    {
        bool accepted;
        if (hello.IsHelloRetryRequest)
        {
            accepted = false;
            if (ExtensionBlock.Find(hello.Extensions, ExtensionType.EncryptedClientHello) is { } ext)
            {
                if (ext.Data.Length != EchAcceptance.Length)
                {
                    throw new TlsException(AlertDescription.DecodeError, "HelloRetryRequest's encrypted_client_hello is not 8 bytes");
                }

                // §7.2.1: message_hash(ClientHelloInner1) then the HelloRetryRequest with its confirmation zeroed.
                var zeroed = hello.WithExtensions([.. hello.Extensions.Select(e =>
                    e.Type == (ushort)ExtensionType.EncryptedClientHello ? new TlsExtension(e.Type, new byte[EchAcceptance.Length]) : e)]).ToMessageBytes();
                using var transcript = new Transcript(Crypto);
                transcript.Add(_clientHelloMessage);
                transcript.ReplaceWithMessageHash(suite.Hash);
                var expected = EchAcceptance.Compute(Crypto, suite.Hash, ClientRandom, transcript.HashWith(suite.Hash, zeroed), helloRetryRequest: true);
                accepted = CryptographicOperations.FixedTimeEquals(expected, ext.Data);
            }

            ech.AcceptedByHelloRetryRequest = accepted;
        }
        else
        {
            var zeroed = (byte[])message.Clone();
            zeroed.AsSpan(EchAcceptance.ServerHelloOffset, EchAcceptance.Length).Clear();
            var expected = EchAcceptance.Compute(Crypto, suite.Hash, ClientRandom, Transcript.HashWith(suite.Hash, zeroed), helloRetryRequest: false);
            accepted = CryptographicOperations.FixedTimeEquals(expected, message.AsSpan(EchAcceptance.ServerHelloOffset, EchAcceptance.Length));
            if (ech.AcceptedByHelloRetryRequest && !accepted)
            {
                throw new TlsException(AlertDescription.IllegalParameter, "the ServerHello does not confirm the Encrypted Client Hello its HelloRetryRequest accepted");
            }
        }

        ech.Accepted = accepted;
        Connection.EchStatus = accepted ? TlsEchStatus.Accepted : TlsEchStatus.Rejected;
        if (!hello.IsHelloRetryRequest)
        {
            ech.ReleaseHpke();   // nothing more to seal
        }

        if (!accepted)
        {
            // §6.1.6: on with the outer hello, which offered no PSK (a GREASE one at most) and names the public name.
            Transcript.ReplacePending(ech.OuterMessage);
            ClientRandom = ech.OuterRandom;
            _psk = null;
            _pskOffered = false;
        }
    }

    private void HandleHelloRetryRequest(ServerHello hrr, CipherSuiteInfo suiteInfo, byte[] message)
    {
        if (_retried)
        {
            throw new TlsException(AlertDescription.UnexpectedMessage, "a second HelloRetryRequest");
        }

        _retried = true;
        foreach (var ext in hrr.Extensions)
        {
            CheckServerExtension(ext.Type, allowed: [ExtensionType.KeyShare, ExtensionType.SupportedVersions, ExtensionType.Cookie, ExtensionType.EncryptedClientHello], "HelloRetryRequest");
        }

        var keyShareExt = ExtensionBlock.Find(hrr.Extensions, ExtensionType.KeyShare);
        var cookieExt = ExtensionBlock.Find(hrr.Extensions, ExtensionType.Cookie);
        if (keyShareExt is null && cookieExt is null)
        {
            // §4.1.4: an HRR that would not change the ClientHello.
            throw new TlsException(AlertDescription.IllegalParameter, "HelloRetryRequest asks for no change");
        }

        if (keyShareExt is not null)
        {
            var group = (NamedGroup)KeyShareExtension.ParseHelloRetryRequest(keyShareExt.Data);
            if (!_options.Groups.Contains(group) || !Crypto.SupportsGroup(group))
            {
                throw new TlsException(AlertDescription.IllegalParameter, $"HelloRetryRequest asks for group {NamedGroups.NameOf((ushort)group)}, which was not offered");
            }

            if (_keyShares.Exists(k => k.Group == group))
            {
                throw new TlsException(AlertDescription.IllegalParameter, "HelloRetryRequest asks for a group whose share was already sent");
            }

            foreach (var old in _keyShares)
            {
                old.Dispose();
            }

            _keyShares.Clear();
            _keyShares.Add(Crypto.GetKeyExchange(group).GenerateClientShare());
        }

        byte[]? cookie = cookieExt is null ? null : CookieExtension.Parse(cookieExt.Data);
        _retrySuite = suiteInfo.Suite;
        Suite = suiteInfo;
        Transcript.ReplaceWithMessageHash(suiteInfo.Hash);
        Transcript.Add(message);
        Connection.WasHelloRetryRequest = true;

        Connection.SendChangeCipherSpecOnce(_options.MiddleboxCompatibility);
        if (_earlyDataOffered)
        {
            // §4.2.10: a HelloRetryRequest declines early data; the second ClientHello goes out unprotected.
            Connection.ClearWriteKeys();
            Connection.EarlyDataStatus = TlsEarlyDataStatus.Rejected;
        }

        _clientHello = BuildClientHello(cookie);
        SendClientHello(_clientHello, afterHelloRetryRequest: true);
    }

    private void CheckServerExtension(ushort type, ExtensionType[] allowed, string where)
    {
        // RFC 9849 §6.1.6: a server that rejected ECH answered the outer hello, whose server_name (the public name)
        // the inner one may lack (an IP literal has none).
        var offered = _offeredExtensions.Contains(type) || type == (ushort)ExtensionType.Cookie ||
            (type == (ushort)ExtensionType.ServerName && EchRejected);
        if (!offered)
        {
            throw new TlsException(AlertDescription.UnsupportedExtension, $"{where} carries {ExtensionTypeNames.NameOf(type)}, which was not offered");
        }

        if (!allowed.Contains((ExtensionType)type))
        {
            throw new TlsException(AlertDescription.IllegalParameter, $"{ExtensionTypeNames.NameOf(type)} is not allowed in {where}");
        }
    }

    private void HandleEncryptedExtensions(byte[] message)
    {
        var ee = EncryptedExtensions.Parse(Body(message));
        Transcript.Add(message);
        foreach (var ext in ee.Extensions)
        {
            CheckServerExtension(ext.Type,
                allowed: [ExtensionType.ServerName, ExtensionType.SupportedGroups, ExtensionType.ApplicationLayerProtocolNegotiation,
                          ExtensionType.RecordSizeLimit, ExtensionType.MaxFragmentLength, ExtensionType.UseSrtp, ExtensionType.Heartbeat,
                          ExtensionType.ClientCertificateType, ExtensionType.ServerCertificateType, ExtensionType.EarlyData,
                          ExtensionType.EncryptedClientHello],
                "EncryptedExtensions");
            switch ((ExtensionType)ext.Type)
            {
                case ExtensionType.EncryptedClientHello:
                    if (_ech is { IsGrease: false, Accepted: true })
                    {
                        // RFC 9849 §5: retry_configs answer only an outer hello.
                        throw new TlsException(AlertDescription.UnsupportedExtension, "retry_configs sent although the server used the inner ClientHello");
                    }

                    var retryConfigs = EchConfigList.Parse(ext.Data);   // decode_error if malformed
                    if (EchRejected && retryConfigs.Count > 0)
                    {
                        // §6.1.6: none of a version this client knows means ECH is off there, as if none were sent.
                        // A GREASE client checks them and forgets them (§6.2.1).
                        _ech!.RetryConfigs = ext.Data;
                    }

                    break;
                case ExtensionType.ServerName when ext.Data.Length != 0:
                    throw new TlsException(AlertDescription.DecodeError, "server_name acknowledgement must be empty");
                case ExtensionType.ApplicationLayerProtocolNegotiation:
                    var names = AlpnExtension.Parse(ext.Data);
                    if (names.Length != 1 || !_options.ApplicationProtocols.Contains(names[0], StringComparer.Ordinal))
                    {
                        throw new TlsException(AlertDescription.IllegalParameter, "server selected an application protocol that was not offered");
                    }

                    Connection.NegotiatedApplicationProtocol = names[0];
                    break;
                case ExtensionType.RecordSizeLimit:
                    Connection.SetPeerRecordSizeLimit(RecordSizeLimitExtension.Parse(ext.Data));
                    Connection.EnforceLocalRecordSizeLimit();
                    break;
                case ExtensionType.EarlyData:
                    if (!_earlyDataOffered || _retried || !_pskAccepted || Suite!.Suite != _ticket!.CipherSuite)
                    {
                        // §4.2.10: only for the first PSK, with its suite, and never after a HelloRetryRequest.
                        throw new TlsException(AlertDescription.IllegalParameter, "early_data accepted but it was not offered, or not for this PSK");
                    }

                    EmptyExtension.Check(ext);
                    _earlyDataAccepted = true;
                    break;
            }
        }

        if (EchRejected)
        {
            Connection.ServerName = _ech!.Config!.PublicName;   // the only name this connection is authenticated for
        }
        else if (SniHostName is not null)
        {
            Connection.ServerName = SniHostName;
        }

        if (_earlyDataAccepted && !string.Equals(Connection.NegotiatedApplicationProtocol, _ticket!.ApplicationProtocol, StringComparison.Ordinal))
        {
            // §4.2.10: early data belongs to the ticket's protocol; a server taking it under another is wrong.
            throw new TlsException(AlertDescription.IllegalParameter, "server accepted early data but chose another application protocol than the ticket's");
        }

        if (_earlyDataOffered && !_retried)
        {
            Connection.EarlyDataStatus = _earlyDataAccepted ? TlsEarlyDataStatus.Accepted : TlsEarlyDataStatus.Rejected;
            if (!_earlyDataAccepted)
            {
                Connection.InstallWriteKeys(Suite!, ClientHandshakeSecret!, "client handshake traffic keys");
            }
        }

        if (_pskAccepted)
        {
            // The PSK authenticates the server: no Certificate, CertificateVerify or CertificateRequest now (§4.3.2, §4.4.2).
            if (_ticket is { } ticket)
            {
                Connection.IsResumed = true;
                Connection.PeerCertificateChain = ticket.PeerCertificateChain;
                Connection.PeerCertificateVerified = ticket.PeerCertificateVerified;
            }
            else
            {
                Connection.ExternalPskIdentity = _psk!.Identity;
            }

            _state = State.WaitFinished;
            return;
        }

        _state = State.WaitCertificateOrRequest;
    }

    private void HandleCertificateRequest(byte[] message)
    {
        var request = CertificateRequest.Parse(Body(message));
        if (request.RequestContext.Length != 0)
        {
            throw new TlsException(AlertDescription.IllegalParameter, "CertificateRequest in the handshake must have an empty context");
        }

        if (ExtensionBlock.Find(request.Extensions, ExtensionType.SignatureAlgorithms) is not { } sigs)
        {
            throw new TlsException(AlertDescription.MissingExtension, "CertificateRequest has no signature_algorithms");
        }

        _ = SignatureAlgorithmsExtension.Parse(sigs.Data);
        Transcript.Add(message);
        _certificateRequest = request;
        _state = State.WaitCertificate;
    }

    private void HandleCertificate(byte[] message)
    {
        var certificate = CertificateMessage.Parse(Body(message));
        if (certificate.RequestContext.Length != 0)
        {
            throw new TlsException(AlertDescription.IllegalParameter, "server Certificate has a non-empty request context");
        }

        if (certificate.Entries.Count == 0)
        {
            throw new TlsException(AlertDescription.DecodeError, "server sent an empty Certificate message");
        }

        byte[]? staple = null;
        for (int i = 0; i < certificate.Entries.Count; i++)
        {
            foreach (var ext in certificate.Entries[i].Extensions)
            {
                // RFC 8446 §4.4.2.1: only the leaf's entry may carry status_request, and only when it was asked for.
                if (ext.Type == (ushort)ExtensionType.StatusRequest && i == 0 && _offeredExtensions.Contains(ext.Type) && staple is null)
                {
                    staple = CertificateStatus.Parse(ext.Data);
                    continue;
                }

                throw new TlsException(AlertDescription.UnsupportedExtension, $"certificate entry carries {ExtensionTypeNames.NameOf(ext.Type)}, which was not requested");
            }
        }

        Connection.PeerOcspResponse = staple;
        Transcript.Add(message);
        _serverChain = [.. certificate.Entries.Select(e => (ReadOnlyMemory<byte>)e.Data)];
        Connection.PeerCertificateChain = [.. certificate.Entries.Select(e => e.Data)];
        _state = State.WaitCertificateVerify;

        if (_options.SkipCertificateVerification)
        {
            return;
        }

        var verifier = _options.CertificateVerifier ?? new X509CertificateVerifier();
        // RFC 9849 §6.1.7: after a rejected ECH the certificate must be valid for the configuration's public name.
        var hostName = EchRejected ? _ech!.Config!.PublicName : string.IsNullOrEmpty(_options.ServerName) ? null : _options.ServerName;
        VerifyPeerChain(verifier, _serverChain, hostName, peerIsServer: true, next: () => { }, staple);
    }

    private void HandleCertificateVerify(byte[] message)
    {
        var scheme = VerifyPeerCertificateVerify(message, _serverChain[0], peerIsServer: true, [.. OfferedSignatureSchemes]);
        Connection.PeerSignatureScheme = scheme;
        Transcript.Add(message);
        _state = State.WaitFinished;
    }

    private void HandleFinished(byte[] message)
    {
        VerifyFinished(message, ServerHandshakeSecret!);
        Transcript.Add(message);
        if (EchRejected)
        {
            // RFC 9849 §6.1.6: the public name is authenticated, which proves the retry configurations are the server's;
            // the connection itself never reaches the application.
            // §6.1.6: retry configurations count only from a server authenticated for the public name.
            if (_options.SkipCertificateVerification)
            {
                throw new TlsException(AlertDescription.EchRequired,
                    $"the server did not accept Encrypted Client Hello; its retry configurations are not used, since certificate verification is off and nothing proves it is {_ech!.Config!.PublicName}");
            }

            throw new TlsException(AlertDescription.EchRequired, _ech!.RetryConfigs is null
                ? $"the server did not accept Encrypted Client Hello and sent no retry configurations (authenticated as {_ech.Config!.PublicName}): ECH is off there"
                : $"the server did not accept Encrypted Client Hello; it sent retry configurations (authenticated as {_ech.Config!.PublicName}) to connect again with")
            {
                EchRetryConfigs = _ech.RetryConfigs,
            };
        }

        var (clientApp, serverApp) = DeriveApplicationSecrets();
        Connection.InstallReadKeys(Suite!, serverApp, "server application traffic keys");

        Connection.SendChangeCipherSpecOnce(_options.MiddleboxCompatibility);
        if (_earlyDataAccepted)
        {
            // §4.5: EndOfEarlyData under the early keys, then the handshake keys for Finished.
            Send(EmptyHandshakeMessage.ToMessageBytes(HandshakeType.EndOfEarlyData));
            Connection.InstallWriteKeys(Suite!, ClientHandshakeSecret!, "client handshake traffic keys");
        }

        if (_certificateRequest is not null)
        {
            SendClientCertificate(() => FinishClientFlight(clientApp, serverApp));
        }
        else
        {
            FinishClientFlight(clientApp, serverApp);
        }
    }

    private void SendClientCertificate(Action next)
    {
        var offered = SignatureAlgorithmsExtension.Parse(ExtensionBlock.Find(_certificateRequest!.Extensions, ExtensionType.SignatureAlgorithms)!.Data)
            .Select(s => (SignatureScheme)s).ToList();
        var authorities = ExtensionBlock.Find(_certificateRequest.Extensions, ExtensionType.CertificateAuthorities) is { } cas
            ? CertificateAuthoritiesExtension.Parse(cas.Data) : [];
        // RFC 9849 §6.1.7: no client certificate for a handshake that only authenticates the public name.
        if (EchRejected || ClientCertificateSelector.Choose(_options, OfferedSignatureSchemes, offered, authorities) is not { } choice)
        {
            Send(BuildCertificate(_certificateRequest.RequestContext, []));
            next();
            return;
        }

        Send(BuildCertificate(_certificateRequest.RequestContext, choice.Certificate.Chain));
        SendCertificateVerify(choice.Certificate.PrivateKey, choice.Scheme, server: false, next);
    }

    private void FinishClientFlight(byte[] clientApp, byte[] serverApp)
    {
        Send(BuildFinished(ClientHandshakeSecret!));
        if (_offeredExtensions.Contains((ushort)ExtensionType.PostHandshakeAuth))
        {
            Connection.EnablePostHandshakeAuthentication(new PostHandshakeAuthentication(Connection, Options, Suite!, Transcript.CloneHash()));
        }

        Connection.InstallWriteKeys(Suite!, clientApp, "client application traffic keys");
        var resumption = Schedule!.ResumptionMasterSecret(Transcript.CurrentHash());
        Options.Observer?.OnSecretDerived("res master");
        Connection.SetResumptionSecret(resumption);
        _state = State.Complete;
        IsComplete = true;
        Connection.CompleteHandshake(clientApp, serverApp, isClient: true);
        CryptographicOperations.ZeroMemory(clientApp);
        CryptographicOperations.ZeroMemory(serverApp);
    }
}
