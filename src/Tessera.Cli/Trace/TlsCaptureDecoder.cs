using System.Buffers.Binary;
using System.Text;
using Tessera.Crypto;
using Tessera.KeySchedule;
using Tessera.Messages;
using Tessera.Records;

namespace Tessera.Cli.Trace;

/// <summary>
/// Decodes the TLS of one captured TCP connection, both directions in the order their bytes arrived: records,
/// handshake messages (reassembled), alerts and application data, printed by the same analyzer as <c>-trace</c>.
/// With a key log it opens protected records: TLS 1.3 by the logged traffic secrets (early, handshake, application,
/// then KeyUpdate), TLS 1.0–1.2 by the logged master secret and the key block.
/// </summary>
internal sealed class TlsCaptureDecoder(TextWriter output, KeyLogFile? keyLog, bool showData)
{
    private const int MaxRecord = 16384 + 2048 + 5;
    private const int MaxHandshakeBytes = 256 * 1024;
    private static readonly ICryptoProvider Crypto = DefaultCryptoProvider.Instance;

    private readonly AnalyzerObserver _analyzer = new(output, showRecords: true);
    private readonly Side _client = new("client");
    private readonly Side _server = new("server");
    private byte[]? _clientRandom;
    private Tessera.Crypto.Hpke.HpkeContext? _echContext;
    private byte[]? _serverRandom;
    private bool _tls13;
    private bool _earlyDataOffered;
    private bool _encryptThenMac;
    private TlsProtocolVersion _version;
    private CipherSuiteInfo? _suite;
    private ushort _suiteCode;

    /// <summary>False once the stream has shown it is not TLS; it is then ignored.</summary>
    public bool IsTls { get; private set; } = true;

    public bool SawTls { get; private set; }

    public int RecordsDecrypted { get; private set; }

    public int RecordsUndecrypted { get; private set; }

    public string Summary => !SawTls ? "no TLS"
        : $"{(_version == TlsProtocolVersion.None ? "version not negotiated" : _version.ToDisplayName())}, {(_suiteCode == 0 ? "no suite" : CipherSuites.NameOf(_suiteCode))}, "
          + (RecordsDecrypted + RecordsUndecrypted == 0 ? "nothing encrypted" : $"{RecordsDecrypted} protected records decrypted, {RecordsUndecrypted} not");

    private sealed class Side(string name)
    {
        public string Name { get; } = name;

        public MemoryStream Records { get; } = new();

        public Tessera.Handshake.HandshakeReassembler Handshake { get; set; } = new(MaxHandshakeBytes);

        /// <summary>TLS 1.3: the keys this side may be using now and later, in order; TLS 1.2: the one in use.</summary>
        public List<(string Name, IRecordProtection Protection, byte[]? Secret)> Keys { get; } = [];

        public int Current { get; set; } = -1;

        /// <summary>TLS 1.2: keys waiting for ChangeCipherSpec.</summary>
        public IRecordProtection? Pending { get; set; }

        /// <summary>TLS 1.2: this side sent ChangeCipherSpec, so its records are encrypted (with keys or not).</summary>
        public bool Encrypting { get; set; }
    }

    private TrafficDirection Direction(Side side) => side == _client ? TrafficDirection.Sent : TrafficDirection.Received;

    /// <summary>Feeds bytes that arrived in order from the client (true) or the server.</summary>
    public void Add(bool fromClient, ReadOnlySpan<byte> bytes)
    {
        if (!IsTls)
        {
            return;
        }

        var side = fromClient ? _client : _server;
        side.Records.Position = side.Records.Length;
        side.Records.Write(bytes);
        var buffer = side.Records.GetBuffer().AsSpan(0, (int)side.Records.Length);
        int consumed = 0;
        while (buffer.Length - consumed >= 5)
        {
            var header = buffer.Slice(consumed, 5);
            int length = BinaryPrimitives.ReadUInt16BigEndian(header[3..]);
            if (header[0] is < 20 or > 24 || header[1] != 3 || length + 5 > MaxRecord)
            {
                IsTls = SawTls && Fail(side, "bytes that are not a TLS record; the rest of this direction is skipped");
                return;
            }

            if (buffer.Length - consumed < 5 + length)
            {
                break;
            }

            SawTls = true;
            Record(side, header.ToArray(), buffer.Slice(consumed + 5, length).ToArray());
            consumed += 5 + length;
        }

        var rest = buffer[consumed..].ToArray();
        side.Records.SetLength(0);
        side.Records.Write(rest);
    }

    private bool Fail(Side side, string what)
    {
        output.WriteLine($"    ({side.Name}: {what})");
        return false;
    }

    private void Record(Side side, byte[] header, byte[] payload)
    {
        var type = (ContentType)header[0];
        ushort version = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(1));
        var direction = Direction(side);
        if (type == ContentType.ChangeCipherSpec)
        {
            _analyzer.OnRecord(direction, new TlsRecordInfo(type, type, version, payload.Length, payload.Length, false));
            if (!_tls13)
            {
                side.Encrypting = true;
            }

            if (!_tls13 && side.Pending is { } pending)
            {
                side.Keys.Add(("key block", pending, null));
                side.Current = side.Keys.Count - 1;
                side.Pending = null;
                _analyzer.OnKeyChange(direction, $"{side.Name} write keys from the key block");
            }

            return;
        }

        bool protectedRecord = side.Current >= 0 || side.Encrypting || (_tls13 && type == ContentType.ApplicationData) || (side == _client && _earlyDataOffered && type == ContentType.ApplicationData && _serverRandom is null);
        if (!protectedRecord)
        {
            _analyzer.OnRecord(direction, new TlsRecordInfo(type, type, version, payload.Length, payload.Length, false));
            Content(side, type, payload);
            return;
        }

        if (Open(side, header, payload) is { } opened)
        {
            RecordsDecrypted++;
            _analyzer.OnRecord(direction, new TlsRecordInfo(type, opened.Type, version, payload.Length, opened.Content.Length, true));
            Content(side, opened.Type, opened.Content);
        }
        else
        {
            RecordsUndecrypted++;
            _analyzer.OnRecord(direction, new TlsRecordInfo(type, type, version, payload.Length, payload.Length, false));
            output.WriteLine($"    (encrypted, {payload.Length} bytes: {(keyLog is null ? "no key log given" : "no key in the key log opens it")})");
        }
    }

    /// <summary>Tries this side's current keys, then the later ones (TLS 1.3 moves on by itself: early → handshake → application).</summary>
    private (ContentType Type, byte[] Content)? Open(Side side, byte[] header, byte[] payload)
    {
        if (side == _client && _serverRandom is null && side.Keys.Count == 0)
        {
            EarlyKeys();
        }

        for (int i = Math.Max(0, side.Current); i < side.Keys.Count; i++)
        {
            var (name, protection, _) = side.Keys[i];
            var copy = (byte[])payload.Clone();
            try
            {
                var (type, length) = protection.Open(header, copy, 16384 + 256, out int offset);
                if (i != side.Current)
                {
                    side.Current = i;
                    _analyzer.OnKeyChange(Direction(side), $"{side.Name} {name} keys");
                }

                return (type, copy.AsSpan(offset, length).ToArray());
            }
            catch (TlsException)
            {
                if (!_tls13)
                {
                    return null;
                }
            }
        }

        return null;
    }

    private void Content(Side side, ContentType type, byte[] content)
    {
        var direction = Direction(side);
        switch (type)
        {
            case ContentType.Handshake:
                try
                {
                    side.Handshake.AddRecordPayload(content);
                    DrainHandshake(side);
                }
                catch (TlsException ex)
                {
                    // An empty handshake record or a message over 256 KiB: what was buffered is dropped.
                    Fail(side, $"{ex.Reason}; skipped");
                    side.Handshake.Dispose();
                    side.Handshake = new(MaxHandshakeBytes);
                }

                break;
            case ContentType.Alert when content.Length >= 2:
                _analyzer.OnAlert(direction, (AlertDescription)content[1]);
                break;
            case ContentType.ApplicationData:
                string arrow = side == _client ? "client → server" : "server → client";
                output.WriteLine(showData
                    ? $"[{arrow}] application data ({content.Length} bytes): \"{Preview(content)}\""
                    : $"[{arrow}] application data ({content.Length} bytes)");
                break;
            default:
                break;
        }
    }

    private static string Preview(ReadOnlySpan<byte> content)
    {
        var text = new StringBuilder();
        foreach (var b in content[..Math.Min(content.Length, 120)])
        {
            text.Append(b switch { (byte)'\r' => "\\r", (byte)'\n' => "\\n", >= 0x20 and < 0x7F => ((char)b).ToString(), _ => "." });
        }

        return content.Length > 120 ? text + "…" : text.ToString();
    }

    private void DrainHandshake(Side side)
    {
        while (side.Handshake.TryTakeMessage(out var type, out var message))
        {
            _analyzer.OnHandshakeMessage(Direction(side), type, message);
            Handshake(side, type, message.AsSpan(4));
        }
    }

    private void Handshake(Side side, HandshakeType type, ReadOnlySpan<byte> body)
    {
        try
        {
            switch (type)
            {
                case HandshakeType.ClientHello when side == _client:
                {
                    var hello = ClientHello.Parse(body);
                    var random = hello.Random;
                    if (OpenEncryptedClientHello(hello) is { } inner)
                    {
                        _analyzer.InnerClientHello("decrypted from the ClientHello above with the key log's ECH_SECRET", inner);
                        var innerRandom = inner.AsSpan(4 + 2, 32).ToArray();
                        if (keyLog!.Find(KeyLogLabels.ClientHandshakeTrafficSecret, innerRandom) is not null)
                        {
                            random = innerRandom;   // RFC 9850: with ECH accepted, the secrets are logged under the inner random
                        }
                    }

                    _clientRandom ??= random;
                    _earlyDataOffered = ExtensionBlock.Find(hello.Extensions, ExtensionType.EarlyData) is not null && _serverRandom is null;
                    break;
                }

                case HandshakeType.ServerHello when side == _server:
                    ServerHelloSeen(ServerHello.Parse(body));
                    break;
                case HandshakeType.KeyUpdate when _tls13 && _suite is not null && side.Current >= 0 && side.Keys[side.Current].Secret is { } secret:
                {
                    var next = Tls13KeySchedule.NextApplicationTrafficSecret(Crypto, _suite, secret);
                    // The keys before it are never used again: dispose them, so a flood of KeyUpdates holds one set.
                    foreach (var (_, old, oldSecret) in side.Keys)
                    {
                        old.Dispose();
                        if (oldSecret is not null)
                        {
                            System.Security.Cryptography.CryptographicOperations.ZeroMemory(oldSecret);
                        }
                    }

                    side.Keys.Clear();
                    side.Keys.Add(("updated application traffic", new Tls13RecordProtection(Crypto, _suite, next), next));
                    side.Current = 0;
                    _analyzer.OnKeyChange(Direction(side), $"{side.Name} updated application traffic keys (KeyUpdate)");
                    break;
                }

                default:
                    break;
            }
        }
        catch (TlsException ex)
        {
            Fail(side, $"malformed {type}: {ex.Message}");
        }
    }

    /// <summary>
    /// Encrypted Client Hello with the key log's ECH_SECRET and ECH_CONFIG for the outer random (RFC 9850): the HPKE
    /// context opens the first hello's payload and, after a HelloRetryRequest, the second's. Null when nothing opens.
    /// </summary>
    private byte[]? OpenEncryptedClientHello(ClientHello outer)
    {
        if (keyLog is null || ExtensionBlock.Find(outer.Extensions, ExtensionType.EncryptedClientHello) is not { } ext)
        {
            return null;
        }

        var ech = EncryptedClientHelloExtension.ParseClientHello(ext.Data);
        if (!ech.IsOuter)
        {
            return null;
        }

        if (_echContext is null)
        {
            if (keyLog.Find(KeyLogLabels.EchSecret, outer.Random) is not { } secret || keyLog.Find(KeyLogLabels.EchConfig, outer.Random) is not { } config)
            {
                return null;
            }

            var suite = new Tessera.Crypto.Hpke.HpkeSuite(Tessera.Crypto.Hpke.HpkeKem.DhkemX25519HkdfSha256, ech.CipherSuite.Kdf, ech.CipherSuite.Aead);
            if (!suite.IsSupported || suite.Aead == Tessera.Crypto.Hpke.HpkeAead.ExportOnly)
            {
                return null;
            }

            _echContext = Tessera.Crypto.Hpke.Hpke.RecipientFromSharedSecret(Crypto, suite, secret, Tessera.Ech.EchConfig.HpkeInfo(config));
        }

        try
        {
            var plaintext = _echContext.Open(Tessera.Ech.EncodedClientHelloInner.OuterAad(outer, ext, ech.Payload.Length), ech.Payload);
            return Tessera.Ech.EncodedClientHelloInner.Decode(plaintext, outer).ToMessageBytes();
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            output.WriteLine("    (the key log's ECH_SECRET does not open this ClientHello's encrypted_client_hello)");
            return null;
        }
    }

    private void ServerHelloSeen(ServerHello hello)
    {
        if (!hello.IsHelloRetryRequest)
        {
            _echContext?.Dispose();   // no ClientHello is left to open
            _echContext = null;
        }

        if (hello.IsHelloRetryRequest)
        {
            // TLS 1.3 only: the ChangeCipherSpec records that follow (middlebox compatibility) switch nothing.
            _tls13 = true;
            _earlyDataOffered = false;
            return;
        }

        _serverRandom = hello.Random;
        _suiteCode = hello.CipherSuite;
        _suite = CipherSuites.Find((CipherSuite)hello.CipherSuite);
        _version = (TlsProtocolVersion)hello.LegacyVersion;
        if (ExtensionBlock.Find(hello.Extensions, ExtensionType.SupportedVersions) is { Data.Length: 2 } selected)
        {
            _version = (TlsProtocolVersion)BinaryPrimitives.ReadUInt16BigEndian(selected.Data);
        }

        _tls13 = _version == TlsProtocolVersion.Tls13;
        _encryptThenMac = ExtensionBlock.Find(hello.Extensions, ExtensionType.EncryptThenMac) is not null;
        if (keyLog is null || _clientRandom is null)
        {
            return;
        }

        if (_suite is null)
        {
            output.WriteLine($"    (Tessera cannot decrypt {CipherSuites.NameOf(hello.CipherSuite)})");
            return;
        }

        if (_tls13)
        {
            Add13(_server, "handshake traffic", KeyLogLabels.ServerHandshakeTrafficSecret);
            Add13(_server, "application traffic", KeyLogLabels.ServerTrafficSecret0);
            // The client may still be on its early keys; the handshake keys come after them.
            Add13(_client, "handshake traffic", KeyLogLabels.ClientHandshakeTrafficSecret);
            Add13(_client, "application traffic", KeyLogLabels.ClientTrafficSecret0);
            if (_server.Keys.Count > 0)
            {
                _server.Current = 0;
                _analyzer.OnKeyChange(TrafficDirection.Received, "server handshake traffic keys");
            }
        }
        else if (keyLog.Find(KeyLogLabels.ClientRandom, _clientRandom) is { } masterSecret)
        {
            var (client, server) = Tls12KeyBlock.CreateRecordProtection(Crypto, _suite, _version, masterSecret, _clientRandom, _serverRandom, _encryptThenMac);
            _client.Pending = client;
            _server.Pending = server;
        }
        else
        {
            output.WriteLine("    (no CLIENT_RANDOM line for this connection in the key log)");
        }
    }

    private void Add13(Side side, string name, string label)
    {
        if (keyLog!.Find(label, _clientRandom!) is { } secret && secret.Length == _suite!.HashLength)
        {
            side.Keys.Add((name, new Tls13RecordProtection(Crypto, _suite, secret), secret));
        }
    }

    /// <summary>0-RTT records come before the ServerHello names the suite: try every TLS 1.3 suite of the early secret's hash.</summary>
    private void EarlyKeys()
    {
        if (keyLog is null || _clientRandom is null || keyLog.Find(KeyLogLabels.ClientEarlyTrafficSecret, _clientRandom) is not { } secret)
        {
            return;
        }

        foreach (var code in CipherSuites.Tls13Defaults)
        {
            var suite = CipherSuites.Get(code);
            if (suite.HashLength == secret.Length)
            {
                _client.Keys.Add(($"early traffic ({suite.Name})", new Tls13RecordProtection(Crypto, suite, secret), null));
            }
        }
    }
}
