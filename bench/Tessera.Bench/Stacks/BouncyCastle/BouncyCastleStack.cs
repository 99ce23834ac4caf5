using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using Org.BouncyCastle.X509;
using Tessera.Pki;
using BcAlert = Org.BouncyCastle.Tls.AlertDescription;
using BcCryptoCertificate = Org.BouncyCastle.Tls.Crypto.TlsCertificate;

namespace Tessera.Bench.Stacks;

/// <summary>One scenario on BouncyCastle: parsed credentials, trust anchor and session caches, shared by its connections.</summary>
internal sealed class BouncyCastleStack : ITlsStack
{
    private const int SessionIdLength = 32;
    private static readonly TimeSpan FailureGrace = TimeSpan.FromSeconds(5);

    private readonly ProtocolVersion[] _versions;
    private readonly bool _tls13;
    private readonly int[] _suites;
    private readonly int _group;

    // One provider per side: each holds its own SecureRandom, so the two handshake threads never share one.
    private readonly BcTlsCrypto _clientCrypto = new(new SecureRandom());
    private readonly BcTlsCrypto _serverCrypto = new(new SecureRandom());

    private readonly Certificate _serverChain;
    private readonly AsymmetricKeyParameter _serverKey;
    private readonly SignatureAndHashAlgorithm[] _serverSignatures;
    private readonly ServerChainValidator _validator;
    private readonly IList<ServerName> _serverNames;

    private readonly ServerSessionCache? _serverSessions;
    private volatile TlsSession? _clientSession;

    /// <summary>Loads the scenario's credentials once; handshakes then only run the protocol.</summary>
    internal BouncyCastleStack(Scenario scenario, byte[] rootDer, byte[] leafDer, byte[] leafPkcs8)
    {
        _tls13 = scenario.Version == TlsProtocolVersion.Tls13;
        _versions = [ToBc(scenario.Version)];
        _suites = [(int)scenario.Suite];
        _group = (int)scenario.Group;

        var leaf = _serverCrypto.CreateCertificate(leafDer);
        _serverChain = _tls13
            ? new Certificate(TlsUtilities.EmptyBytes, [new CertificateEntry(leaf, null)])
            : new Certificate([leaf]);
        _serverKey = PrivateKeyFactory.CreateKey(leafPkcs8);
        _serverSignatures = ServerSignatures(scenario.CertificateKey, _tls13);

        _validator = new ServerChainValidator(rootDer, BenchCredentials.ServerName);
        _serverNames = [new ServerName(NameType.host_name, System.Text.Encoding.ASCII.GetBytes(BenchCredentials.ServerName))];

        if (scenario.Resumption == Resumption.SessionId)
            _serverSessions = new ServerSessionCache();
    }

    private bool ResumesBySessionId => _serverSessions is not null;

    /// <inheritdoc/>
    public async Task<TlsPair> ConnectAsync(Stream clientTransport, Stream serverTransport, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clientTransport);
        ArgumentNullException.ThrowIfNull(serverTransport);
        cancellationToken.ThrowIfCancellationRequested();

        // BouncyCastle wants a fresh peer object per connection.
        var client = new BenchClient(this);
        var server = new BenchServer(this);
        var clientProtocol = new TlsClientProtocol(clientTransport);
        var serverProtocol = new TlsServerProtocol(serverTransport);
        var handshake = new HandshakeGuard(clientTransport, serverTransport);

        using (cancellationToken.Register(static state => ((HandshakeGuard)state!).Cancel(), handshake))
        {
            var serverSide = BouncyCastleThreads.Run(() => handshake.Run(() => serverProtocol.Accept(server)));
            var clientSide = BouncyCastleThreads.Run(() => handshake.Run(() => clientProtocol.Connect(client)));
            var both = Task.WhenAll(serverSide, clientSide);
            await Task.WhenAny(both, handshake.Failed).ConfigureAwait(false);
            if (handshake.HasFailed)
            {
                // The transports are closed, so the other side is ending; wait for it, but not forever (a transport
                // whose Dispose does not wake a blocked reader would leave that thread behind).
                _ = both.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                await Task.WhenAny(both, Task.Delay(FailureGrace, CancellationToken.None)).ConfigureAwait(false);
            }
        }

        // Also covers a cancellation that raced the end of the handshake and closed the transports after all.
        handshake.ThrowIfFailed(cancellationToken);

        return new TlsPair(
            new BouncyCastleTlsStream(clientProtocol, clientTransport),
            new BouncyCastleTlsStream(serverProtocol, serverTransport),
            client.Resumed);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _clientSession?.Invalidate();
        _clientSession = null;
        _serverSessions?.Clear();
    }

    internal static ProtocolVersion ToBc(TlsProtocolVersion version) => version switch
    {
        TlsProtocolVersion.Tls12 => ProtocolVersion.TLSv12,
        TlsProtocolVersion.Tls13 => ProtocolVersion.TLSv13,
        _ => throw new ArgumentOutOfRangeException(nameof(version), version, "TLS 1.2 or TLS 1.3"),
    };

    /// <summary>The signatures the server may make with a key of <paramref name="keyType"/>, best first.</summary>
    internal static SignatureAndHashAlgorithm[] ServerSignatures(CertificateKeyType keyType, bool tls13) => keyType switch
    {
        // TLS 1.3 binds ECDSA to the curve (ecdsa_secp256r1_sha256); in TLS 1.2 this is ecdsa + SHA-256, the same codepoint.
        CertificateKeyType.EcdsaP256 => [SignatureAndHashAlgorithm.GetInstance(HashAlgorithm.sha256, SignatureAlgorithm.ecdsa)],
        CertificateKeyType.EcdsaP384 => [SignatureAndHashAlgorithm.GetInstance(HashAlgorithm.sha384, SignatureAlgorithm.ecdsa)],
        // TLS 1.3 forbids PKCS#1 v1.5 in CertificateVerify.
        CertificateKeyType.Rsa2048 => tls13
            ? [SignatureAndHashAlgorithm.rsa_pss_rsae_sha256]
            : [SignatureAndHashAlgorithm.rsa_pss_rsae_sha256, SignatureAndHashAlgorithm.GetInstance(HashAlgorithm.sha256, SignatureAlgorithm.rsa)],
        _ => [],
    };

    /// <summary>The server's credentials for this connection, signing with the first of our schemes the client offered.</summary>
    private BcDefaultTlsCredentialedSigner CreateSigner(TlsServerContext context)
    {
        var offered = context.SecurityParameters.ClientSigAlgs;
        foreach (var signature in _serverSignatures)
        {
            if (offered is not null && offered.Contains(signature))
                return new BcDefaultTlsCredentialedSigner(new TlsCryptoParameters(context), _serverCrypto, _serverKey, _serverChain, signature);
        }
        throw new TlsFatalAlert(BcAlert.handshake_failure, "the client offered none of the server's signature schemes");
    }

    /// <summary>The client side: one version, suite and group; SNI; validates the chain against the bench root only.</summary>
    private sealed class BenchClient(BouncyCastleStack stack) : DefaultTlsClient(stack._clientCrypto)
    {
        /// <summary>Whether the completed handshake resumed a session.</summary>
        public bool Resumed { get; private set; }

        protected override ProtocolVersion[] GetSupportedVersions() => stack._versions;

        protected override int[] GetSupportedCipherSuites() => stack._suites;

        protected override IList<int> GetSupportedGroups(IList<int> namedGroupRoles) => [stack._group];

        /// <summary>The TLS 1.3 key_share is the scenario's group, so no HelloRetryRequest.</summary>
        public override IList<int> GetEarlyKeyShareGroups() => [stack._group];

        protected override IList<ServerName> GetSniServerNames() => stack._serverNames;

        /// <summary>No OCSP status_request: nothing staples, so do not ask.</summary>
        protected override CertificateStatusRequest? GetCertificateStatusRequest() => null;

        public override TlsSession? GetSessionToResume() => stack.ResumesBySessionId ? stack._clientSession : null;

        public override bool RequiresExtendedMasterSecret() => true;

        public override TlsAuthentication GetAuthentication() => new ServerAuthentication(stack._validator);

        public override void NotifyHandshakeComplete()
        {
            base.NotifyHandshakeComplete();
            Resumed = m_context.SecurityParameters.IsResumedSession;
            if (stack.ResumesBySessionId && !Resumed)
            {
                var session = m_context.Session;
                if (session is { IsResumable: true })
                    stack._clientSession = session;
            }
        }
    }

    /// <summary>The server side: one version, suite and group; the leaf alone; a session-ID cache when the scenario resumes.</summary>
    private sealed class BenchServer(BouncyCastleStack stack) : DefaultTlsServer(stack._serverCrypto)
    {
        protected override ProtocolVersion[] GetSupportedVersions() => stack._versions;

        protected override int[] GetSupportedCipherSuites() => stack._suites;

        public override int[] GetSupportedGroups() => [stack._group];

        /// <summary>Both TLS 1.3 and TLS 1.2 (ECDHE_ECDSA or ECDHE_RSA) sign with the one certificate.</summary>
        public override TlsCredentials GetCredentials() => stack.CreateSigner(m_context);

        public override bool RequiresExtendedMasterSecret() => true;

        /// <summary>No session ID (so nothing to resume) unless the scenario resumes by session ID.</summary>
        public override byte[]? GetNewSessionID() =>
            stack.ResumesBySessionId ? m_context.NonceGenerator.GenerateNonce(SessionIdLength) : null;

        public override TlsSession? GetSessionToResume(byte[] sessionID) => stack._serverSessions?.Find(sessionID);

        public override void NotifyHandshakeComplete()
        {
            base.NotifyHandshakeComplete();
            if (stack._serverSessions is { } cache && !m_context.SecurityParameters.IsResumedSession && m_context.Session is { IsResumable: true } session)
                cache.Add(session);
        }
    }

    /// <summary>Hands the server's certificate to the validator; the client has no certificate of its own.</summary>
    private sealed class ServerAuthentication(ServerChainValidator validator) : TlsAuthentication
    {
        public void NotifyServerCertificate(TlsServerCertificate serverCertificate)
        {
            var chain = serverCertificate?.Certificate;
            if (chain is null || chain.IsEmpty)
                throw new TlsFatalAlert(BcAlert.bad_certificate, "no server certificate");
            validator.Validate(chain.GetCertificateAt(0));
        }

        public TlsCredentials? GetClientCredentials(CertificateRequest certificateRequest) => null;
    }

    /// <summary>
    /// Validates the server's leaf against the one trust anchor: issued by the root (name and signature), both within
    /// their validity period, server-auth usage if restricted, and the expected DNS name in subjectAltName.
    /// BouncyCastle's TLS itself checks the CertificateVerify/ServerKeyExchange signature and the leaf's key usage.
    /// </summary>
    private sealed class ServerChainValidator
    {
        private readonly X509Certificate _root;
        private readonly AsymmetricKeyParameter _rootKey;
        private readonly string _serverName;

        public ServerChainValidator(byte[] rootDer, string serverName)
        {
            _root = new X509Certificate(rootDer);
            _rootKey = _root.GetPublicKey();
            _serverName = serverName;
        }

        public void Validate(BcCryptoCertificate certificate)
        {
            var structure = certificate is BcTlsCertificate parsed
                ? parsed.X509CertificateStructure
                : X509CertificateStructure.GetInstance(certificate.GetEncoded());
            var leaf = new X509Certificate(structure);

            if (!leaf.IssuerDN.Equivalent(_root.SubjectDN, true))
                throw Bad("the server certificate is not issued by the trusted root");
            if (!_root.IsValidNow || !leaf.IsValidNow)
                throw Bad("the server certificate or its root is outside its validity period");
            if (!leaf.IsSignatureValid(_rootKey))
                throw Bad("the server certificate's signature does not verify with the trusted root's key");

            var usages = leaf.GetExtendedKeyUsage();
            if (usages is not null && !usages.Contains(KeyPurposeID.id_kp_serverAuth) && !usages.Contains(KeyPurposeID.AnyExtendedKeyUsage))
                throw Bad("the server certificate is not for server authentication");

            if (!HasDnsName(structure))
                throw Bad($"the server certificate is not for {_serverName}");
        }

        private bool HasDnsName(X509CertificateStructure certificate)
        {
            var names = GeneralNames.FromExtensions(certificate.TbsCertificate.Extensions, X509Extensions.SubjectAlternativeName);
            if (names is null)
                return false;
            foreach (var name in names.GetNames())
            {
                if (name.TagNo == GeneralName.DnsName && name.Name is IAsn1String dns
                    && string.Equals(dns.GetString(), _serverName, StringComparison.OrdinalIgnoreCase))
                    return true;
            }
            return false;
        }

        private static TlsFatalAlert Bad(string message) => new(BcAlert.bad_certificate, message);
    }

    /// <summary>The server's sessions by ID, bounded (oldest out first).</summary>
    private sealed class ServerSessionCache
    {
        private const int Capacity = 4096;
        private readonly ConcurrentDictionary<string, TlsSession> _sessions = new(StringComparer.Ordinal);
        private readonly ConcurrentQueue<string> _order = new();

        public TlsSession? Find(byte[] sessionId)
        {
            if (sessionId is null || sessionId.Length == 0)
                return null;
            return _sessions.TryGetValue(Convert.ToHexString(sessionId), out var session) && session.IsResumable ? session : null;
        }

        public void Add(TlsSession session)
        {
            var key = Convert.ToHexString(session.SessionID);
            if (!_sessions.TryAdd(key, session))
                return;
            _order.Enqueue(key);
            while (_order.Count > Capacity && _order.TryDequeue(out var oldest))
            {
                if (_sessions.TryRemove(oldest, out var evicted))
                    evicted.Invalidate();
            }
        }

        public void Clear()
        {
            foreach (var session in _sessions.Values)
                session.Invalidate();
            _sessions.Clear();
            _order.Clear();
        }
    }

    /// <summary>
    /// Runs the two blocking handshake halves: the first failure (or a cancellation) closes both transports so the other
    /// half, blocked reading, ends too. <see cref="ConnectAsync"/> then throws the most telling failure: a cancellation,
    /// else an alert raised on either side rather than its echo (the alert received) or the I/O error of a closed transport.
    /// </summary>
    private sealed class HandshakeGuard(Stream clientTransport, Stream serverTransport)
    {
        private readonly Lock _lock = new();
        private readonly TaskCompletionSource _failed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private ExceptionDispatchInfo? _failure;
        private int _failureRank = int.MaxValue;

        /// <summary>Completes at the first failure.</summary>
        public Task Failed => _failed.Task;

        public bool HasFailed => _failed.Task.IsCompleted;

        public void Run(Action handshake)
        {
            try
            {
                handshake();
            }
            catch (Exception ex)
            {
                Fail(ex);
                throw;
            }
        }

        public void Cancel() => Fail(new OperationCanceledException("The TLS handshake was canceled."));

        public void ThrowIfFailed(CancellationToken cancellationToken)
        {
            ExceptionDispatchInfo? failure;
            lock (_lock)
                failure = _failure;
            if (failure is null)
                return;
            if (failure.SourceException is OperationCanceledException)
                cancellationToken.ThrowIfCancellationRequested();
            failure.Throw();
        }

        private void Fail(Exception exception)
        {
            int rank = Rank(exception);
            lock (_lock)
            {
                if (rank < _failureRank)
                {
                    _failure = ExceptionDispatchInfo.Capture(exception);
                    _failureRank = rank;
                }
            }
            if (_failed.TrySetResult())
            {
                clientTransport.Dispose();
                serverTransport.Dispose();
            }
        }

        private static int Rank(Exception exception) => exception switch
        {
            OperationCanceledException => 0,
            TlsFatalAlertReceived => 2,
            TlsFatalAlert => 1,
            IOException or ObjectDisposedException => 3,
            _ => 1,
        };
    }
}
