using System.Security.Cryptography;
using Tessera.Messages;

namespace Tessera.Cli.Scan;

/// <summary>
/// A ClientHello built byte by byte for a probe: any version, any suites, any extensions, including offers the
/// engine never makes (SSL 3.0, export and RC4 suites, compression, heartbeat). Only ever sent to learn how a
/// server answers; a scan never carries data over what these start.
/// </summary>
internal sealed class ProbeHello
{
    /// <summary>legacy_record_version of the record carrying the hello.</summary>
    public ushort RecordVersion { get; set; } = 0x0301;

    /// <summary>client_version (legacy_version in TLS 1.3).</summary>
    public ushort ClientVersion { get; set; } = 0x0303;

    public List<ushort> CipherSuites { get; set; } = [];

    public byte[] CompressionMethods { get; set; } = [0];

    /// <summary>No extension block at all (as SSL 3.0 clients sent).</summary>
    public bool NoExtensions { get; set; }

    public string? ServerName { get; set; }

    public List<ushort>? SupportedGroups { get; set; }

    public List<ushort>? SignatureAlgorithms { get; set; }

    /// <summary>supported_versions (TLS 1.3); null leaves it out.</summary>
    public List<ushort>? SupportedVersions { get; set; }

    /// <summary>key_share entries; an empty list asks the server to choose by HelloRetryRequest.</summary>
    public List<(ushort Group, byte[] KeyExchange)>? KeyShares { get; set; }

    public List<string>? Alpn { get; set; }

    public bool EcPointFormats { get; set; } = true;

    public bool ExtendedMasterSecret { get; set; } = true;

    public bool RenegotiationInfo { get; set; } = true;

    public bool SessionTicket { get; set; } = true;

    public bool StatusRequest { get; set; } = true;

    public bool Heartbeat { get; set; }

    public bool EncryptThenMac { get; set; }

    public byte[] Random { get; } = RandomNumberGenerator.GetBytes(32);

    public byte[] SessionId { get; set; } = [];

    /// <summary>The whole record: header, then the ClientHello handshake message.</summary>
    public byte[] ToRecord()
    {
        var message = ToHandshakeMessage();
        var record = new byte[5 + message.Length];
        record[0] = (byte)ContentType.Handshake;
        record[1] = (byte)(RecordVersion >> 8);
        record[2] = (byte)RecordVersion;
        record[3] = (byte)(message.Length >> 8);
        record[4] = (byte)message.Length;
        message.CopyTo(record, 5);
        return record;
    }

    public byte[] ToHandshakeMessage()
    {
        var body = Body(padTo: 0);
        // RFC 7685: some servers fail on hellos of 256 to 511 bytes; pad such a hello to 512.
        if (!NoExtensions && body.Length + 4 is >= 256 and < 512)
        {
            body = Body(padTo: 512 - 4);
        }

        return HandshakeFraming.Frame(HandshakeType.ClientHello, body);
    }

    private byte[] Body(int padTo)
    {
        var w = new TlsWriter(1024);
        try
        {
            w.WriteUInt16(ClientVersion);
            w.WriteBytes(Random);
            w.WriteVector8(SessionId);
            int suites = w.BeginVector(2);
            foreach (var s in CipherSuites)
            {
                w.WriteUInt16(s);
            }

            w.EndVector(suites);
            w.WriteVector8(CompressionMethods);
            if (!NoExtensions)
            {
                int extensions = w.BeginVector(2);
                WriteExtensions(w);
                if (padTo > 0)
                {
                    int needed = padTo - w.Length - 4;
                    w.WriteUInt16((ushort)ExtensionType.Padding);
                    w.WriteVector16(new byte[Math.Max(0, needed)]);
                }

                w.EndVector(extensions);
            }

            return w.ToArray();
        }
        finally
        {
            w.Release();
        }
    }

    /// <summary>The extensions asked for, encoded by the same codecs the engine uses.</summary>
    private void WriteExtensions(TlsWriter w)
    {
        var extensions = new List<(ExtensionType Type, byte[] Data)>();
        if (ServerName is not null)
        {
            extensions.Add((ExtensionType.ServerName, ServerNameExtension.Encode(ServerName)));
        }

        if (SupportedGroups is { Count: > 0 })
        {
            extensions.Add((ExtensionType.SupportedGroups, SupportedGroupsExtension.Encode(SupportedGroups)));
        }

        if (EcPointFormats)
        {
            extensions.Add((ExtensionType.EcPointFormats, EcPointFormatsExtension.Encode()));
        }

        if (SignatureAlgorithms is { Count: > 0 })
        {
            extensions.Add((ExtensionType.SignatureAlgorithms, SignatureAlgorithmsExtension.Encode(SignatureAlgorithms)));
        }

        if (StatusRequest)
        {
            extensions.Add((ExtensionType.StatusRequest, StatusRequestExtension.EncodeOcsp()));
        }

        if (Alpn is { Count: > 0 })
        {
            extensions.Add((ExtensionType.ApplicationLayerProtocolNegotiation, AlpnExtension.Encode(Alpn)));
        }

        if (ExtendedMasterSecret)
        {
            extensions.Add((ExtensionType.ExtendedMasterSecret, []));
        }

        if (EncryptThenMac)
        {
            extensions.Add((ExtensionType.EncryptThenMac, []));
        }

        if (SessionTicket)
        {
            extensions.Add((ExtensionType.SessionTicket, []));
        }

        if (Heartbeat)
        {
            extensions.Add((ExtensionType.Heartbeat, [1]));   // peer_allowed_to_send (RFC 6520)
        }

        if (SupportedVersions is { Count: > 0 })
        {
            extensions.Add((ExtensionType.SupportedVersions, SupportedVersionsExtension.EncodeClientHello(SupportedVersions)));
            extensions.Add((ExtensionType.PskKeyExchangeModes, PskKeyExchangeModesExtension.Encode([1])));
        }

        if (KeyShares is not null)
        {
            extensions.Add((ExtensionType.KeyShare, KeyShareExtension.EncodeClientHello(KeyShares.Select(k => new KeyShareEntry(k.Group, k.KeyExchange)))));
        }

        if (RenegotiationInfo)
        {
            extensions.Add((ExtensionType.RenegotiationInfo, RenegotiationInfoExtension.Encode([])));
        }

        foreach (var (type, data) in extensions)
        {
            w.WriteUInt16((ushort)type);
            w.WriteVector16(data);
        }
    }

    /// <summary>
    /// An SSL 2.0 CLIENT-HELLO (two-byte header, MSB set): version 0x0002, the given 3-byte cipher kinds, no
    /// session ID, a 16-byte challenge.
    /// </summary>
    public static byte[] Ssl2ClientHello(IReadOnlyList<int> cipherKinds)
    {
        int length = 9 + (cipherKinds.Count * 3) + 16;
        var bytes = new byte[2 + length];
        bytes[0] = (byte)(0x80 | (length >> 8));
        bytes[1] = (byte)length;
        bytes[2] = 1;           // MSG-CLIENT-HELLO
        bytes[3] = 0x00;
        bytes[4] = 0x02;        // SSL 2.0
        bytes[5] = (byte)((cipherKinds.Count * 3) >> 8);
        bytes[6] = (byte)(cipherKinds.Count * 3);
        bytes[7] = 0;
        bytes[8] = 0;           // session-id length
        bytes[9] = 0;
        bytes[10] = 16;         // challenge length
        int at = 11;
        foreach (var kind in cipherKinds)
        {
            bytes[at++] = (byte)(kind >> 16);
            bytes[at++] = (byte)(kind >> 8);
            bytes[at++] = (byte)kind;
        }

        RandomNumberGenerator.Fill(bytes.AsSpan(at, 16));
        return bytes;
    }
}
