using System.Buffers;
using System.Security.Cryptography;
using Tessera.Handshake;
using Tessera.KeySchedule;
using Tessera.Messages;
using Tessera.Records;
using Tessera.Sessions;

namespace Tessera;

/// <summary>Where a connection is in its life.</summary>
public enum TlsConnectionState
{
    /// <summary>The handshake is running.</summary>
    Handshaking,
    /// <summary>The handshake is complete; application data flows.</summary>
    Connected,
    /// <summary>Both directions have been closed with close_notify.</summary>
    Closed,
    /// <summary>A fatal alert ended the connection; see <see cref="TlsConnection.Error"/>.</summary>
    Failed,
}

/// <summary>
/// The sans-IO TLS engine: no sockets, no threads, no clock of its own. Feed it the bytes received
/// from the peer (<see cref="ReceiveBytes"/>), send whatever <see cref="ReadOutput"/> gives you, and
/// read plaintext with <see cref="ReadApplicationData"/>. When <see cref="PendingOperation"/> is not
/// null (a certificate check or a remote signature is running), await it and call
/// <see cref="ResumePendingOperation"/>. Not thread-safe: one caller at a time.
/// </summary>
public sealed class TlsConnection : IDisposable
{
    private readonly TlsOptions _options;
    private readonly IRecordLayer _records;
    private readonly HandshakeReassembler _reassembler;
    private readonly ByteQueue _plaintext = new(4096, clearConsumed: true);
    private HandshakeBase _handshake;
    private byte[]? _tls12MasterSecret;
    private byte[] _randoms = [];
    private readonly TlsLimits _limits;
    private int _warningAlertsWithoutData;
    private int _emptyRecordsInARow;
    private int _keyUpdatesWithoutData;
    private int _postHandshakeMessagesWithoutData;
    private long _handshakeBytesReceived;
    private int _handshakeRecordsReceived;
    private byte[] _clientVerifyData = [];
    private byte[] _serverVerifyData = [];
    private readonly List<DateTimeOffset> _renegotiations = [];
    private const int MaxDeferredApplicationData = 16 << 20;
    private ArrayBufferWriter<byte>? _deferredApplicationData;
    private HandshakeBase? _beforeRenegotiation;
    private ushort _recordVersion = RecordConstants.LegacyRecordVersion;
    private PostHandshakeAuthentication? _postHandshakeAuthentication;
    private IReadOnlyList<SignatureScheme> _postHandshakeSchemes = [];
    private bool _closeAfterRenegotiation;
    private bool _helloRequestSent;
    private CipherSuiteInfo? _suite;
    private byte[]? _readApplicationSecret;
    private byte[]? _writeApplicationSecret;
    private byte[]? _exporterSecret;
    private byte[]? _resumptionSecret;
    private Action? _resume;
    private bool _started;
    private bool _changeCipherSpecSent;
    private bool _changeCipherSpecReceived;
    private bool _keyUpdateAnswered;
    private int _readKeyEpoch;
    private bool _disposed;
    private readonly Diagnostics.ConnectionTelemetry _telemetry;

    private TlsConnection(TlsOptions options, bool isClient)
    {
        _options = options;
        IsClient = isClient;
        _telemetry = new Diagnostics.ConnectionTelemetry(isClient, options.Logger);
        ArgumentNullException.ThrowIfNull(options.Limits, nameof(options));
        options.Limits.Validate();
        _limits = options.Limits;
        _records = new StreamRecordLayer(options.Observer) { PaddingBlockSize = options.RecordPaddingBlockSize, PlaintextSink = _plaintext };
        if (options.RecordSizeLimit is int limit)
        {
            if (limit is < 64 or > 16385)
            {
                throw new ArgumentOutOfRangeException(nameof(options), "RecordSizeLimit must be between 64 and 16385.");
            }
        }

        if (options.MinProtocolVersion is not (TlsProtocolVersion.Tls10 or TlsProtocolVersion.Tls11 or TlsProtocolVersion.Tls12 or TlsProtocolVersion.Tls13) ||
            options.MaxProtocolVersion is not (TlsProtocolVersion.Tls10 or TlsProtocolVersion.Tls11 or TlsProtocolVersion.Tls12 or TlsProtocolVersion.Tls13) ||
            options.MinProtocolVersion > options.MaxProtocolVersion)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Protocol versions must be TLS 1.0 to 1.3, minimum not above maximum.");
        }

        if (options.MaxProtocolVersion < TlsProtocolVersion.Tls12 && !options.Legacy.HasFlag(LegacyPolicy.Tls10And11))
        {
            throw new ArgumentOutOfRangeException(nameof(options), "TLS 1.0 and 1.1 need Legacy to include LegacyPolicy.Tls10And11.");
        }

        _reassembler = new HandshakeReassembler(_limits.MaxHandshakeMessageSize);
        _handshake = isClient
            ? new Client13Handshake(this, (TlsClientOptions)options)
            : new Server13Handshake(this, (TlsServerOptions)options);
        if (!isClient)
        {
            _records.PlaintextRecordVersion = _recordVersion;
        }
    }

    /// <summary>Creates the client side of a connection. Call <see cref="Start"/> to produce the ClientHello.</summary>
    public static TlsConnection CreateClient(TlsClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new TlsConnection(options, isClient: true);
    }

    /// <summary>Creates the server side of a connection; it waits for a ClientHello.</summary>
    public static TlsConnection CreateServer(TlsServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new TlsConnection(options, isClient: false);
    }

    /// <summary>True for the client side.</summary>
    public bool IsClient { get; }

    /// <summary>The connection's state.</summary>
    public TlsConnectionState State { get; private set; } = TlsConnectionState.Handshaking;

    /// <summary>True once both Finished messages have been exchanged and verified.</summary>
    public bool IsHandshakeComplete { get; private set; }

    /// <summary>The fatal error that ended the connection, if any.</summary>
    public TlsException? Error { get; private set; }

    /// <summary>True after the peer's close_notify: no more application data will arrive.</summary>
    public bool IsReadClosed { get; private set; }

    /// <summary>True after this side sent close_notify.</summary>
    public bool IsWriteClosed { get; private set; }

    /// <summary>The negotiated protocol version.</summary>
    public TlsProtocolVersion NegotiatedProtocol { get; private set; }

    /// <summary>The negotiated cipher suite, once ServerHello is processed.</summary>
    public CipherSuite? NegotiatedCipherSuite { get; private set; }

    /// <summary>The key-exchange group used.</summary>
    public NamedGroup? NegotiatedGroup { get; private set; }

    /// <summary>The ALPN protocol both sides agreed on, or null.</summary>
    public string? NegotiatedApplicationProtocol { get; internal set; }

    /// <summary>The SNI host name: sent (client) or received (server).</summary>
    public string? ServerName { get; internal set; }

    /// <summary>The scheme the peer signed its CertificateVerify with.</summary>
    public SignatureScheme? PeerSignatureScheme { get; internal set; }

    /// <summary>The scheme this endpoint signed its CertificateVerify with.</summary>
    public SignatureScheme? LocalSignatureScheme { get; internal set; }

    /// <summary>The peer's certificate chain as sent (DER, end-entity first); empty if none.</summary>
    public IReadOnlyList<byte[]> PeerCertificateChain { get; internal set; } = [];

    /// <summary>True when the configured verifier accepted the peer's chain.</summary>
    public bool PeerCertificateVerified { get; internal set; }

    /// <summary>True when the server answered the first ClientHello with a HelloRetryRequest.</summary>
    public bool WasHelloRetryRequest { get; internal set; }

    /// <summary>Whether Encrypted Client Hello was offered, and whether the server used the inner ClientHello.</summary>
    public TlsEchStatus EchStatus { get; internal set; }

    /// <summary>How many KeyUpdate messages were sent and received after the handshake.</summary>
    public (int Sent, int Received) KeyUpdateCount => (_keyUpdatesSent, _keyUpdatesReceived);

    /// <summary>The identity of the external PSK that authenticated this connection (TLS 1.3), or null.</summary>
    public byte[]? ExternalPskIdentity { get; internal set; }

    /// <summary>Whether 0-RTT early data was offered, and taken or declined (both roles).</summary>
    public TlsEarlyDataStatus EarlyDataStatus { get; internal set; }

    /// <summary>Server: bytes of 0-RTT data received; they are the first bytes <see cref="ReadApplicationData"/> returns, and could be a replay's if the application's anti-replay store were not shared.</summary>
    public int EarlyDataReceived { get; private set; }

    /// <summary>Client: bytes of 0-RTT data sent with the ClientHello (see <see cref="EarlyDataStatus"/> for their fate).</summary>
    public int EarlyDataSent { get; private set; }

    private bool _acceptingEarlyData;
    private int _earlyDataLimit;

    /// <summary>The number of NewSessionTicket messages received (client).</summary>
    public int SessionTicketsReceived { get; private set; }

    /// <summary>A certificate check or private-key operation the engine is waiting for, or null.</summary>
    public Task? PendingOperation { get; private set; }

    /// <summary>Bytes waiting to be sent to the peer.</summary>
    public int PendingOutputLength => _records.Output.Count;

    /// <summary>Bytes of pooled buffers this connection holds now (input, output, plaintext, handshake reassembly): 0 when idle.</summary>
    internal int BufferBytesHeld => _records.BufferBytesHeld + _plaintext.Capacity + _reassembler.BufferBytesHeld;

    /// <summary>Decrypted application data waiting to be read.</summary>
    public int AvailableApplicationData => _plaintext.Count;

    /// <summary>The write sequence number past which a KeyUpdate is sent automatically (RFC 8446 §5.5).</summary>
    internal ulong AutoKeyUpdateThreshold { get; set; } = 1UL << 24;

    private int _keyUpdatesSent;
    private int _keyUpdatesReceived;

    /// <summary>Starts the handshake. The client queues its ClientHello; for a server this does nothing.</summary>
    public void Start()
    {
        ThrowIfUnusable();
        if (_started)
        {
            return;
        }

        _started = true;
        _telemetry.HandshakeStarted(IsClient ? ((TlsClientOptions)_options).ServerName : null);
        Guard(_handshake.Start);
    }

    /// <summary>
    /// Processes bytes received from the peer. Throws <see cref="TlsException"/> when the peer sent
    /// a fatal alert or bad data; in the latter case an alert is queued in the output first, so send
    /// the output before closing the transport.
    /// </summary>
    public void ReceiveBytes(ReadOnlySpan<byte> data)
    {
        ThrowIfUnusable();
        if (!_started)
        {
            Start();
        }

        _telemetry.BytesReceived(data.Length);
        _records.AppendInput(data);
        ProcessReceived();
    }

    /// <summary>
    /// For a transport that reads straight into the engine (no copy): room for at least <paramref name="size"/> bytes at
    /// the end of the input. Then call <see cref="CommitReceived"/> with what was read. Only the one reader of the
    /// connection may use it, and nothing else may feed input in between.
    /// </summary>
    internal Memory<byte> GetReceiveBuffer(int size)
    {
        ThrowIfUnusable();
        return _records.GetInputMemory(size);
    }

    /// <summary>Processes <paramref name="count"/> bytes read into <see cref="GetReceiveBuffer"/>, as <see cref="ReceiveBytes"/> does.</summary>
    internal void CommitReceived(int count)
    {
        ThrowIfUnusable();
        if (!_started)
        {
            Start();
        }

        _telemetry.BytesReceived(count);
        _records.CommitInput(count);
        ProcessReceived();
    }

    private void ProcessReceived()
    {
        try
        {
            ProcessInput();
        }
        catch (Exception ex) when (TryFail(ex, out var error))
        {
            if (ReferenceEquals(error, ex))
            {
                throw;
            }

            throw error;
        }
    }

    /// <summary>Gives back the room taken by <see cref="GetReceiveBuffer"/> when nothing was read into it (an idle connection holds no buffer).</summary>
    internal void ReleaseReceiveBuffer()
    {
        if (!_disposed)
        {
            _records.CommitInput(0);
        }
    }

    /// <summary>Lets go of the input buffer without returning it to the pool (a transport read may still write into it); before <see cref="Dispose"/>.</summary>
    internal void AbandonReceiveBuffer()
    {
        if (!_disposed)
        {
            _records.AbandonInput();
        }
    }

    /// <summary>Takes all pending output at once, to send without copying; later output goes to <paramref name="replacement"/> (empty).</summary>
    internal ByteQueue SwapOutput(ByteQueue replacement)
    {
        var output = _records.SwapOutput(replacement);
        _telemetry.BytesSent(output.Count);
        return output;
    }

    /// <summary>
    /// Queues one record of <paramref name="type"/> carrying <paramref name="content"/> as it is, under the current write
    /// keys, with no check of state or content: what a misbehaving peer would send. For the fuzz harness and tests only.
    /// </summary>
    internal void WriteRawRecord(ContentType type, ReadOnlySpan<byte> content) => _records.Write(type, content);

    /// <summary>Copies pending output (records to send) into <paramref name="destination"/>; returns the count.</summary>
    public int ReadOutput(Span<byte> destination)
    {
        var count = _records.Output.Read(destination);
        _telemetry.BytesSent(count);
        return count;
    }

    /// <summary>The pending output without consuming it; call <see cref="ConsumeOutput"/> after sending.</summary>
    public ReadOnlySpan<byte> PeekOutput() => _records.Output.Span;

    /// <summary>Marks <paramref name="count"/> bytes of output as sent.</summary>
    public void ConsumeOutput(int count)
    {
        _records.Output.Consume(count);
        _telemetry.BytesSent(count);
    }

    /// <summary>Copies decrypted application data into <paramref name="destination"/>; returns the count.</summary>
    public int ReadApplicationData(Span<byte> destination) => _plaintext.Read(destination);

    /// <summary>Protects application data into records. Allowed once the handshake is complete.</summary>
    public void WriteApplicationData(ReadOnlySpan<byte> data)
    {
        ThrowIfUnusable();
        if (!IsHandshakeComplete)
        {
            throw new InvalidOperationException("The handshake is not complete.");
        }

        if (IsWriteClosed)
        {
            throw new InvalidOperationException("close_notify was already sent.");
        }

        if (IsRenegotiating)
        {
            // Many stacks (OpenSSL once it has sent ServerHello, BoringSSL always) reject application data in
            // the middle of a renegotiation, so hold it until the new handshake completes.
            _deferredApplicationData ??= new ArrayBufferWriter<byte>(Math.Max(256, data.Length));
            if (_deferredApplicationData.WrittenCount + data.Length > MaxDeferredApplicationData)
            {
                throw new InvalidOperationException("A renegotiation is under way and 16 MiB of application data are already waiting for it.");
            }

            _deferredApplicationData.Write(data);
            return;
        }

        try
        {
            WriteRecords(data);
        }
        catch (Exception ex) when (TryFail(ex, out var error))
        {
            throw error;
        }
    }

    private void WriteRecords(ReadOnlySpan<byte> data)
    {
        int max = Math.Min(_records.MaxWriteFragment, RecordConstants.MaxPlaintextLength);
        do
        {
            if (_records.WriteSequenceNumber >= AutoKeyUpdateThreshold && NegotiatedProtocol == TlsProtocolVersion.Tls13)
            {
                SendKeyUpdate(updateRequested: false);
            }

            int n = Math.Min(max, data.Length);
            if (n > 1 && NegotiatedProtocol == TlsProtocolVersion.Tls10 && _suite?.IsCbc == true)
            {
                // TLS 1.0 chains CBC IVs across records, so a record's first block is predictable (BEAST):
                // 1/n-1 splitting puts one byte, and its MAC, first.
                _records.Write(ContentType.ApplicationData, data[..1]);
                data = data[1..];
                n--;
            }

            _records.Write(ContentType.ApplicationData, data[..n]);
            data = data[n..];
        }
        while (!data.IsEmpty);
        _keyUpdateAnswered = false;
    }

    /// <summary>Sends a KeyUpdate and switches to new write keys; with <paramref name="requestPeerUpdate"/> the peer is asked to do the same.</summary>
    public void RequestKeyUpdate(bool requestPeerUpdate)
    {
        ThrowIfUnusable();
        if (!IsHandshakeComplete || IsWriteClosed)
        {
            throw new InvalidOperationException("KeyUpdate needs a connected, open connection.");
        }

        if (NegotiatedProtocol != TlsProtocolVersion.Tls13)
        {
            throw new InvalidOperationException("KeyUpdate exists only in TLS 1.3.");
        }

        Guard(() => SendKeyUpdate(requestPeerUpdate));
    }

    /// <summary>Sends close_notify: this side will write no more. Reading goes on until the peer's close_notify.</summary>
    public void Close()
    {
        if (State == TlsConnectionState.Failed || IsWriteClosed || _disposed)
        {
            return;
        }

        if (_deferredApplicationData is { WrittenCount: > 0 })
        {
            // Data is waiting for a renegotiation to finish; close_notify must not overtake it.
            _closeAfterRenegotiation = true;
            return;
        }

        SendAlert(AlertDescription.CloseNotify);
        IsWriteClosed = true;
        _telemetry.Closed(sent: true);
        if (IsReadClosed)
        {
            State = TlsConnectionState.Closed;
        }
    }

    /// <summary>Continues after <see cref="PendingOperation"/> has completed.</summary>
    public void ResumePendingOperation()
    {
        ThrowIfUnusable();
        if (PendingOperation is not { IsCompleted: true } || _resume is null)
        {
            throw new InvalidOperationException("No completed pending operation to resume.");
        }

        var resume = _resume;
        _resume = null;
        PendingOperation = null;
        Guard(() =>
        {
            resume();
            ProcessInput();
        });
    }

    /// <summary>
    /// Derives keying material from the exporter secret (RFC 8446 §7.5):
    /// HKDF-Expand-Label(Derive-Secret(exporter_master_secret, label, ""), "exporter", Hash(context), length).
    /// </summary>
    public byte[] ExportKeyingMaterial(string label, ReadOnlySpan<byte> context, int length)
    {
        if (_tls12MasterSecret is not null && _suite is not null)
        {
            // RFC 5705 §4: PRF(master_secret, label, client_random + server_random + context_length + context).
            var seed = new byte[_randoms.Length + 2 + context.Length];
            _randoms.CopyTo(seed, 0);
            seed[_randoms.Length] = (byte)(context.Length >> 8);
            seed[_randoms.Length + 1] = (byte)context.Length;
            context.CopyTo(seed.AsSpan(_randoms.Length + 2));
            var prf = NegotiatedProtocol < TlsProtocolVersion.Tls12 ? TlsHashAlgorithm.Md5Sha1 : _suite.Hash;
            return Tls12Prf.Compute(_options.Crypto, prf, _tls12MasterSecret, label, seed, length);
        }

        if (_exporterSecret is null || _suite is null)
        {
            throw new InvalidOperationException("Keying material can be exported once the handshake is complete.");
        }

        var crypto = _options.Crypto;
        Span<byte> emptyHash = stackalloc byte[_suite.HashLength];
        crypto.Hash(_suite.Hash, [], emptyHash);
        var secret = HkdfLabel.DeriveSecret(crypto, _suite.Hash, _exporterSecret, label, emptyHash);
        Span<byte> contextHash = stackalloc byte[_suite.HashLength];
        crypto.Hash(_suite.Hash, context, contextHash);
        try
        {
            return HkdfLabel.Expand(crypto, _suite.Hash, secret, "exporter", contextHash, length);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>Zeroes all secrets and returns pooled buffers.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _telemetry.Disposed();
        _deferredApplicationData?.Clear();
        _postHandshakeAuthentication?.Dispose();
        _handshake.Dispose();
        _records.Dispose();
        _reassembler.Dispose();
        _plaintext.Dispose();
        foreach (var secret in new[] { _readApplicationSecret, _writeApplicationSecret, _exporterSecret, _resumptionSecret, _tls12MasterSecret })
        {
            if (secret is not null)
            {
                CryptographicOperations.ZeroMemory(secret);
            }
        }
    }

    // ---- Called by the handshake state machines ----

    internal void SendHandshakeMessage(byte[] message)
    {
        _options.Observer?.OnHandshakeMessage(TrafficDirection.Sent, (HandshakeType)message[0], message);
        _records.Write(ContentType.Handshake, message);

        // Only the initial ClientHello may carry 0x0301 (RFC 8446 §5.1).
        _records.PlaintextRecordVersion = _recordVersion;
    }

    /// <summary>TLS 1.0/1.1: once negotiated, every record header carries the version (RFC 2246 §6.2.1); 0x0303 otherwise.</summary>
    internal void UseRecordVersion(TlsProtocolVersion version)
    {
        _recordVersion = version < TlsProtocolVersion.Tls12 ? (ushort)version : RecordConstants.LegacyRecordVersion;
        _records.PlaintextRecordVersion = _recordVersion;
    }

    /// <summary>Server: 0-RTT data is being read under the client's early traffic keys, up to <paramref name="limit"/> bytes.</summary>
    internal void BeginEarlyData(int limit)
    {
        _acceptingEarlyData = true;
        _earlyDataLimit = limit;
        EarlyDataStatus = TlsEarlyDataStatus.Accepted;
    }

    /// <summary>Server: EndOfEarlyData arrived; no more 0-RTT data.</summary>
    internal void EndEarlyData() => _acceptingEarlyData = false;

    /// <summary>Server: early data was offered but not accepted; drop up to <paramref name="budget"/> bytes of it (§4.2.10).</summary>
    internal void SkipEarlyData(int budget)
    {
        _records.EarlyDataSkipBudget = budget;
        EarlyDataStatus = TlsEarlyDataStatus.Rejected;
    }

    /// <summary>Server: the second ClientHello has come; from here on every record must decrypt.</summary>
    internal void StopSkippingEarlyData() => _records.EarlyDataSkipBudget = 0;

    /// <summary>Client: 0-RTT data, written under the early traffic keys right after the ClientHello.</summary>
    internal void SendEarlyData(ReadOnlySpan<byte> data)
    {
        _records.Write(ContentType.ApplicationData, data);
        EarlyDataSent = data.Length;
    }

    /// <summary>Client: after a HelloRetryRequest the second ClientHello goes out in the clear again, whatever early keys were in use.</summary>
    internal void ClearWriteKeys() => _records.SetWriteProtection(null);

    internal void SendChangeCipherSpecOnce(bool enabled)
    {
        if (!enabled || _changeCipherSpecSent)
        {
            return;
        }

        _changeCipherSpecSent = true;
        _records.WriteChangeCipherSpec();
    }

    internal void InstallReadKeys(CipherSuiteInfo suite, byte[] secret, string description) =>
        InstallReadProtection(new Tls13RecordProtection(_options.Crypto, suite, secret), description);

    internal void InstallWriteKeys(CipherSuiteInfo suite, byte[] secret, string description) =>
        InstallWriteProtection(new Tls13RecordProtection(_options.Crypto, suite, secret), description);

    internal void InstallReadProtection(IRecordProtection protection, string description)
    {
        _records.SetReadProtection(protection);
        _readKeyEpoch++;
        _options.Observer?.OnKeyChange(TrafficDirection.Received, description);
    }

    internal void InstallWriteProtection(IRecordProtection protection, string description)
    {
        _records.SetWriteProtection(protection);
        _records.PlaintextRecordVersion = _recordVersion;
        _options.Observer?.OnKeyChange(TrafficDirection.Sent, description);
    }

    /// <summary>Hands the handshake to the state machine for the version the hellos settled on.</summary>
    internal void ReplaceHandshake(HandshakeBase next)
    {
        if (IsHandshakeComplete)
        {
            ResetHandshakeAllowance();
        }

        var previous = _handshake;
        _handshake = next;
        previous.Dispose();
    }

    /// <summary>A TLS 1.2 handshake finished: keep the master secret for the exporter, wipe the handshake.</summary>
    internal void CompleteTls12Handshake(byte[] masterSecret, ReadOnlySpan<byte> clientRandom, ReadOnlySpan<byte> serverRandom)
    {
        if (IsHandshakeComplete)
        {
            Renegotiations++;
        }

        if (_tls12MasterSecret is not null)
        {
            CryptographicOperations.ZeroMemory(_tls12MasterSecret);
        }

        _beforeRenegotiation = null;
        _tls12MasterSecret = (byte[])masterSecret.Clone();
        _randoms = [.. clientRandom, .. serverRandom];
        IsHandshakeComplete = true;
        State = TlsConnectionState.Connected;
        _handshake.Dispose();
        _telemetry.HandshakeCompleted(this);
        FlushDeferredApplicationData();
    }

    /// <summary>True while a TLS 1.2 renegotiation runs on an established connection.</summary>
    public bool IsRenegotiating => IsHandshakeComplete && !_handshake.IsComplete;

    private void FlushDeferredApplicationData()
    {
        if (_deferredApplicationData is not { WrittenCount: > 0 })
        {
            return;
        }

        if (!IsWriteClosed)
        {
            WriteRecords(_deferredApplicationData.WrittenSpan);
        }

        _deferredApplicationData.Clear();   // Clear zeroes what was written
        if (_closeAfterRenegotiation)
        {
            _closeAfterRenegotiation = false;
            Close();
        }
    }

    /// <summary>The last Finished verify_data of each side (RFC 5746 keeps them for renegotiation_info).</summary>
    internal void RecordVerifyData(bool client, byte[] verifyData)
    {
        if (client)
        {
            _clientVerifyData = (byte[])verifyData.Clone();
        }
        else
        {
            _serverVerifyData = (byte[])verifyData.Clone();
        }
    }

    /// <summary>Renegotiations completed on this connection (TLS 1.2, opt-in).</summary>
    public int Renegotiations { get; private set; }

    /// <summary>Sends a warning-level alert (TLS 1.2 only: no_renegotiation).</summary>
    internal void SendWarningAlert(AlertDescription description)
    {
        _options.Observer?.OnAlert(TrafficDirection.Sent, description);
        _records.Write(ContentType.Alert, [1, (byte)description]);
    }

    internal void SetNegotiated(TlsProtocolVersion version, CipherSuite suite, NamedGroup? group)
    {
        NegotiatedProtocol = version;
        NegotiatedCipherSuite = suite;
        NegotiatedGroup = group;
        _suite = CipherSuites.Get(suite);
    }

    internal void SetPeerRecordSizeLimit(ushort limit, bool tls12 = false)
    {
        // RFC 8449 §4: in TLS 1.3 the limit counts the content type byte (and padding); in 1.2 plaintext only.
        _records.MaxWriteFragment = Math.Min(RecordConstants.MaxPlaintextLength, tls12 ? limit : limit - 1);
    }

    /// <summary>TLS 1.2 ChangeCipherSpec: in the clear at first, under the current keys on a renegotiation (RFC 5246 §6.1).</summary>
    internal void WriteChangeCipherSpec()
    {
        if (_records.IsWriteProtected)
        {
            _records.Write(ContentType.ChangeCipherSpec, [1]);
        }
        else
        {
            _records.WriteChangeCipherSpec();
        }
    }

    /// <summary>
    /// Our record_size_limit takes effect only once both sides have sent the extension (RFC 8449 §4):
    /// a peer that never saw it cannot be held to it.
    /// </summary>
    internal void EnforceLocalRecordSizeLimit(bool tls12 = false)
    {
        if (_options.RecordSizeLimit is int limit)
        {
            _records.MaxReadPlaintext = tls12 ? Math.Min(limit, RecordConstants.MaxPlaintextLength) : limit - 1;
        }
    }

    internal void SetExporterSecret(byte[] secret) => _exporterSecret = secret;

    internal void SetResumptionSecret(byte[] secret) => _resumptionSecret = secret;

    internal void CompleteHandshake(byte[] clientApplicationSecret, byte[] serverApplicationSecret, bool isClient)
    {
        _readApplicationSecret = (byte[])(isClient ? serverApplicationSecret : clientApplicationSecret).Clone();
        _writeApplicationSecret = (byte[])(isClient ? clientApplicationSecret : serverApplicationSecret).Clone();
        IsHandshakeComplete = true;
        State = TlsConnectionState.Connected;

        // The handshake secrets, transcript and key shares are no longer needed: wipe them now.
        _handshake.Dispose();
        _telemetry.HandshakeCompleted(this);
    }

    /// <summary>Runs <paramref name="continuation"/> with the result now if it is ready, or after the caller awaits <see cref="PendingOperation"/>.</summary>
    internal void Await<T>(ValueTask<T> operation, Action<T> continuation)
    {
        if (operation.IsCompletedSuccessfully)
        {
            continuation(operation.Result);
            return;
        }

        var task = operation.AsTask();
        PendingOperation = task;
        _resume = () =>
        {
            if (!task.IsCompletedSuccessfully)
            {
                throw new TlsException(AlertDescription.InternalError, AlertSource.Local,
                    "an asynchronous certificate check or signature failed", task.Exception?.InnerException);
            }

            continuation(task.Result);
        };
    }

    // ---- Record processing ----

    private void ProcessInput()
    {
        DrainHandshakeMessages();
        // After the peer's close_notify nothing more is read (RFC 8446 §6.1).
        while (PendingOperation is null && State != TlsConnectionState.Failed && !IsReadClosed && _records.TryReadRecord(out var record))
        {
            HandleRecord(record);
            DrainHandshakeMessages();
        }
    }

    private void HandleRecord(in ReceivedRecord record)
    {
        var content = _records.ContentOf(record);
        CountRecord(record, content.Length);
        if (_reassembler.HasPartialMessage && record.Type != ContentType.Handshake)
        {
            throw new TlsException(AlertDescription.UnexpectedMessage, $"{record.Type} record inside a fragmented handshake message");
        }

        bool delivered = false;
        switch (record.Type)
        {
            case ContentType.ChangeCipherSpec:
                HandleChangeCipherSpec(record, content);
                break;
            case ContentType.Alert:
                HandleAlert(record, content);
                break;
            case ContentType.Handshake:
                if (!record.WasProtected && _records.IsReadProtected)
                {
                    throw new TlsException(AlertDescription.UnexpectedMessage, "unprotected handshake record after keys were set");
                }

                _reassembler.AddRecordPayload(content);
                break;
            case ContentType.ApplicationData:
                if (record.WasProtected && _acceptingEarlyData && !IsHandshakeComplete)
                {
                    // 0-RTT data (RFC 8446 §4.2.10): delivered once, within the size the ticket allowed.
                    EarlyDataReceived += content.Length;
                    if (EarlyDataReceived > _earlyDataLimit)
                    {
                        throw new TlsException(AlertDescription.UnexpectedMessage, $"more than max_early_data_size ({_earlyDataLimit} bytes) of early data");
                    }

                    Deliver(record, content);
                    delivered = true;
                    break;
                }

                if (!record.WasProtected || !IsHandshakeComplete)
                {
                    throw new TlsException(AlertDescription.UnexpectedMessage, "application data before the handshake completed");
                }

                if (!IsReadClosed)
                {
                    Deliver(record, content);
                    delivered = true;
                }

                break;
            default:
                throw new TlsException(AlertDescription.UnexpectedMessage, $"record of unknown content type {(byte)record.Type}");
        }

        if (record.InPlaintextSink && !delivered)
        {
            content.Clear();   // handled (or dropped): no plaintext stays behind in the queue's free space
            _plaintext.TrimIfEmpty();
        }

        _records.ConsumeRecord();
    }

    /// <summary>Application data becomes readable: it is already at the plaintext queue's tail when opened there, else copied in.</summary>
    /// <summary>The limits that bound a peer's records (<see cref="TlsLimits"/>): counts, sizes and floods, each ending in an alert.</summary>
    private void CountRecord(in ReceivedRecord record, int contentLength)
    {
        // Application data does not count towards the handshake's allowance: 0-RTT data has its own limit
        // (max_early_data_size), and during a TLS 1.2 renegotiation the data keeps flowing as before.
        if ((!IsHandshakeComplete || IsRenegotiating) && record.Type != ContentType.ApplicationData)
        {
            if (++_handshakeRecordsReceived > _limits.MaxHandshakeRecords)
            {
                throw new TlsException(AlertDescription.UnexpectedMessage, $"more than {_limits.MaxHandshakeRecords} records before the handshake completed");
            }

            if ((_handshakeBytesReceived += RecordConstants.HeaderLength + contentLength) > _limits.MaxHandshakeBytes)
            {
                throw new TlsException(AlertDescription.UnexpectedMessage, $"more than {_limits.MaxHandshakeBytes} bytes before the handshake completed");
            }
        }

        if (contentLength > 0 && record.Type == ContentType.ApplicationData)
        {
            // Data resets the flood counters: what they bound is control traffic with nothing carried between.
            _emptyRecordsInARow = 0;
            _keyUpdatesWithoutData = 0;
            _warningAlertsWithoutData = 0;
            _postHandshakeMessagesWithoutData = 0;
        }
        else if (contentLength == 0 && record.Type is ContentType.ApplicationData or ContentType.Handshake)
        {
            // Only data ends a run of empty records (an alert or a message between them would let a flood go on).
            if (++_emptyRecordsInARow > _limits.MaxEmptyRecordsInARow)
            {
                throw new TlsException(AlertDescription.UnexpectedMessage, $"more than {_limits.MaxEmptyRecordsInARow} empty records in a row");
            }
        }
    }

    /// <summary>A renegotiation is a new handshake, with its own allowance of bytes and records.</summary>
    private void ResetHandshakeAllowance()
    {
        _handshakeBytesReceived = 0;
        _handshakeRecordsReceived = 0;
    }

    private void Deliver(in ReceivedRecord record, ReadOnlySpan<byte> content)
    {
        if (record.InPlaintextSink)
        {
            _plaintext.Advance(content.Length);
        }
        else
        {
            _plaintext.Append(content);
        }
    }

    private void HandleChangeCipherSpec(in ReceivedRecord record, ReadOnlySpan<byte> content)
    {
        if (_handshake.UsesChangeCipherSpec && !_handshake.IsComplete)
        {
            // TLS 1.2 (RFC 5246 §7.1): one byte of value 1, under the current read state (in the clear at first,
            // protected on a renegotiation), exactly where the state machine expects it.
            if (record.WasProtected != _records.IsReadProtected || content.Length != 1 || content[0] != 1)
            {
                throw new TlsException(AlertDescription.UnexpectedMessage, "malformed change_cipher_spec");
            }

            _handshake.HandleChangeCipherSpec();
            return;
        }

        // RFC 8446 §5: an unprotected CCS of value 1 may arrive during the handshake and is dropped;
        // anything else (protected, other value, before ClientHello, after the handshake) is an error.
        bool handshakeStarted = IsClient ? _started : _records.IsWriteProtected || WasHelloRetryRequest;
        if (record.WasProtected || content.Length != 1 || content[0] != 1 || IsHandshakeComplete || !handshakeStarted || _changeCipherSpecReceived)
        {
            throw new TlsException(AlertDescription.UnexpectedMessage, "unexpected change_cipher_spec record");
        }

        _changeCipherSpecReceived = true;
    }

    private void HandleAlert(in ReceivedRecord record, ReadOnlySpan<byte> content)
    {
        if (!record.WasProtected && _records.IsReadProtected && _records.HasReceivedProtectedRecord)
        {
            throw new TlsException(AlertDescription.UnexpectedMessage, "unprotected alert after protected records");
        }

        if (content.Length != 2)
        {
            throw new TlsException(AlertDescription.DecodeError, "alert record must hold exactly one alert");
        }

        var description = (AlertDescription)content[1];
        _options.Observer?.OnAlert(TrafficDirection.Received, description);
        if (content[0] == 1 && description is not (AlertDescription.CloseNotify or AlertDescription.UserCanceled) &&
            NegotiatedProtocol is TlsProtocolVersion.Tls12 or TlsProtocolVersion.Tls11 or TlsProtocolVersion.Tls10)
        {
            // TLS 1.2 warnings (e.g. unrecognized_name, no_renegotiation) are not fatal; a flood of them is.
            if (++_warningAlertsWithoutData > _limits.MaxWarningAlertsWithoutData)
            {
                throw new TlsException(AlertDescription.UnexpectedMessage, $"more than {_limits.MaxWarningAlertsWithoutData} warning alerts without application data between them");
            }

            if (description == AlertDescription.NoRenegotiation && IsClient && _beforeRenegotiation is not null && _handshake is Client13Handshake)
            {
                AbandonRenegotiation();
            }

            return;
        }

        switch (description)
        {
            case AlertDescription.CloseNotify:
                if (!IsHandshakeComplete)
                {
                    FailRemote(new TlsException(description, AlertSource.Remote, "peer closed the connection during the handshake"));
                }

                IsReadClosed = true;
                _telemetry.Closed(sent: false);
                if (IsWriteClosed)
                {
                    State = TlsConnectionState.Closed;
                }

                break;
            case AlertDescription.UserCanceled:
                // A warning in TLS 1.3 (§6.1); a close_notify should follow. Counted, so it cannot be used for a flood.
                if (++_warningAlertsWithoutData > _limits.MaxWarningAlertsWithoutData)
                {
                    throw new TlsException(AlertDescription.UnexpectedMessage, $"more than {_limits.MaxWarningAlertsWithoutData} warning alerts without application data between them");
                }

                break;
            default:
                FailRemote(new TlsException(description, AlertSource.Remote, "peer aborted the connection"));
                break;
        }
    }

    private void DrainHandshakeMessages()
    {
        while (PendingOperation is null && State != TlsConnectionState.Failed && _reassembler.TryTakeMessage(out var type, out var message))
        {
            int epoch = _readKeyEpoch;
            _options.Observer?.OnHandshakeMessage(TrafficDirection.Received, type, message);
            if (type == HandshakeType.HelloRequest && IsClient && IsHandshakeComplete && !_handshake.IsComplete)
            {
                // RFC 5246 §7.4.1.1: a HelloRequest that arrives while we are already renegotiating is ignored.
                EmptyHandshakeMessage.Parse(message.AsSpan(4), type);
            }
            else if (!_handshake.IsComplete)
            {
                _handshake.HandleMessage(type, message);
            }
            else
            {
                HandlePostHandshakeMessage(type, message);
            }

            if (_readKeyEpoch != epoch && _reassembler.HasPartialMessage)
            {
                // §5.1: handshake messages must not span a change of keys.
                throw new TlsException(AlertDescription.UnexpectedMessage, "handshake data after a key change in the same record");
            }
        }
    }

    private void HandlePostHandshakeMessage(HandshakeType type, byte[] message)
    {
        if (++_postHandshakeMessagesWithoutData > _limits.MaxPostHandshakeMessagesWithoutData)
        {
            throw new TlsException(AlertDescription.UnexpectedMessage, $"more than {_limits.MaxPostHandshakeMessagesWithoutData} post-handshake messages without application data between them");
        }

        if (NegotiatedProtocol is TlsProtocolVersion.Tls12 or TlsProtocolVersion.Tls11 or TlsProtocolVersion.Tls10)
        {
            HandlePostHandshakeMessage12(type, message);
            return;
        }

        switch (type)
        {
            case HandshakeType.KeyUpdate:
                var update = KeyUpdate.Parse(message.AsSpan(4));
                _keyUpdatesReceived++;
                if (++_keyUpdatesWithoutData > _limits.MaxKeyUpdatesWithoutData)
                {
                    throw new TlsException(AlertDescription.UnexpectedMessage, $"more than {_limits.MaxKeyUpdatesWithoutData} KeyUpdates without application data between them");
                }

                var next = Tls13KeySchedule.NextApplicationTrafficSecret(_options.Crypto, _suite!, _readApplicationSecret);
                CryptographicOperations.ZeroMemory(_readApplicationSecret);
                _readApplicationSecret = next;
                InstallReadKeys(_suite!, next, "peer application traffic keys (after KeyUpdate)");
                // §4.6.3: answer a request once before our next application data; a burst of requests needs one answer.
                if (update.UpdateRequested && !_keyUpdateAnswered && !IsWriteClosed)
                {
                    SendKeyUpdate(updateRequested: false);
                    _keyUpdateAnswered = true;
                }

                break;
            case HandshakeType.NewSessionTicket when IsClient:
                ReceiveNewSessionTicket(NewSessionTicket.Parse(message.AsSpan(4)));
                SessionTicketsReceived++;
                break;
            case HandshakeType.CertificateRequest when IsClient && _postHandshakeAuthentication is not null:
                var client = (TlsClientOptions)_options;
                _postHandshakeAuthentication.Answer(message, client,
                    client.SignatureSchemes.Where(s => SignatureSchemes.Find(s) is { AllowedInTls13Handshake: true } && _options.Crypto.SupportsSignatureScheme(s)),
                    _writeApplicationSecret!);
                PostHandshakeAuthentications++;
                break;
            case HandshakeType.Certificate or HandshakeType.CertificateVerify or HandshakeType.Finished
                when !IsClient && _postHandshakeAuthentication is { IsPending: true } pha:
                pha.Receive(type, message, _readApplicationSecret!, ((TlsServerOptions)_options).RequireClientCertificate, (chain, verified) =>
                {
                    PeerCertificateChain = chain;
                    PeerCertificateVerified = verified;
                    PostHandshakeAuthentications++;
                });
                break;
            default:
                throw new TlsException(AlertDescription.UnexpectedMessage, $"unexpected post-handshake {type} message");
        }
    }

    /// <summary>
    /// A TLS 1.3 ticket (RFC 8446 §4.6.1): its PSK is derived now from resumption_master_secret and the nonce, and
    /// the session becomes <see cref="Session"/> (and goes to the options' session cache). A lifetime of zero means
    /// "do not use"; one over seven days is illegal.
    /// </summary>
    private void ReceiveNewSessionTicket(NewSessionTicket ticket)
    {
        if (ticket.TicketLifetime > (uint)TlsSession.MaxTls13Lifetime.TotalSeconds)
        {
            throw new TlsException(AlertDescription.IllegalParameter, $"ticket_lifetime {ticket.TicketLifetime} s exceeds seven days");
        }

        uint maxEarlyData = 0;
        foreach (var extension in ticket.Extensions)
        {
            if (extension.Type == (ushort)ExtensionType.EarlyData)
            {
                var reader = new TlsReader(extension.Data);
                maxEarlyData = reader.ReadUInt32();
                reader.EnsureEmpty("early_data");
            }
        }

        if (ticket.TicketLifetime == 0 || _resumptionSecret is null || _suite is null)
        {
            return;
        }

        var options = (TlsClientOptions)_options;
        var psk = Tls13KeySchedule.ResumptionPsk(_options.Crypto, _suite, _resumptionSecret, ticket.TicketNonce);
        Session = new TlsSession(_suite.Suite, psk, ticket.Ticket, ticket.TicketAgeAdd, options.ServerName, NegotiatedApplicationProtocol, maxEarlyData,
            _options.TimeProvider.GetUtcNow(), TimeSpan.FromSeconds(ticket.TicketLifetime), PeerCertificateChain, PeerCertificateVerified);
        options.SessionCache?.Add(Session);
    }

    /// <summary>
    /// After a TLS 1.2 handshake the only legal handshake messages start a renegotiation. Unless the
    /// options allow it, and only with RFC 5746 in force, Tessera refuses with a no_renegotiation
    /// warning (RFC 5246 §7.2.2); the connection goes on.
    /// </summary>
    private void HandlePostHandshakeMessage12(HandshakeType type, byte[] message)
    {
        switch (type)
        {
            case HandshakeType.HelloRequest when IsClient:
                EmptyHandshakeMessage.Parse(message.AsSpan(4), type);
                if (((TlsClientOptions)_options).AllowRenegotiation && SecureRenegotiation)
                {
                    StartRenegotiationAsClient();
                    break;
                }

                SendWarningAlert(AlertDescription.NoRenegotiation);
                RenegotiationsRefused++;
                break;
            case HandshakeType.ClientHello when !IsClient:
                var hello = ClientHello.Parse(message.AsSpan(4));
                bool asked = _helloRequestSent;
                _helloRequestSent = false;
                if (SecureRenegotiation && (asked || (((TlsServerOptions)_options).AllowClientRenegotiation && WithinRenegotiationRate())))
                {
                    var renegotiation = new Server12Handshake(this, (TlsServerOptions)_options, NegotiatedProtocol) { Renegotiating = (_clientVerifyData, _serverVerifyData) };
                    ReplaceHandshake(renegotiation);
                    renegotiation.HandleClientHello(hello, message);
                    break;
                }

                SendWarningAlert(AlertDescription.NoRenegotiation);
                RenegotiationsRefused++;
                if (RenegotiationsRefused > _limits.MaxRefusedRenegotiations)
                {
                    throw new TlsException(AlertDescription.HandshakeFailure, "the client keeps asking to renegotiate");
                }

                break;
            default:
                throw new TlsException(AlertDescription.UnexpectedMessage, $"unexpected post-handshake {type} message in TLS 1.2");
        }
    }

    /// <summary>
    /// What a later connection can resume from, or null: the TLS 1.2 session (only with the extended master secret), or
    /// the newest TLS 1.3 ticket, which arrives after the handshake (NewSessionTicket) and is meant to be used once.
    /// </summary>
    public TlsSession? Session { get; internal set; }

    /// <summary>The OCSP response the peer stapled (DER), if any.</summary>
    public byte[]? PeerOcspResponse { get; internal set; }

    /// <summary>TLS 1.2 CBC suites: records use encrypt_then_mac (RFC 7366).</summary>
    public bool EncryptThenMac { get; internal set; }

    /// <summary>True when this TLS 1.2 connection resumed an earlier session (abbreviated handshake).</summary>
    public bool IsResumed { get; internal set; }

    /// <summary>At most 3 client-initiated renegotiations a minute (RFC 5746 makes them safe, not cheap).</summary>
    private bool WithinRenegotiationRate()
    {
        var now = _options.TimeProvider.GetUtcNow();
        _renegotiations.RemoveAll(t => now - t > TimeSpan.FromMinutes(1));
        if (_renegotiations.Count >= _limits.MaxRenegotiationsPerMinute)
        {
            return false;
        }

        _renegotiations.Add(now);
        return true;
    }

    /// <summary>Starts a renegotiation from the client side (after a HelloRequest, or on request).</summary>
    private void StartRenegotiationAsClient()
    {
        var options = (TlsClientOptions)_options;
        _beforeRenegotiation = _handshake;
        ResetHandshakeAllowance();
        var renegotiation = new Client13Handshake(this, options) { RenegotiationContext = (_clientVerifyData, _serverVerifyData) };
        _handshake = renegotiation;
        renegotiation.Start();
    }

    /// <summary>The server answered our renegotiating ClientHello with no_renegotiation: drop the attempt, keep the connection.</summary>
    private void AbandonRenegotiation()
    {
        var abandoned = _handshake;
        _handshake = _beforeRenegotiation!;
        _beforeRenegotiation = null;
        abandoned.Dispose();
        RenegotiationsRefused++;
        FlushDeferredApplicationData();
    }

    /// <summary>
    /// Starts a TLS 1.2 renegotiation (RFC 5746 secure renegotiation only). A client sends a new
    /// ClientHello (needs <see cref="TlsClientOptions.AllowRenegotiation"/>); a server sends a
    /// HelloRequest and accepts the ClientHello that answers it. Application data keeps flowing
    /// meanwhile; <see cref="Renegotiations"/> counts the ones completed.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not a completed TLS 1.2 connection with secure renegotiation, a renegotiation is already under way, or (client) the option is off.</exception>
    public void Renegotiate()
    {
        ThrowIfUnusable();
        if (NegotiatedProtocol is not (TlsProtocolVersion.Tls12 or TlsProtocolVersion.Tls11 or TlsProtocolVersion.Tls10) ||
            !IsHandshakeComplete || !_handshake.IsComplete || IsWriteClosed)
        {
            throw new InvalidOperationException("Only an open TLS 1.2 connection with no handshake under way can renegotiate.");
        }

        if (!SecureRenegotiation && !(_options is TlsClientOptions { InsecureRenegotiationProbe: true }))
        {
            throw new InvalidOperationException("The peer does not support secure renegotiation (RFC 5746).");
        }

        if (!IsClient)
        {
            Guard(() =>
            {
                SendHandshakeMessage(EmptyHandshakeMessage.ToMessageBytes(HandshakeType.HelloRequest));
                _helloRequestSent = true;
            });
            return;
        }

        if (!((TlsClientOptions)_options).AllowRenegotiation)
        {
            throw new InvalidOperationException("Renegotiation is off: set TlsClientOptions.AllowRenegotiation.");
        }

        Guard(StartRenegotiationAsClient);
    }

    /// <summary>Post-handshake client authentications completed (TLS 1.3): answered, for a client; verified, for a server.</summary>
    public int PostHandshakeAuthentications { get; private set; }

    /// <summary>True when the client offered post-handshake authentication and the server may call <see cref="RequestClientCertificate"/>.</summary>
    public bool CanRequestClientCertificate => !IsClient && _postHandshakeAuthentication is { IsPending: false } && IsHandshakeComplete && !IsWriteClosed;

    internal void EnablePostHandshakeAuthentication(PostHandshakeAuthentication authentication, IEnumerable<SignatureScheme>? schemes = null)
    {
        _postHandshakeAuthentication?.Dispose();
        _postHandshakeAuthentication = authentication;
        _postHandshakeSchemes = [.. schemes ?? []];
    }

    /// <summary>
    /// Server, TLS 1.3: asks the client for a certificate now (post-handshake authentication, RFC 8446 §4.6.2).
    /// The answer arrives with the following reads; <see cref="PeerCertificateChain"/> and
    /// <see cref="PostHandshakeAuthentications"/> change when it has been verified.
    /// </summary>
    /// <exception cref="InvalidOperationException">The client did not offer post_handshake_auth, a request is already under way, or this is not a TLS 1.3 server.</exception>
    public void RequestClientCertificate()
    {
        ThrowIfUnusable();
        if (!CanRequestClientCertificate)
        {
            throw new InvalidOperationException("Post-handshake authentication needs a TLS 1.3 server whose client offered post_handshake_auth, with no request under way.");
        }

        Guard(() => _postHandshakeAuthentication!.Request(_postHandshakeSchemes, ((TlsServerOptions)_options).ClientCertificateAuthorities));
    }

    /// <summary>Renegotiation attempts refused with no_renegotiation (TLS 1.2).</summary>
    public int RenegotiationsRefused { get; private set; }

    /// <summary>True when the TLS 1.2 peer supports secure renegotiation (RFC 5746); always true in TLS 1.3.</summary>
    public bool SecureRenegotiation { get; internal set; }

    /// <summary>True when the TLS 1.2 handshake used the extended master secret (RFC 7627); always true in TLS 1.3.</summary>
    public bool ExtendedMasterSecret { get; internal set; }

    private void SendKeyUpdate(bool updateRequested)
    {
        SendHandshakeMessage(new KeyUpdate { UpdateRequested = updateRequested }.ToMessageBytes());
        _keyUpdatesSent++;
        var next = Tls13KeySchedule.NextApplicationTrafficSecret(_options.Crypto, _suite!, _writeApplicationSecret);
        CryptographicOperations.ZeroMemory(_writeApplicationSecret);
        _writeApplicationSecret = next;
        InstallWriteKeys(_suite!, next, "own application traffic keys (after KeyUpdate)");
    }

    private void SendAlert(AlertDescription description)
    {
        Span<byte> alert = [2, (byte)description];
        if (description is AlertDescription.CloseNotify or AlertDescription.UserCanceled)
        {
            alert[0] = 1;
        }

        _options.Observer?.OnAlert(TrafficDirection.Sent, description);
        _records.Write(ContentType.Alert, alert);
    }

    private void Guard(Action action)
    {
        try
        {
            action();
        }
        catch (Exception ex) when (TryFail(ex, out var error))
        {
            if (ReferenceEquals(error, ex))
            {
                throw;
            }

            throw error;
        }
    }

    /// <summary>
    /// Turns a failure inside the engine into the connection's fatal error, queueing the alert.
    /// A fault below the protocol (a provider or codec bug) still ends with an internal_error alert.
    /// </summary>
    private bool TryFail(Exception ex, out TlsException error)
    {
        error = null!;
        if (State == TlsConnectionState.Failed || ex is InvalidOperationException or ObjectDisposedException or OutOfMemoryException)
        {
            return false;
        }

        error = ex as TlsException ?? new TlsException(AlertDescription.InternalError, AlertSource.Local, $"internal error ({ex.GetType().Name})", ex);
        FailLocal(error);
        return true;
    }

    private void FailLocal(TlsException error)
    {
        Error = error;
        _telemetry.Failed(error);
        if (error.AlertSource == AlertSource.Local && !IsWriteClosed)
        {
            try
            {
                SendAlert(error.Alert);
            }
            catch (CryptographicException)
            {
                // The alert cannot be protected; the connection is failing anyway.
            }
        }

        State = TlsConnectionState.Failed;
        PendingOperation = null;
        _resume = null;
    }

    private void FailRemote(TlsException error)
    {
        Error = error;
        _telemetry.Failed(error);
        State = TlsConnectionState.Failed;
        throw error;
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Error is not null)
        {
            throw Error;
        }
    }
}
