using System.Security.Cryptography;
using Tessera.Crypto;
using Tessera.Crypto.Hpke;
using Tessera.Ech;
using Tessera.KeySchedule;
using Tessera.Messages;
using Tessera.Pki;
using Tessera.Records;

namespace Tessera.Handshake;

/// <summary>
/// The TLS 1.3 server (RFC 8446 §2, §4). Selection policy: the server's own order of suites and
/// groups wins; among the client's key shares the server takes the one it prefers most, and asks for
/// another share with HelloRetryRequest only when none of the client's shares is usable.
/// </summary>
internal sealed class Server13Handshake : Tls13Handshake
{
    private bool _clientWantsStaple;
    private bool _clientOffersPostHandshakeAuth;
    private readonly TlsServerOptions _options;
    private State _state = State.WaitClientHello;
    private ClientHello? _firstHello;
    private byte[]? _cookie;
    private NamedGroup _retryGroup;
    private CipherSuiteInfo? _retrySuite;
    private byte[]? _clientApp;
    private byte[]? _serverApp;
    private List<ReadOnlyMemory<byte>> _clientChain = [];
    private Sessions.TlsSession? _resumed;
    private TlsExternalPsk? _external;
    private Sessions.TlsSession? _statefulSession;

    /// <summary>
    /// A stateful ticket is a random ID of this length: longer than any TLS 1.2 session ID (32), so a 1.2 session in a
    /// shared store can never be taken as a ticket, and shorter than any sealed ticket.
    /// </summary>
    private const int StatefulTicketIdLength = 48;
    private bool _clientAcceptsTickets;
    private bool _acceptedEarlyData;
    private bool _echOffered;                // the first ClientHello carried an outer encrypted_client_hello
    private bool _echAccepted;               // ... and it decrypted: the handshake runs on the inner hellos
    private HpkeContext? _echContext;
    private EncryptedClientHelloExtension? _echFirst;

    private const byte PskKe = 0;
    private const byte PskDheKe = 1;

    private enum State { WaitClientHello, WaitSecondClientHello, Negotiating, WaitEndOfEarlyData, WaitClientCertificate, WaitClientCertificateVerify, WaitClientFinished, Complete }

    public Server13Handshake(TlsConnection connection, TlsServerOptions options)
        : base(connection, options) => _options = options;

    public override void Start()
    {
    }

    public override void HandleMessage(HandshakeType type, byte[] message)
    {
        switch (_state)
        {
            case State.WaitClientHello or State.WaitSecondClientHello when type == HandshakeType.ClientHello:
                HandleClientHello(message);
                break;
            case State.WaitEndOfEarlyData when type == HandshakeType.EndOfEarlyData:
                // §4.5: the end of 0-RTT data, under the early keys; the handshake keys take over.
                EmptyHandshakeMessage.Parse(Body(message), type);
                Transcript.Add(message);
                Connection.EndEarlyData();
                Connection.InstallReadKeys(Suite!, ClientHandshakeSecret!, "client handshake traffic keys");
                _state = State.WaitClientFinished;
                break;
            case State.WaitClientCertificate when type == HandshakeType.Certificate:
                HandleClientCertificate(message);
                break;
            case State.WaitClientCertificateVerify when type == HandshakeType.CertificateVerify:
                HandleClientCertificateVerify(message);
                break;
            case State.WaitClientFinished when type == HandshakeType.Finished:
                HandleClientFinished(message);
                break;
            default:
                throw Unexpected(type, $"in server state {_state}");
        }
    }

    public override void Dispose()
    {
        _echContext?.Dispose();
        Zero(_clientApp);
        Zero(_serverApp);
        base.Dispose();
    }

    private void HandleClientHello(byte[] message)
    {
        bool second = _state == State.WaitSecondClientHello;
        HandleClientHello(OpenEncryptedClientHello(message, second), second, statefulLookupDone: false);
    }

    /// <summary>
    /// RFC 9849 §7.1 (shared mode): a ClientHelloOuter that decrypts with one of the ECH keys gives way to its
    /// ClientHelloInner, which the rest of the handshake uses; otherwise the outer hello is the ClientHello and
    /// EncryptedExtensions carries retry_configs. After a HelloRetryRequest that accepted ECH, the second outer hello
    /// must decrypt with the same HPKE context. Returns the ClientHello message to go on with.
    /// </summary>
    private byte[] OpenEncryptedClientHello(byte[] message, bool second)
    {
        if ((second && !_echAccepted) || _options.EchKeys.Count == 0)
        {
            return message;   // §7.1.1: a rejected ECH is not looked at again; a server without ECH keys ignores the extension
        }

        var outer = ClientHello.Parse(Body(message));
        var ext = ExtensionBlock.Find(outer.Extensions, ExtensionType.EncryptedClientHello);
        if (ext is null)
        {
            return second
                ? throw new TlsException(AlertDescription.MissingExtension, "the second ClientHelloOuter has no encrypted_client_hello")
                : message;
        }

        var ech = EncryptedClientHelloExtension.ParseClientHello(ext.Data);
        if (!ech.IsOuter)
        {
            // §7: an inner hello never comes straight from the network to a shared-mode server.
            throw new TlsException(AlertDescription.IllegalParameter, "ClientHello carries an inner encrypted_client_hello");
        }

        // §5.2: the AAD is the outer hello with the payload zeroed (it is the extension's last field).
        var aad = EncodedClientHelloInner.OuterAad(outer, ext, ech.Payload.Length);
        if (second)
        {
            if (ech.CipherSuite != _echFirst!.CipherSuite || ech.ConfigId != _echFirst.ConfigId || ech.Enc.Length != 0)
            {
                throw new TlsException(AlertDescription.IllegalParameter, "the second ClientHelloOuter changes the ECH suite or config_id, or repeats enc");
            }

            byte[] plaintext;
            try
            {
                plaintext = _echContext!.Open(aad, ech.Payload);
            }
            catch (CryptographicException)
            {
                throw new TlsException(AlertDescription.DecryptError, "the second ClientHelloOuter's encrypted_client_hello does not decrypt");
            }

            return AcceptInner(plaintext, outer);
        }

        _echOffered = true;
        _echFirst = ech;
        Connection.EchStatus = TlsEchStatus.Rejected;
        foreach (var key in _options.EchKeys)
        {
            // §7.1: candidates by config_id, then the suite must be one the configuration lists.
            var config = key.Config;
            var suite = new HpkeSuite(config.Kem, ech.CipherSuite.Kdf, ech.CipherSuite.Aead);
            if (config.ConfigId != ech.ConfigId || !config.CipherSuites.Contains(ech.CipherSuite) || !suite.IsSupported || suite.Aead == HpkeAead.ExportOnly)
            {
                continue;
            }

            HpkeContext? context = null;
            byte[] plaintext;
            var secret = Options.KeyLog is null ? null : new byte[32];
            try
            {
                var info = EchConfig.HpkeInfo(config.Encode());
                context = Hpke.SetupBaseRecipient(suite, ech.Enc, key.KeyPair, info, Crypto, secret);
                plaintext = context.Open(aad, ech.Payload);
            }
            catch (CryptographicException)
            {
                context?.Dispose();
                Zero(secret);
                continue;   // not this key (or a GREASE extension): try the next, then go on with the outer hello
            }

            if (secret is not null)
            {
                // RFC 9850: ECH_SECRET and ECH_CONFIG under ClientHelloOuter.random.
                KeyLogLabels.Log(Options.KeyLog, KeyLogLabels.EchSecret, outer.Random, secret);
                KeyLogLabels.Log(Options.KeyLog, KeyLogLabels.EchConfig, outer.Random, config.Encode());
                Zero(secret);
            }

            _echContext = context;
            return AcceptInner(plaintext, outer);
        }

        return message;
    }

    /// <summary>Rebuilds ClientHelloInner (§5.1) and checks it (§7.1): the inner marker, and TLS 1.3 or above only.</summary>
    private byte[] AcceptInner(byte[] plaintext, ClientHello outer)
    {
        byte[] bytes;
        try
        {
            bytes = EncodedClientHelloInner.Decode(plaintext, outer).ToMessageBytes();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }

        var inner = ClientHello.Parse(Body(bytes));   // the usual ClientHello rules: no repeated extension, pre_shared_key last
        if (ExtensionBlock.Find(inner.Extensions, ExtensionType.EncryptedClientHello) is not { Data: [EncryptedClientHelloExtension.Inner] })
        {
            throw new TlsException(AlertDescription.IllegalParameter, "ClientHelloInner has no well-formed inner encrypted_client_hello");
        }

        if (ExtensionBlock.Find(inner.Extensions, ExtensionType.SupportedVersions) is not { } versions ||
            SupportedVersionsExtension.ParseClientHello(versions.Data).Any(v => v <= (ushort)TlsProtocolVersion.Tls12))
        {
            throw new TlsException(AlertDescription.IllegalParameter, "ClientHelloInner offers TLS 1.2 or below");
        }

        Options.Observer?.OnEchInnerClientHello(TrafficDirection.Received, bytes);
        _echAccepted = true;
        Connection.EchStatus = TlsEchStatus.Accepted;
        return bytes;
    }

    private void HandleClientHello(byte[] message, bool second, bool statefulLookupDone)
    {
        var hello = ClientHello.Parse(Body(message));
        _state = State.Negotiating;
        if (!second)
        {
            ClientRandom = hello.Random;
        }

        // §D.5: SSL 3.0 and older are refused outright, whatever else the hello says.
        if (hello.LegacyVersion <= 0x0300)
        {
            throw new TlsException(AlertDescription.ProtocolVersion, $"ClientHello.legacy_version 0x{hello.LegacyVersion:X4} is SSL 3.0 or older");
        }

        // Version (§4.2.1, §D.1): supported_versions if present, otherwise legacy_version (TLS 1.2 at most).
        var versionsExt = ExtensionBlock.Find(hello.Extensions, ExtensionType.SupportedVersions);
        // Without supported_versions, legacy_version is the client's highest, and it speaks every version below (RFC 5246 §E.1).
        ushort[] clientVersions = versionsExt is not null
            ? SupportedVersionsExtension.ParseClientHello(versionsExt.Data)
            : [.. new[] { TlsProtocolVersion.Tls12, TlsProtocolVersion.Tls11, TlsProtocolVersion.Tls10 }.Where(v => (ushort)v <= hello.LegacyVersion).Select(v => (ushort)v)];
        if (!(_options.Allows(TlsProtocolVersion.Tls13) && clientVersions.Contains((ushort)TlsProtocolVersion.Tls13)))
        {
            if (second)
            {
                throw new TlsException(AlertDescription.IllegalParameter, "second ClientHello no longer offers TLS 1.3");
            }

            var version = new[] { TlsProtocolVersion.Tls12, TlsProtocolVersion.Tls11, TlsProtocolVersion.Tls10 }
                .FirstOrDefault(v => _options.Allows(v) && clientVersions.Contains((ushort)v));
            if (version == TlsProtocolVersion.None)
            {
                throw new TlsException(AlertDescription.ProtocolVersion,
                    $"no protocol version in common (client offers {string.Join(", ", clientVersions.Select(v => ((TlsProtocolVersion)v).ToDisplayName()))})");
            }

            // RFC 7507: a client retrying below its best while this server speaks something higher than what it now offers.
            var serverBest = new[] { TlsProtocolVersion.Tls13, TlsProtocolVersion.Tls12, TlsProtocolVersion.Tls11 }.FirstOrDefault(_options.Allows);
            if (hello.CipherSuites.Contains((ushort)0x5600) && serverBest > version)
            {
                throw new TlsException(AlertDescription.InappropriateFallback,
                    $"TLS_FALLBACK_SCSV: the client fell back to {version.ToDisplayName()}, but this server speaks {serverBest.ToDisplayName()}");
            }

            var tls12 = new Server12Handshake(Connection, _options, version);
            Connection.ReplaceHandshake(tls12);
            tls12.HandleClientHello(hello, message);
            return;
        }

        if (hello.LegacyCompressionMethods is not [0])
        {
            throw new TlsException(AlertDescription.IllegalParameter, "TLS 1.3 ClientHello must offer only the null compression method");
        }

        // After a HelloRetryRequest the suite is the one it named (perhaps chosen for a PSK's hash), if still offered (§4.1.4).
        var suite = (second && hello.CipherSuites.Contains((ushort)_retrySuite!.Suite) ? _retrySuite : ChooseSuite(hello))
            ?? throw new TlsException(AlertDescription.HandshakeFailure, "no cipher suite in common");

        var sigExt = ExtensionBlock.Find(hello.Extensions, ExtensionType.SignatureAlgorithms)
            ?? throw new TlsException(AlertDescription.MissingExtension, "ClientHello has no signature_algorithms");
        var clientSchemes = SignatureAlgorithmsExtension.Parse(sigExt.Data).Select(s => (SignatureScheme)s).ToList();
        // §4.2.3: without signature_algorithms_cert, signature_algorithms also governs certificates.
        var certSchemesExt = ExtensionBlock.Find(hello.Extensions, ExtensionType.SignatureAlgorithmsCert);
        var clientCertSchemes = certSchemesExt is null
            ? clientSchemes
            : [.. SignatureAlgorithmsExtension.Parse(certSchemesExt.Data).Select(s => (SignatureScheme)s)];

        var groupsExt = ExtensionBlock.Find(hello.Extensions, ExtensionType.SupportedGroups)
            ?? throw new TlsException(AlertDescription.MissingExtension, "ClientHello has no supported_groups");
        var keyShareExt = ExtensionBlock.Find(hello.Extensions, ExtensionType.KeyShare)
            ?? throw new TlsException(AlertDescription.MissingExtension, "ClientHello has no key_share");
        var clientGroups = SupportedGroupsExtension.Parse(groupsExt.Data);
        var shares = KeyShareExtension.ParseClientHello(keyShareExt.Data);
        foreach (var share in shares)
        {
            if (!clientGroups.Contains(share.Group))
            {
                throw new TlsException(AlertDescription.IllegalParameter, $"key_share for group {NamedGroups.NameOf(share.Group)}, which supported_groups does not list");
            }
        }

        string? serverName = null;
        if (ExtensionBlock.Find(hello.Extensions, ExtensionType.ServerName) is { } sniExt)
        {
            serverName = ServerNameExtension.Parse(sniExt.Data);
        }

        if (ExtensionBlock.Find(hello.Extensions, ExtensionType.PostHandshakeAuth) is { } pha)
        {
            EmptyExtension.Check(pha);
            _clientOffersPostHandshakeAuth = true;
        }

        if (ExtensionBlock.Find(hello.Extensions, ExtensionType.StatusRequest) is { } statusRequest)
        {
            // Answered, if the certificate has a staple, in the leaf's CertificateEntry.
            _clientWantsStaple = StatusRequestExtension.Parse(statusRequest.Data).StatusType == StatusRequestExtension.Ocsp;
        }

        if (second)
        {
            CheckSecondClientHello(hello, suite, shares);
            Connection.StopSkippingEarlyData();   // what follows the second ClientHello must decrypt
        }

        if (!statefulLookupDone && _statefulSession is null && _options.StatefulTickets && _options.SessionCache is { } store &&
            ExtensionBlock.Find(hello.Extensions, ExtensionType.PreSharedKey) is { } offered &&
            PreSharedKeyExtension.ParseClientHello(offered.Data).Identities[0].Identity is { Length: StatefulTicketIdLength } id)
        {
            // A stateful ticket: take its session out of the store (once: a replay finds nothing), then decide.
            Connection.Await(store.TakeAsync(id, Options.TimeProvider.GetUtcNow()), session =>
            {
                _statefulSession = session;
                HandleClientHello(message, second, statefulLookupDone: true);
            });
            return;
        }

        var resumption = TryResumption(hello, message, suite, serverName, second);
        if (resumption is { } accepted)
        {
            suite = accepted.Suite;
        }

        // psk_ke (by opt-in): no key exchange at all.
        var chosenShare = resumption is { Dhe: false } ? null : ChooseKeyShare(shares);
        if (chosenShare is null && resumption is not { Dhe: false })
        {
            var group = ChooseRetryGroup(clientGroups);
            if (group is null)
            {
                throw new TlsException(AlertDescription.HandshakeFailure, "no key-exchange group in common");
            }

            if (second || !_options.AllowHelloRetryRequest)
            {
                throw new TlsException(second ? AlertDescription.IllegalParameter : AlertDescription.HandshakeFailure,
                    second ? "second ClientHello still has no usable key share" : "no usable key share and HelloRetryRequest is disabled");
            }

            if (ExtensionBlock.Find(hello.Extensions, ExtensionType.EarlyData) is not null)
            {
                // The client's 0-RTT data follows this ClientHello; after a HelloRetryRequest none of it can be read (§4.2.10).
                Connection.SkipEarlyData(Math.Max(_options.MaxEarlyDataSize, RecordConstants.MaxPlaintextLength));
            }

            SendHelloRetryRequest(hello, message, suite, group.Value);
            return;
        }

        var (certificate, scheme) = resumption is null ? ChooseCertificate(serverName, clientSchemes, clientCertSchemes) : (null!, default);
        string? alpn = ChooseApplicationProtocol(hello);
        ushort? peerRecordLimit = ExtensionBlock.Find(hello.Extensions, ExtensionType.RecordSizeLimit) is { } rsl
            ? RecordSizeLimitExtension.Parse(rsl.Data) : null;

        var earlyDataExt = ExtensionBlock.Find(hello.Extensions, ExtensionType.EarlyData);
        if (earlyDataExt is not null)
        {
            EmptyExtension.Check(earlyDataExt);
            if (second)
            {
                throw new TlsException(AlertDescription.IllegalParameter, "early_data in the ClientHello after a HelloRetryRequest");
            }
        }

        if (earlyDataExt is not null && resumption is { Session: not null } offer && EarlyDataAllowed(offer.Session, offer.Index, offer.Identity, suite, alpn, serverName))
        {
            // The last check, that this ClientHello was never accepted before, may go to a shared store (§8.2).
            Connection.Await(_options.AntiReplay!.TryAddAsync(offer.Binder, _options.EarlyDataFreshnessWindow * 2), fresh =>
                Respond(acceptEarlyData: fresh));
            return;
        }

        Respond(acceptEarlyData: false);

        void Respond(bool acceptEarlyData)
        {
            if (earlyDataExt is not null && !acceptEarlyData)
            {
                // Declined: skip what the client sent under its early keys (§4.2.10).
                Connection.SkipEarlyData(Math.Max(_options.MaxEarlyDataSize, RecordConstants.MaxPlaintextLength));
            }

            RespondToClientHello(hello, message, second, suite, chosenShare, resumption, certificate, scheme, serverName, alpn, peerRecordLimit, acceptEarlyData);
        }
    }

    /// <summary>
    /// 0-RTT only with the first PSK, the ticket's suite and ALPN, a ticket that allows it under a server that does,
    /// a fresh ticket age (§8.3), an anti-replay store, and the application's consent.
    /// </summary>
    private bool EarlyDataAllowed(Sessions.TlsSession session, int index, PskIdentity identity, CipherSuiteInfo suite, string? alpn, string? serverName)
    {
        if (index != 0 || _options.MaxEarlyDataSize <= 0 || session.MaxEarlyDataSize == 0 || _options.AntiReplay is null ||
            suite.Suite != session.CipherSuite || !string.Equals(alpn, session.ApplicationProtocol, StringComparison.Ordinal))
        {
            return false;
        }

        // The client's view of the ticket's age against the server's (§4.2.11.1, §8.3).
        uint clientAge = unchecked(identity.ObfuscatedTicketAge - session.TicketAgeAdd);
        double serverAge = (Options.TimeProvider.GetUtcNow() - session.CreatedAt).TotalMilliseconds;
        if (Math.Abs(serverAge - clientAge) > _options.EarlyDataFreshnessWindow.TotalMilliseconds)
        {
            return false;
        }

        return _options.AcceptEarlyData?.Invoke(new TlsEarlyDataRequest(serverName, alpn, session.PeerCertificateChain)) ?? true;
    }

    private void RespondToClientHello(ClientHello hello, byte[] message, bool second, CipherSuiteInfo suite, KeyShareEntry? chosenShare,
        PskOffer? resumption,
        TlsCertificate certificate, SignatureScheme scheme, string? serverName, string? alpn, ushort? peerRecordLimit, bool acceptEarlyData)
    {
        // Everything is decided; from here on the server speaks. No ClientHello is left to decrypt.
        _echContext?.Dispose();
        _echContext = null;
        if (!second)
        {
            Suite = suite;
            Transcript.SetAlgorithm(suite.Hash);
        }

        Transcript.Add(message);
        _resumed = resumption?.Session;
        _external = resumption?.External;
        var pskKey = _resumed?.MasterSecret ?? _external?.Key;
        Schedule = new Tls13KeySchedule(Crypto, suite, pskKey is null ? default : pskKey);
        _resumed?.Clear();   // the early secret holds what is needed; a ticket's PSK serves once (an external PSK stays)
        byte[]? clientEarlySecret = null;
        if (acceptEarlyData)
        {
            clientEarlySecret = Schedule.ClientEarlyTrafficSecret(Transcript.CurrentHash());
            Observe("c e traffic", KeyLogLabels.ClientEarlyTrafficSecret, clientEarlySecret);
            _acceptedEarlyData = true;
        }

        var result = chosenShare is null ? null : Crypto.GetKeyExchange((NamedGroup)chosenShare.Group).Encapsulate(chosenShare.KeyExchange);
        SendServerHello(hello, suite, chosenShare is null ? null : new KeyShareEntry(chosenShare.Group, result!.ServerShare), resumption?.Index);
        if (!second && hello.LegacySessionId.Length > 0)
        {
            Connection.SendChangeCipherSpecOnce(true);
        }

        DeriveHandshakeSecrets(result?.SharedSecret ?? new byte[suite.HashLength]);
        Connection.SetNegotiated(TlsProtocolVersion.Tls13, suite.Suite, chosenShare is null ? null : (NamedGroup)chosenShare.Group);
        Connection.ServerName = serverName;
        Connection.NegotiatedApplicationProtocol = alpn;
        if (peerRecordLimit is ushort limit)
        {
            Connection.SetPeerRecordSizeLimit(limit);
            Connection.EnforceLocalRecordSizeLimit();
        }

        Connection.InstallWriteKeys(suite, ServerHandshakeSecret!, "server handshake traffic keys");
        if (clientEarlySecret is not null)
        {
            Connection.InstallReadKeys(suite, clientEarlySecret, "client early traffic keys");
            Connection.BeginEarlyData(Math.Min(_options.MaxEarlyDataSize, (int)Math.Min(_resumed!.MaxEarlyDataSize, int.MaxValue)));
            Zero(clientEarlySecret);
        }
        else
        {
            Connection.InstallReadKeys(suite, ClientHandshakeSecret!, "client handshake traffic keys");
        }

        SendEncryptedExtensions(serverName is not null, alpn, peerRecordLimit is not null, acceptEarlyData);
        if (_resumed is not null || _external is not null)
        {
            // The PSK authenticates both sides: no CertificateRequest, Certificate or CertificateVerify (§4.3.2, §4.4.2).
            if (_resumed is not null)
            {
                Connection.IsResumed = true;
                Connection.PeerCertificateChain = _resumed.PeerCertificateChain;
                Connection.PeerCertificateVerified = _resumed.PeerCertificateVerified;
            }
            else
            {
                Connection.ExternalPskIdentity = _external!.Identity;
            }

            SendServerFinished();
            return;
        }

        if (_options.RequestClientCertificate || _options.RequireClientCertificate)
        {
            var extensions = new List<TlsExtension>
            {
                new((ushort)ExtensionType.SignatureAlgorithms, SignatureAlgorithmsExtension.Encode(HandshakeSchemes.Select(s => (ushort)s))),
            };
            if (_options.ClientCertificateAuthorities.Count > 0)
            {
                extensions.Add(new TlsExtension((ushort)ExtensionType.CertificateAuthorities, CertificateAuthoritiesExtension.Encode(_options.ClientCertificateAuthorities)));
            }

            Send(new CertificateRequest { RequestContext = [], Extensions = extensions }.ToMessageBytes());
        }

        Send(BuildCertificate([], certificate.Chain, _clientWantsStaple ? certificate.CurrentOcspResponse(Options.TimeProvider.GetUtcNow()) : null));
        Connection.LocalSignatureScheme = scheme;
        SendCertificateVerify(certificate.PrivateKey, scheme, server: true, SendServerFinished);
    }

    private void CheckSecondClientHello(ClientHello hello, CipherSuiteInfo suite, List<KeyShareEntry> shares)
    {
        // §4.1.2: the second ClientHello repeats the first except for key_share, cookie, early_data, pre_shared_key, padding.
        if (!hello.LegacySessionId.AsSpan().SequenceEqual(_firstHello!.LegacySessionId) ||
            !hello.CipherSuites.AsSpan().SequenceEqual(_firstHello.CipherSuites))
        {
            throw new TlsException(AlertDescription.IllegalParameter, "second ClientHello differs from the first");
        }

        if (suite.Suite != _retrySuite!.Suite)
        {
            throw new TlsException(AlertDescription.IllegalParameter, "second ClientHello would change the cipher suite");
        }

        var cookieExt = ExtensionBlock.Find(hello.Extensions, ExtensionType.Cookie);
        if (_cookie is not null && (cookieExt is null || !CryptographicOperations.FixedTimeEquals(CookieExtension.Parse(cookieExt.Data), _cookie)))
        {
            throw new TlsException(AlertDescription.IllegalParameter, "second ClientHello does not echo the cookie");
        }

        if (shares.Count != 1 || shares[0].Group != (ushort)_retryGroup)
        {
            throw new TlsException(AlertDescription.IllegalParameter, $"second ClientHello must carry exactly one key share, for {NamedGroups.NameOf((ushort)_retryGroup)}");
        }
    }

    private IEnumerable<SignatureScheme> HandshakeSchemes =>
        _options.SignatureSchemes.Where(s => SignatureSchemes.Find(s) is { AllowedInTls13Handshake: true } && Crypto.SupportsSignatureScheme(s));

    private CipherSuiteInfo? ChooseSuite(ClientHello hello)
    {
        foreach (var suite in _options.EnabledCipherSuites)
        {
            if (hello.CipherSuites.Contains((ushort)suite) && CipherSuites.Find(suite) is { Version: TlsProtocolVersion.Tls13 } info)
            {
                return info;
            }
        }

        return null;
    }

    private KeyShareEntry? ChooseKeyShare(List<KeyShareEntry> shares)
    {
        foreach (var group in _options.Groups)
        {
            if (Crypto.SupportsGroup(group) && shares.Find(s => s.Group == (ushort)group) is { } share)
            {
                return share;
            }
        }

        return null;
    }

    private NamedGroup? ChooseRetryGroup(ushort[] clientGroups)
    {
        foreach (var group in _options.Groups)
        {
            if (Crypto.SupportsGroup(group) && clientGroups.Contains((ushort)group))
            {
                return group;
            }
        }

        return null;
    }

    /// <summary>
    /// Picks the certificate and CertificateVerify scheme: a certificate for the requested name before
    /// any other; among those, one whose chain is signed with algorithms the client accepts (§4.4.2.2);
    /// failing that, any chain its key can sign for, as the RFC allows.
    /// </summary>
    private (TlsCertificate Certificate, SignatureScheme Scheme) ChooseCertificate(string? serverName, List<SignatureScheme> clientSchemes, List<SignatureScheme> clientCertSchemes)
    {
        if (_options.Certificates.Count == 0)
        {
            throw _options.ExternalPsks.Count > 0
                ? new TlsException(AlertDescription.HandshakeFailure, "this server authenticates with external PSKs only, and the client offered none it knows")
                : new TlsException(AlertDescription.InternalError, "the server has no certificate configured");
        }

        var byName = serverName is null
            ? []
            : _options.Certificates.Where(c => c.DnsNames.Any(n => HostNameMatcher.MatchesDnsName(n, serverName)));
        var viable = new List<(TlsCertificate Certificate, SignatureScheme Scheme)>();
        foreach (var candidate in byName.Concat(_options.Certificates).Distinct())
        {
            foreach (var scheme in HandshakeSchemes)
            {
                if (clientSchemes.Contains(scheme) && candidate.PrivateKey.CanSign(scheme))
                {
                    viable.Add((candidate, scheme));
                    break;
                }
            }
        }

        if (viable.Count == 0)
        {
            throw new TlsException(AlertDescription.HandshakeFailure, "no certificate can sign with any signature scheme the client offers");
        }

        foreach (var choice in viable)
        {
            if (CertificateSignatureAlgorithm.ChainUses(choice.Certificate.Chain, clientCertSchemes))
            {
                return choice;
            }
        }

        return viable[0];
    }

    private string? ChooseApplicationProtocol(ClientHello hello)
    {
        if (ExtensionBlock.Find(hello.Extensions, ExtensionType.ApplicationLayerProtocolNegotiation) is not { } ext)
        {
            return null;
        }

        var offered = AlpnExtension.Parse(ext.Data);
        if (_options.ApplicationProtocols.Count == 0)
        {
            return null;
        }

        foreach (var mine in _options.ApplicationProtocols)
        {
            if (offered.Contains(mine, StringComparer.Ordinal))
            {
                return mine;
            }
        }

        // RFC 7301 §3.2.
        throw new TlsException(AlertDescription.NoApplicationProtocol, "no application protocol in common");
    }

    private void SendHelloRetryRequest(ClientHello hello, byte[] message, CipherSuiteInfo suite, NamedGroup group)
    {
        _firstHello = hello;
        _retryGroup = group;
        _retrySuite = suite;
        // RFC 9849 §10.8: to a client offering ECH a stateful server sends no cookie (nothing that could tell backends
        // apart), whether it accepted ECH or not, so both HelloRetryRequests look alike. It also keeps Go 1.23's ECH
        // client working: it compresses the cookie out of its second inner hello but does not copy it into the outer one.
        _cookie = _echOffered ? null : new byte[32];
        if (_cookie is not null)
        {
            Crypto.GetRandomBytes(_cookie);
        }

        Suite = suite;
        Transcript.Add(message);
        Transcript.ReplaceWithMessageHash(suite.Hash);
        var hrr = new ServerHello
        {
            LegacyVersion = (ushort)TlsProtocolVersion.Tls12,
            Random = ServerHello.HelloRetryRequestRandom.ToArray(),
            LegacySessionIdEcho = hello.LegacySessionId,
            CipherSuite = (ushort)suite.Suite,
            LegacyCompressionMethod = 0,
            Extensions =
            [
                new TlsExtension((ushort)ExtensionType.SupportedVersions, SupportedVersionsExtension.EncodeServerHello((ushort)TlsProtocolVersion.Tls13)),
                new TlsExtension((ushort)ExtensionType.KeyShare, KeyShareExtension.EncodeHelloRetryRequest((ushort)group)),
            ],
        };
        if (_cookie is not null)
        {
            hrr.Extensions.Add(new TlsExtension((ushort)ExtensionType.Cookie, CookieExtension.Encode(_cookie)));
        }

        if (_echOffered)
        {
            // RFC 9849 §7.2.1: last, eight zero bytes, then the confirmation over message_hash(ClientHelloInner1) and this
            // HRR; when rejecting, eight random bytes (§7.1, §10.10.4), so that an observer cannot tell the two apart.
            var confirmation = new byte[EchAcceptance.Length];
            if (!_echAccepted)
            {
                Crypto.GetRandomBytes(confirmation);
            }

            hrr.Extensions.Add(new TlsExtension((ushort)ExtensionType.EncryptedClientHello, confirmation));
        }

        var hrrBytes = hrr.ToMessageBytes();
        if (_echAccepted)
        {
            EchAcceptance.Compute(Crypto, suite.Hash, ClientRandom, Transcript.HashWith(suite.Hash, hrrBytes), helloRetryRequest: true)
                .CopyTo(hrrBytes.AsSpan(hrrBytes.Length - EchAcceptance.Length));
        }

        Send(hrrBytes);
        Connection.WasHelloRetryRequest = true;
        if (hello.LegacySessionId.Length > 0)
        {
            Connection.SendChangeCipherSpecOnce(true);
        }

        _state = State.WaitSecondClientHello;
    }

    private void SendServerHello(ClientHello hello, CipherSuiteInfo suite, KeyShareEntry? share, int? pskIndex)
    {
        var random = new byte[32];
        Crypto.GetRandomBytes(random);
        var extensions = new List<TlsExtension>
        {
            new((ushort)ExtensionType.SupportedVersions, SupportedVersionsExtension.EncodeServerHello((ushort)TlsProtocolVersion.Tls13)),
        };
        if (share is not null)
        {
            extensions.Add(new TlsExtension((ushort)ExtensionType.KeyShare, KeyShareExtension.EncodeServerHello(share)));
        }

        if (pskIndex is int index)
        {
            extensions.Add(new TlsExtension((ushort)ExtensionType.PreSharedKey, PreSharedKeyExtension.EncodeServerHello((ushort)index)));
        }

        var bytes = new ServerHello
        {
            LegacyVersion = (ushort)TlsProtocolVersion.Tls12,
            Random = random,
            LegacySessionIdEcho = hello.LegacySessionId,
            CipherSuite = (ushort)suite.Suite,
            LegacyCompressionMethod = 0,
            Extensions = extensions,
        }.ToMessageBytes();
        if (_echAccepted)
        {
            // RFC 9849 §7.2: random[24..32] zeroed, the inner transcript through this ServerHello, the confirmation in their place.
            var confirmation = bytes.AsSpan(EchAcceptance.ServerHelloOffset, EchAcceptance.Length);
            confirmation.Clear();
            EchAcceptance.Compute(Crypto, suite.Hash, ClientRandom, Transcript.HashWith(suite.Hash, bytes), helloRetryRequest: false).CopyTo(confirmation);
        }

        Send(bytes);
    }

    /// <summary>
    /// Looks for a ticket to resume (RFC 8446 §4.2.9–4.2.11): the first offered identity that opens with the ticket
    /// keys, is current, was issued for the same server name, has a suite of its hash in common, and stands for a
    /// client certificate when one is required. Its binder must verify (decrypt_error otherwise); anything else
    /// about a PSK only means a full handshake.
    /// </summary>
    private PskOffer? TryResumption(ClientHello hello, byte[] message, CipherSuiteInfo chosen, string? serverName, bool second)
    {
        var modesExt = ExtensionBlock.Find(hello.Extensions, ExtensionType.PskKeyExchangeModes);
        var modes = modesExt is null ? [] : PskKeyExchangeModesExtension.Parse(modesExt.Data);
        bool dhe = modes.Contains(PskDheKe);
        bool usable = dhe || (modes.Contains(PskKe) && _options.AllowPskOnlyKeyExchange);
        _clientAcceptsTickets = usable;
        if (ExtensionBlock.Find(hello.Extensions, ExtensionType.PreSharedKey) is not { } pskExt)
        {
            return null;
        }

        if (modesExt is null)
        {
            throw new TlsException(AlertDescription.MissingExtension, "pre_shared_key without psk_key_exchange_modes");
        }

        var (identities, binders) = PreSharedKeyExtension.ParseClientHello(pskExt.Data);
        if (!usable || (_options.TicketKeys is null && _options.ExternalPsks.Count == 0 && _statefulSession is null))
        {
            return null;
        }

        var now = Options.TimeProvider.GetUtcNow();
        for (int i = 0; i < identities.Count; i++)
        {
            if (_options.ExternalPsks.FirstOrDefault(p => p.Identity.AsSpan().SequenceEqual(identities[i].Identity)) is { } external)
            {
                if (SuiteFor(external.Hash, chosen, hello, second) is not { } externalSuite)
                {
                    continue;
                }

                VerifyBinder(message, binders, i, externalSuite, external.Key, external.BinderKind);
                return new PskOffer(null, external, i, externalSuite, dhe, identities[i], binders[i]);
            }

            Sessions.TlsSession session;
            if (_statefulSession is { } stored && stored.SessionId.AsSpan().SequenceEqual(identities[i].Identity))
            {
                session = stored;
            }
            else if (_options.TicketKeys?.Open(identities[i].Identity) is { } state)
            {
                try
                {
                    session = Sessions.TlsSession.Import(state);
                }
                catch (FormatException)
                {
                    continue;
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(state);
                }
            }
            else
            {
                continue;
            }

            if (session.Version != TlsProtocolVersion.Tls13 || session.IsExpiredAt(now) ||
                !string.Equals(session.ServerName, serverName, StringComparison.OrdinalIgnoreCase) ||
                (_options.RequireClientCertificate && !session.PeerCertificateVerified) ||
                SuiteFor(CipherSuites.Find(session.CipherSuite)!.Hash, chosen, hello, second) is not { } suite)
            {
                session.Clear();
                continue;
            }

            VerifyBinder(message, binders, i, suite, session.MasterSecret, PskBinderKind.Resumption);
            return new PskOffer(session, null, i, suite, dhe, identities[i], binders[i]);
        }

        return null;
    }

    /// <summary>The early_data extension of a NewSessionTicket: max_early_data_size (§4.2.10).</summary>
    private static byte[] EarlyDataSize(int size)
    {
        var w = new TlsWriter(4);
        w.WriteUInt32((uint)size);
        return w.ToArray();
    }

    /// <summary>A suite for a PSK of <paramref name="hash"/>: the chosen one if it fits, else (not after an HRR) the server's first of that hash the client offers.</summary>
    private CipherSuiteInfo? SuiteFor(TlsHashAlgorithm hash, CipherSuiteInfo chosen, ClientHello hello, bool second) =>
        chosen.Hash == hash ? chosen
        : second ? null
        : _options.EnabledCipherSuites.Select(CipherSuites.Find)
            .FirstOrDefault(s => s is { Version: TlsProtocolVersion.Tls13 } && s.Hash == hash && hello.CipherSuites.Contains((ushort)s.Suite));

    /// <summary>Checks binder <paramref name="index"/> in fixed time over the ClientHello truncated before the binders (§4.2.11.2); decrypt_error if wrong.</summary>
    private void VerifyBinder(byte[] message, List<byte[]> binders, int index, CipherSuiteInfo suite, byte[] key, PskBinderKind kind)
    {
        int bindersLength = 2 + PreSharedKeyExtension.BindersLength([.. binders.Select(b => b.Length)]);
        var transcriptHash = Transcript.HashWith(suite.Hash, message.AsSpan(0, message.Length - bindersLength));
        using var schedule = new Tls13KeySchedule(Crypto, suite, key);
        var expected = schedule.ComputeBinder(transcriptHash, kind);
        try
        {
            if (binders[index].Length != expected.Length || !CryptographicOperations.FixedTimeEquals(binders[index], expected))
            {
                throw new TlsException(AlertDescription.DecryptError, "the PSK binder does not verify");
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(expected);
        }
    }

    /// <summary>A PSK the server accepts: a ticket's session or an external PSK, at which index, with which suite and mode.</summary>
    private sealed record PskOffer(Sessions.TlsSession? Session, TlsExternalPsk? External, int Index, CipherSuiteInfo Suite, bool Dhe, PskIdentity Identity, byte[] Binder);

    /// <summary>NewSessionTicket messages (§4.6.1) after the handshake, each with its own nonce, PSK and ticket_age_add, sealed with the ticket keys.</summary>
    private void SendSessionTickets(byte[] resumptionSecret)
    {
        var lifetime = _options.SessionLifetime < Sessions.TlsSession.MaxTls13Lifetime ? _options.SessionLifetime : Sessions.TlsSession.MaxTls13Lifetime;
        var store = _options.StatefulTickets ? _options.SessionCache : null;
        var keys = _options.TicketKeys;
        if ((keys is null && store is null) || _options.SessionTicketCount <= 0 || !_clientAcceptsTickets || lifetime <= TimeSpan.Zero)
        {
            return;
        }

        var now = Options.TimeProvider.GetUtcNow();
        for (int i = 0; i < Math.Min(_options.SessionTicketCount, 16); i++)
        {
            byte[] nonce = [(byte)i];
            var psk = Tls13KeySchedule.ResumptionPsk(Crypto, Suite!, resumptionSecret, nonce);
            var ageAdd = new byte[4];
            Crypto.GetRandomBytes(ageAdd);
            var stateId = store is null ? null : new byte[StatefulTicketIdLength];
            if (stateId is not null)
            {
                Crypto.GetRandomBytes(stateId);
            }

            var session = new Sessions.TlsSession(Suite!.Suite, psk, [], System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(ageAdd),
                Connection.ServerName, Connection.NegotiatedApplicationProtocol, (uint)Math.Max(0, _options.MaxEarlyDataSize), now, lifetime,
                Connection.PeerCertificateChain, Connection.PeerCertificateVerified, stateId);
            byte[] ticket;
            if (store is not null)
            {
                // Stateful: the ticket is the ID; the session waits in the store (not awaited: a slow store only costs a later full handshake).
                ticket = (byte[])stateId!.Clone();
                _ = store.AddAsync(session).AsTask();
            }
            else
            {
                var state = session.Export();
                ticket = keys!.Seal(state);
                CryptographicOperations.ZeroMemory(state);
                session.Clear();
            }
            Connection.SendHandshakeMessage(new NewSessionTicket
            {
                TicketLifetime = (uint)lifetime.TotalSeconds,
                TicketAgeAdd = session.TicketAgeAdd,
                TicketNonce = nonce,
                Ticket = ticket,
                Extensions = _options.MaxEarlyDataSize > 0 ? [new TlsExtension((ushort)ExtensionType.EarlyData, EarlyDataSize(_options.MaxEarlyDataSize))] : [],
            }.ToMessageBytes());
        }
    }

    private void SendEncryptedExtensions(bool acknowledgeSni, string? alpn, bool sendRecordSizeLimit, bool acceptEarlyData)
    {
        var extensions = new List<TlsExtension>();
        if (acceptEarlyData)
        {
            extensions.Add(new TlsExtension((ushort)ExtensionType.EarlyData, []));
        }

        if (acknowledgeSni)
        {
            extensions.Add(new TlsExtension((ushort)ExtensionType.ServerName, []));
        }

        if (alpn is not null)
        {
            extensions.Add(new TlsExtension((ushort)ExtensionType.ApplicationLayerProtocolNegotiation, AlpnExtension.Encode([alpn])));
        }

        if (sendRecordSizeLimit)
        {
            // RFC 8449 §4: a server answers only when the client sent one; without a configured limit, advertise the maximum.
            extensions.Add(new TlsExtension((ushort)ExtensionType.RecordSizeLimit, RecordSizeLimitExtension.Encode((ushort)(_options.RecordSizeLimit ?? 16385))));
        }

        if (_echOffered && !_echAccepted && _options.EchKeys.Count > 0)
        {
            // RFC 9849 §7.1: a client whose ECH did not decrypt gets the current configuration to retry with.
            extensions.Add(new TlsExtension((ushort)ExtensionType.EncryptedClientHello, _options.EchKeys[0].ConfigList));
        }

        Send(new EncryptedExtensions { Extensions = extensions }.ToMessageBytes());
    }

    private void SendServerFinished()
    {
        Send(BuildFinished(ServerHandshakeSecret!));
        (_clientApp, _serverApp) = DeriveApplicationSecrets();
        Connection.InstallWriteKeys(Suite!, _serverApp, "server application traffic keys");
        _state = _acceptedEarlyData ? State.WaitEndOfEarlyData
            : _resumed is null && _external is null && (_options.RequestClientCertificate || _options.RequireClientCertificate) ? State.WaitClientCertificate
            : State.WaitClientFinished;
    }

    private void HandleClientCertificate(byte[] message)
    {
        var certificate = CertificateMessage.Parse(Body(message));
        if (certificate.RequestContext.Length != 0)
        {
            throw new TlsException(AlertDescription.IllegalParameter, "client Certificate context does not match the request");
        }

        Transcript.Add(message);
        if (certificate.Entries.Count == 0)
        {
            if (_options.RequireClientCertificate)
            {
                throw new TlsException(AlertDescription.CertificateRequired, "client sent no certificate");
            }

            _state = State.WaitClientFinished;
            return;
        }

        foreach (var entry in certificate.Entries)
        {
            foreach (var ext in entry.Extensions)
            {
                throw new TlsException(AlertDescription.UnsupportedExtension, $"certificate entry carries {ExtensionTypeNames.NameOf(ext.Type)}, which was not requested");
            }
        }

        _clientChain = [.. certificate.Entries.Select(e => (ReadOnlyMemory<byte>)e.Data)];
        Connection.PeerCertificateChain = [.. certificate.Entries.Select(e => e.Data)];
        _state = State.WaitClientCertificateVerify;
        var verifier = _options.CertificateVerifier ?? new X509CertificateVerifier();
        VerifyPeerChain(verifier, _clientChain, hostName: null, peerIsServer: false, next: () => { });
    }

    private void HandleClientCertificateVerify(byte[] message)
    {
        Connection.PeerSignatureScheme = VerifyPeerCertificateVerify(message, _clientChain[0], peerIsServer: false, [.. HandshakeSchemes]);
        Transcript.Add(message);
        _state = State.WaitClientFinished;
    }

    private void HandleClientFinished(byte[] message)
    {
        VerifyFinished(message, ClientHandshakeSecret!);
        Transcript.Add(message);
        if (_clientOffersPostHandshakeAuth)
        {
            Connection.EnablePostHandshakeAuthentication(new PostHandshakeAuthentication(Connection, Options, Suite!, Transcript.CloneHash()), HandshakeSchemes);
        }

        var resumption = Schedule!.ResumptionMasterSecret(Transcript.CurrentHash());
        Options.Observer?.OnSecretDerived("res master");
        Connection.SetResumptionSecret(resumption);
        Connection.InstallReadKeys(Suite!, _clientApp!, "client application traffic keys");
        SendSessionTickets(resumption);
        _state = State.Complete;
        IsComplete = true;
        Connection.CompleteHandshake(_clientApp!, _serverApp!, isClient: false);
    }
}
