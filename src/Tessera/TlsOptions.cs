using Tessera.Crypto;
using Tessera.KeySchedule;
using Tessera.Pki;
using Tessera.Sessions;

namespace Tessera;

/// <summary>Settings shared by both roles. Every default is the safe one.</summary>
public abstract class TlsOptions
{
    /// <summary>
    /// Cipher suites (TLS 1.3 and 1.2), most preferred first (a server applies its own order). The
    /// default lists the modern suites, then the legacy ones, which stay unused unless <see cref="Legacy"/> allows them.
    /// To change the suites, assign a new list (a list changed in place after use is not seen again).
    /// </summary>
    public IReadOnlyList<CipherSuite> CipherSuites { get; set; } = [.. Tessera.CipherSuites.Defaults, .. Tessera.CipherSuites.Legacy];

    /// <summary>The lowest version to negotiate (TLS 1.2 by default; TLS 1.0 and 1.1 also need <see cref="LegacyPolicy.Tls10And11"/>).</summary>
    public TlsProtocolVersion MinProtocolVersion { get; set; } = TlsProtocolVersion.Tls12;

    /// <summary>The highest version to negotiate (TLS 1.3 by default).</summary>
    public TlsProtocolVersion MaxProtocolVersion { get; set; } = TlsProtocolVersion.Tls13;

    /// <summary>
    /// Legacy features to allow (none by default): a legacy suite in <see cref="CipherSuites"/> is used
    /// only when this allows what it needs.
    /// </summary>
    public LegacyPolicy Legacy { get; set; }

    /// <summary>The suites actually in play: those of <see cref="CipherSuites"/> that <see cref="Legacy"/> permits.</summary>
    internal IReadOnlyList<CipherSuite> EnabledCipherSuites
    {
        get
        {
            // Worked out once per setting (options are shared by every connection), not on each handshake.
            var cached = _enabledCipherSuites;   // one reference: read and replaced atomically
            if (cached is not null && ReferenceEquals(cached.From, CipherSuites) && cached.Legacy == Legacy)
            {
                return cached.Suites;
            }

            var (from, legacy) = (CipherSuites, Legacy);
            CipherSuite[] suites = [.. from.Where(suite => Tessera.CipherSuites.Find(suite) is { } info && (info.RequiredLegacy & ~legacy) == 0)];
            _enabledCipherSuites = new EnabledSuites(from, legacy, suites);
            return suites;
        }
    }

    private EnabledSuites? _enabledCipherSuites;

    private sealed record EnabledSuites(IReadOnlyList<CipherSuite> From, LegacyPolicy Legacy, CipherSuite[] Suites);

    /// <summary>
    /// A version is in play when it is within the bounds and at least one of its suites is enabled; TLS 1.0
    /// and 1.1 also need <see cref="LegacyPolicy.Tls10And11"/>.
    /// </summary>
    internal bool Allows(TlsProtocolVersion version) =>
        version >= MinProtocolVersion && version <= MaxProtocolVersion &&
        (version >= TlsProtocolVersion.Tls12 || Legacy.HasFlag(LegacyPolicy.Tls10And11)) &&
        AnySuiteUsableIn(version);

    private bool AnySuiteUsableIn(TlsProtocolVersion version)
    {
        foreach (var suite in EnabledCipherSuites)
        {
            if (Tessera.CipherSuites.Find(suite)?.UsableIn(version) == true)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Key-exchange groups, most preferred first.</summary>
    public IReadOnlyList<NamedGroup> Groups { get; set; } = NamedGroups.Defaults;

    /// <summary>Signature schemes accepted (and used) for CertificateVerify, most preferred first.</summary>
    public IReadOnlyList<SignatureScheme> SignatureSchemes { get; set; } = Tessera.SignatureSchemes.HandshakeDefaults;

    /// <summary>Signature schemes accepted in certificates (sent as signature_algorithms_cert).</summary>
    public IReadOnlyList<SignatureScheme> CertificateSignatureSchemes { get; set; } = Tessera.SignatureSchemes.CertificateDefaults;

    /// <summary>ALPN protocol names (e.g. "h2", "http/1.1"), most preferred first. Empty: no ALPN.</summary>
    public IReadOnlyList<string> ApplicationProtocols { get; set; } = [];

    /// <summary>The record_size_limit (RFC 8449) to advertise, 64..16385; null sends none.</summary>
    public int? RecordSizeLimit { get; set; }

    /// <summary>When non-zero, pads every protected record's plaintext up to a multiple of this many bytes (content-type hiding, RFC 8446 §5.4).</summary>
    public int RecordPaddingBlockSize { get; set; }

    /// <summary>
    /// Checks the peer's certificate chain. Null: <see cref="X509CertificateVerifier"/> over the system roots. A client
    /// checks the server's chain; a server checks a client's chain only when it asks for one
    /// (<see cref="TlsServerOptions.RequestClientCertificate"/>, <see cref="TlsServerOptions.RequireClientCertificate"/>).
    /// </summary>
    public ICertificateVerifier? CertificateVerifier { get; set; }

    /// <summary>The cryptographic primitives. Defaults to the .NET BCL + libsodium provider.</summary>
    public ICryptoProvider? CryptoProvider { get; set; }

    /// <summary>The clock used for certificate validity and ticket ages.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>When set, receives secrets in NSS SSLKEYLOGFILE format. Off by default; never turn it on in production.</summary>
    public IKeyLogWriter? KeyLog { get; set; }

    /// <summary>Receives a description of every record, handshake message and key change (for tracing tools).</summary>
    public ITlsObserver? Observer { get; set; }

    /// <summary>
    /// When set, handshake events are logged: started (event 1, Debug), completed with version, suite, group,
    /// resumption, ALPN and duration (2, Debug), failed with the alert and reason (3, Information), abandoned (4, Debug),
    /// an established connection failing (5, Information), close_notify (6, Debug). Never key material. Metrics and
    /// spans need no setting: see <see cref="Diagnostics.TlsTelemetry"/>.
    /// </summary>
    public Microsoft.Extensions.Logging.ILogger? Logger { get; set; }

    /// <summary>
    /// TLS 1.3: allow resumption with the PSK alone (psk_ke, RFC 8446 §4.2.9), without a fresh (EC)DHE exchange.
    /// Off by default: such a connection's traffic is only as safe as the ticket key and has no forward secrecy.
    /// </summary>
    public bool AllowPskOnlyKeyExchange { get; set; }

    /// <summary>Bounds on what the peer can make a connection hold or do (<see cref="TlsLimits"/>); safe defaults.</summary>
    public TlsLimits Limits { get; set; } = new();

    /// <summary>
    /// The largest handshake message accepted from the peer, in bytes: the same setting as
    /// <see cref="TlsLimits.MaxHandshakeMessageSize"/> (in an object initializer, set it after <see cref="Limits"/>).
    /// </summary>
    public int MaxHandshakeMessageSize
    {
        get => Limits.MaxHandshakeMessageSize;
        set => Limits.MaxHandshakeMessageSize = value;
    }

    internal ICryptoProvider Crypto => CryptoProvider ?? DefaultCryptoProvider.Instance;
}

/// <summary>Client settings.</summary>
public sealed class TlsClientOptions : TlsOptions
{
    /// <summary>A shallow copy, for settings made per connection (server name, ALPN) from a shared template.</summary>
    internal TlsClientOptions CopyForConnection() => (TlsClientOptions)MemberwiseClone();

    /// <summary>The server's host name: sent as SNI (unless an IP literal) and checked against the certificate.</summary>
    public string? ServerName { get; set; }

    /// <summary>Skip certificate verification entirely. Dangerous; for diagnostics only.</summary>
    public bool SkipCertificateVerification { get; set; }

    /// <summary>The certificate to present when the server asks for one.</summary>
    public TlsCertificate? ClientCertificate { get; set; }

    /// <summary>
    /// How many of the first <see cref="TlsOptions.Groups"/> get a key share in the first ClientHello (at least 1). When
    /// one of them is a hybrid post-quantum group, the first classical group gets a share too (X25519MLKEM768 and X25519
    /// by default), as browsers send them.
    /// </summary>
    public int KeyShareCount { get; set; } = 1;

    /// <summary>Send a ChangeCipherSpec and a fake session id so middleboxes see a resumed TLS 1.2 session (RFC 8446 §D.4).</summary>
    public bool MiddleboxCompatibility { get; set; } = true;

    /// <summary>
    /// A session to resume (from <see cref="TlsConnection.Session"/> of an earlier connection): a TLS 1.2 session, or
    /// a TLS 1.3 ticket, offered as a PSK. Takes precedence over <see cref="SessionCache"/>.
    /// </summary>
    public TlsSession? ResumeSession { get; set; }

    /// <summary>
    /// An external PSK to offer (TLS 1.3 only; opt-in): when the server knows it, both sides are authenticated by it and
    /// no certificate is sent. A usable resumption ticket is offered instead when there is one.
    /// </summary>
    public TlsExternalPsk? ExternalPsk { get; set; }

    /// <summary>
    /// Where sessions and tickets from servers go, by server name, and where the next connection to that name takes
    /// one to resume. Null (the default): nothing is remembered unless the caller keeps <see cref="TlsConnection.Session"/>.
    /// </summary>
    public TlsClientSessionCache? SessionCache { get; set; }

    /// <summary>
    /// Further certificates to choose from when a server asks for one: the first (after <see cref="ClientCertificate"/>)
    /// that the server's signature algorithms allow and, when it lists certificate authorities, whose chain leads to one.
    /// </summary>
    public IReadOnlyList<TlsCertificate> ClientCertificates { get; set; } = [];

    /// <summary>Offer TLS 1.3 post-handshake client authentication (post_handshake_auth, RFC 8446 §4.6.2): the server may ask for a certificate later.</summary>
    public bool EnablePostHandshakeAuthentication { get; set; }

    /// <summary>Ask the server to staple an OCSP response (status_request, RFC 6066 §8); the verifier checks what comes back.</summary>
    public bool RequestOcspStapling { get; set; } = true;

    /// <summary>Ask for session tickets: RFC 5077 tickets from TLS 1.2 servers; psk_key_exchange_modes, without which TLS 1.3 servers send none.</summary>
    public bool EnableSessionTickets { get; set; } = true;

    /// <summary>
    /// 0-RTT data to send with the first flight (RFC 8446 §2.3) when resuming a TLS 1.3 ticket that allows it (and no
    /// more than it allows). It can be replayed by an attacker: send only what is safe to receive twice (an idempotent
    /// request). <see cref="TlsConnection.EarlyDataStatus"/> tells whether the server took it; if not, send it again normally.
    /// </summary>
    public byte[]? EarlyData { get; set; }

    /// <summary>Accept a TLS 1.2 server's HelloRequest (and allow <see cref="TlsConnection.Renegotiate"/>); only ever with RFC 5746. Off by default.</summary>
    public bool AllowRenegotiation { get; set; }

    /// <summary>
    /// An ECHConfigList (RFC 9849 §4; from a DNS HTTPS record, a file, or a server's retry configurations): the client
    /// encrypts its real ClientHello (server name, ALPN, PSKs) to the first usable configuration and shows only the
    /// configuration's public name. The connection then speaks TLS 1.3 only. If the server does not use the
    /// encrypted hello, the handshake is authenticated for the public name and fails with ech_required, carrying the
    /// server's retry configurations in <see cref="TlsException.EchRetryConfigs"/>.
    /// </summary>
    public byte[]? EchConfigList { get; set; }

    /// <summary>
    /// Without <see cref="EchConfigList"/>: send a GREASE encrypted_client_hello extension (RFC 9849 §6.2), so that
    /// connections with and without ECH look alike on the wire. Off by default.
    /// </summary>
    public bool EchGrease { get; set; }

    /// <summary>
    /// For the scanner only: offer no renegotiation_info and renegotiate without it (the insecure renegotiation RFC
    /// 5746 replaced), to learn whether a server still allows that. Not reachable from the public API.
    /// </summary>
    internal bool InsecureRenegotiationProbe { get; set; }
}

/// <summary>Server settings.</summary>
public sealed class TlsServerOptions : TlsOptions
{
    /// <summary>
    /// A shallow copy, for settings made per endpoint (ALPN, logger) without touching the caller's object. Certificates,
    /// ticket keys, the anti-replay store and the count of handshakes in progress stay shared with the original.
    /// </summary>
    internal TlsServerOptions CopyForEndpoint() => (TlsServerOptions)MemberwiseClone();

    /// <summary>The certificates this server can present; one is chosen by SNI and the client's signature algorithms.</summary>
    public IList<TlsCertificate> Certificates { get; } = [];

    /// <summary>Ask the client for a certificate (verified by <see cref="TlsOptions.CertificateVerifier"/>).</summary>
    public bool RequestClientCertificate { get; set; }

    /// <summary>Fail the handshake with certificate_required when the client sends none.</summary>
    public bool RequireClientCertificate { get; set; }

    /// <summary>
    /// Distinguished names (DER) of the CAs whose client certificates are acceptable, sent in the
    /// CertificateRequest (certificate_authorities) so a client with several certificates can pick the right one.
    /// </summary>
    public IReadOnlyList<byte[]> ClientCertificateAuthorities { get; set; } = [];

    /// <summary>Answer a ClientHello whose key shares do not fit with a HelloRetryRequest (otherwise: handshake_failure).</summary>
    public bool AllowHelloRetryRequest { get; set; } = true;

    /// <summary>TLS 1.2 sessions by ID (<see cref="TlsSessionCache"/> in this process; a shared store for a fleet); null turns session-ID resumption off.</summary>
    public ISessionStore? SessionCache { get; set; } = new TlsSessionCache();

    /// <summary>
    /// Keys that seal session tickets, TLS 1.2 (RFC 5077) and TLS 1.3 (RFC 8446 §4.6.1); null turns tickets off. The
    /// default ring rotates every 12 hours and keeps the previous key, so a ticket opens for 12 to 24 hours at most
    /// (whatever <see cref="SessionLifetime"/> says); share one ring (or a file, or Redis) across a fleet.
    /// </summary>
    public ITicketKeyRing? TicketKeys { get; set; } = new TicketKeyRing(TimeSpan.FromHours(12));

    /// <summary>How long a session may be resumed (TLS 1.3 tickets: at most seven days).</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(2);

    /// <summary>
    /// External PSKs this server accepts (TLS 1.3 only; opt-in), found by identity. A client offering one is
    /// authenticated by it and gets no certificate; a server with PSKs only needs no <see cref="Certificates"/>.
    /// </summary>
    public IReadOnlyList<TlsExternalPsk> ExternalPsks { get; set; } = [];

    /// <summary>
    /// TLS 1.3: make tickets random IDs of sessions kept in <see cref="SessionCache"/> rather than sealed state, each
    /// usable once (the store takes it out atomically), so a replayed ClientHello resumes nothing (RFC 8446 §8.1).
    /// Off by default (stateless tickets under <see cref="TicketKeys"/>).
    /// </summary>
    public bool StatefulTickets { get; set; }

    /// <summary>TLS 1.3: how many NewSessionTicket messages follow each handshake (0: none).</summary>
    public int SessionTicketCount { get; set; } = 2;

    /// <summary>
    /// TLS 1.3 0-RTT: the most early data accepted per connection, announced in tickets (max_early_data_size). 0, the
    /// default, turns 0-RTT off. Early data is accepted only with <see cref="AntiReplay"/>, for a fresh ticket, with the
    /// ticket's suite and ALPN, and when <see cref="AcceptEarlyData"/> (if set) agrees.
    /// </summary>
    public int MaxEarlyDataSize { get; set; }

    /// <summary>
    /// Remembers accepted 0-RTT ClientHellos so none is delivered twice. Null refuses all 0-RTT. The default protects this
    /// options object only: servers sharing <see cref="TicketKeys"/> must share one store too (e.g. Tessera.Redis's), or a
    /// flight replayed to another server is accepted there.
    /// </summary>
    public IAntiReplayStore? AntiReplay { get; set; } = new InMemoryAntiReplayStore();

    /// <summary>How far the client's idea of a ticket's age may stray from the server's for 0-RTT to be accepted (RFC 8446 §8.3).</summary>
    public TimeSpan EarlyDataFreshnessWindow { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Decides per connection whether to take 0-RTT data (after every other check passed); null takes it.</summary>
    public Func<TlsEarlyDataRequest, bool>? AcceptEarlyData { get; set; }

    /// <summary>Let TLS 1.2 clients renegotiate (RFC 5746 secure renegotiation only, at most <see cref="TlsLimits.MaxRenegotiationsPerMinute"/> a minute). Off by default: refused with no_renegotiation.</summary>
    public bool AllowClientRenegotiation { get; set; }

    /// <summary>
    /// Encrypted Client Hello keys (RFC 9849, shared mode): a ClientHello encrypted to any of them is decrypted and the
    /// handshake uses its inner ClientHello. The first key is the current one: when a client's ECH cannot be
    /// decrypted, its configuration goes back as retry_configs. Keep retired keys after it while clients may still
    /// hold their configurations.
    /// </summary>
    public IList<Ech.EchServerKey> EchKeys { get; } = [];

    /// <summary>
    /// How long <see cref="TlsStream.AuthenticateAsServerAsync"/> lets a handshake take before it closes the transport
    /// and throws <see cref="TimeoutException"/>: a client that sends slowly or not at all (slowloris) holds a
    /// connection no longer. Default 30 s; <see cref="Timeout.InfiniteTimeSpan"/> for none. The sans-IO engine has no
    /// clock: whoever drives it applies a timeout of their own.
    /// </summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Server handshakes in progress at once through <see cref="TlsStream"/> with these options; one more is refused
    /// at once (an internal_error alert, RFC 8446 §6.2's "resource" case, and <see cref="TlsException"/>) so that a
    /// flood of slow handshakes cannot take all memory. Default 10,000.
    /// </summary>
    public int MaxConcurrentHandshakes { get; set; } = 10_000;

    // A reference, so that per-endpoint copies (CopyForEndpoint) count against the same limit as the original.
    private readonly HandshakeCounter _handshakesInProgress = new();

    /// <summary>Server handshakes running now through <see cref="TlsStream"/> with these options.</summary>
    public int HandshakesInProgress => Volatile.Read(ref _handshakesInProgress.Count);

    internal bool TryEnterHandshake()
    {
        if (Interlocked.Increment(ref _handshakesInProgress.Count) <= MaxConcurrentHandshakes)
        {
            return true;
        }

        Interlocked.Decrement(ref _handshakesInProgress.Count);
        return false;
    }

    internal void ExitHandshake() => Interlocked.Decrement(ref _handshakesInProgress.Count);

    private sealed class HandshakeCounter
    {
        public int Count;
    }
}
