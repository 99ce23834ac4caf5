using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Tessera.Sessions;

/// <summary>
/// What a connection leaves behind for resumption: for TLS 1.2 (RFC 5246 §7.4.1.2, RFC 5077) the master
/// secret and the parameters it belongs to; for TLS 1.3 (RFC 8446 §4.6.1) one ticket with the PSK derived
/// for it. It holds a secret: store and move it as carefully as a key.
/// </summary>
public sealed class TlsSession
{
    private const byte FormatVersion = 2;   // 1: without the peer's certificates (still read)
    private const byte FormatVersion13 = 3;
    private const int MaxChainLength = 10;

    /// <summary>RFC 8446 §4.6.1: a ticket lives at most seven days.</summary>
    public static readonly TimeSpan MaxTls13Lifetime = TimeSpan.FromDays(7);

    /// <summary>A TLS 1.3 ticket: the PSK (from resumption_master_secret and the ticket nonce) and what it may be used for.</summary>
    internal TlsSession(CipherSuite suite, byte[] psk, byte[] ticket, uint ticketAgeAdd, string? serverName, string? applicationProtocol, uint maxEarlyDataSize,
        DateTimeOffset createdAt, TimeSpan lifetime, IReadOnlyList<byte[]>? peerCertificateChain, bool peerCertificateVerified, byte[]? stateId = null)
        : this(suite, psk, extendedMasterSecret: true, stateId ?? [], ticket, serverName, createdAt, lifetime, peerCertificateChain, peerCertificateVerified)
    {
        TicketAgeAdd = ticketAgeAdd;
        ApplicationProtocol = applicationProtocol;
        MaxEarlyDataSize = maxEarlyDataSize;
    }

    internal TlsSession(CipherSuite suite, byte[] masterSecret, bool extendedMasterSecret, byte[] sessionId, byte[] ticket, string? serverName, DateTimeOffset createdAt, TimeSpan lifetime,
        IReadOnlyList<byte[]>? peerCertificateChain = null, bool peerCertificateVerified = false)
    {
        PeerCertificateChain = peerCertificateChain ?? [];
        PeerCertificateVerified = peerCertificateVerified && PeerCertificateChain.Count > 0;
        CipherSuite = suite;
        MasterSecret = masterSecret;
        ExtendedMasterSecret = extendedMasterSecret;
        SessionId = sessionId;
        Ticket = ticket;
        ServerName = serverName;
        CreatedAt = createdAt;
        Lifetime = lifetime;
    }

    /// <summary>The protocol version: TLS 1.3 for a ticket-based PSK, TLS 1.2 otherwise.</summary>
    public TlsProtocolVersion Version => CipherSuites.Find(CipherSuite)?.Version == TlsProtocolVersion.Tls13 ? TlsProtocolVersion.Tls13 : TlsProtocolVersion.Tls12;

    /// <summary>TLS 1.3: the ticket_age_add the server chose, which hides the ticket's age on the wire (§4.6.1).</summary>
    internal uint TicketAgeAdd { get; }

    /// <summary>TLS 1.3: the ALPN protocol of the original connection (early data must use the same, §4.2.10).</summary>
    public string? ApplicationProtocol { get; }

    /// <summary>TLS 1.3: how much early data the server will take with this ticket (0: none).</summary>
    public uint MaxEarlyDataSize { get; }

    /// <summary>The cipher suite the session was established with; resumption must use it again.</summary>
    public CipherSuite CipherSuite { get; }

    /// <summary>True when the master secret is an extended one (RFC 7627); Tessera resumes only such sessions.</summary>
    public bool ExtendedMasterSecret { get; }

    /// <summary>The server's session ID (TLS 1.2; empty when only a ticket identifies the session), or a TLS 1.3 stateful ticket's ID (server side).</summary>
    public byte[] SessionId { get; }

    /// <summary>The ticket (RFC 5077) to present, or empty.</summary>
    public byte[] Ticket { get; internal set; }

    /// <summary>The SNI host name of the original connection; a server resumes only for the same name.</summary>
    public string? ServerName { get; }

    /// <summary>When the session was created.</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>How long the session may be resumed.</summary>
    public TimeSpan Lifetime { get; }

    /// <summary>TLS 1.2: the master secret. TLS 1.3: the resumption PSK.</summary>
    internal byte[] MasterSecret { get; }

    /// <summary>
    /// The peer's certificate chain as the original handshake saw it (the server's, for a client; the client's,
    /// if it sent one, for a server): a resumed connection reports the same identity.
    /// </summary>
    public IReadOnlyList<byte[]> PeerCertificateChain { get; }

    /// <summary>Whether that chain was verified when the session was established.</summary>
    public bool PeerCertificateVerified { get; }

    /// <summary>True when the session is past its lifetime at <paramref name="now"/>.</summary>
    public bool IsExpiredAt(DateTimeOffset now) => now - CreatedAt >= Lifetime || CreatedAt - now > TimeSpan.FromMinutes(5);   // differences never overflow

    /// <summary>Serializes the session (secret included), e.g. for <c>s_client -sess_out</c>.</summary>
    public byte[] Export() => Version == TlsProtocolVersion.Tls13 ? Export13() : Export12();

    private byte[] Export13()
    {
        var w = new Messages.TlsWriter(256 + Ticket.Length + PeerCertificateChain.Sum(c => 3 + c.Length));
        w.WriteUInt8(FormatVersion13);
        w.WriteUInt16((ushort)CipherSuite);
        w.WriteVector8(MasterSecret);
        w.WriteVector16(Ticket);
        w.WriteVector8(SessionId);
        w.WriteUInt32(TicketAgeAdd);
        w.WriteVector8(Encoding.ASCII.GetBytes(ServerName ?? ""));
        w.WriteVector8(Encoding.ASCII.GetBytes(ApplicationProtocol ?? ""));
        w.WriteUInt32(MaxEarlyDataSize);
        ulong created = (ulong)CreatedAt.ToUnixTimeMilliseconds();
        w.WriteUInt32((uint)(created >> 32));
        w.WriteUInt32((uint)created);
        w.WriteUInt32((uint)Lifetime.TotalSeconds);
        w.WriteUInt8(PeerCertificateVerified ? (byte)1 : (byte)0);
        w.WriteUInt8((byte)PeerCertificateChain.Count);
        foreach (var certificate in PeerCertificateChain)
        {
            w.WriteVector24(certificate);
        }

        return w.ToArray();
    }

    private static TlsSession Import13(ReadOnlySpan<byte> data)
    {
        var r = new Messages.TlsReader(data);
        r.ReadUInt8();
        var suite = (CipherSuite)r.ReadUInt16();
        var psk = r.ReadVector8().ToArray();
        var ticket = r.ReadVector16().ToArray();
        var stateId = r.ReadVector8().ToArray();
        uint ageAdd = r.ReadUInt32();
        var name = Encoding.ASCII.GetString(r.ReadVector8());
        var alpn = Encoding.ASCII.GetString(r.ReadVector8());
        uint maxEarlyData = r.ReadUInt32();
        ulong createdMs = ((ulong)r.ReadUInt32() << 32) | r.ReadUInt32();
        if (createdMs > (ulong)DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            throw new FormatException("Malformed session.");
        }

        var created = DateTimeOffset.FromUnixTimeMilliseconds((long)createdMs);
        var lifetime = TimeSpan.FromSeconds(r.ReadUInt32());
        bool verified = r.ReadUInt8() == 1;
        int count = r.ReadUInt8();
        if (count > MaxChainLength)
        {
            throw new FormatException("Malformed session.");
        }

        var chain = new List<byte[]>();
        for (int i = 0; i < count; i++)
        {
            chain.Add(r.ReadVector24().ToArray());
        }

        r.EnsureEmpty("session");
        if (CipherSuites.Find(suite) is not { Version: TlsProtocolVersion.Tls13 } info || psk.Length != info.HashLength || lifetime > MaxTls13Lifetime)
        {
            throw new FormatException("Malformed session.");
        }

        return new TlsSession(suite, psk, ticket, ageAdd, name.Length == 0 ? null : name, alpn.Length == 0 ? null : alpn, maxEarlyData, created, lifetime, chain, verified, stateId);
    }

    private byte[] Export12()
    {
        var name = Encoding.ASCII.GetBytes(ServerName ?? "");
        int chainLength = 2 + PeerCertificateChain.Sum(c => 3 + c.Length);
        var buffer = new byte[1 + 2 + 1 + 1 + MasterSecret.Length + 1 + SessionId.Length + 2 + Ticket.Length + 1 + name.Length + 8 + 4 + chainLength];
        var span = buffer.AsSpan();
        int o = 0;
        span[o++] = FormatVersion;
        BinaryPrimitives.WriteUInt16BigEndian(span[o..], (ushort)CipherSuite);
        o += 2;
        span[o++] = ExtendedMasterSecret ? (byte)1 : (byte)0;
        o = WriteVector8(span, o, MasterSecret);
        o = WriteVector8(span, o, SessionId);
        BinaryPrimitives.WriteUInt16BigEndian(span[o..], (ushort)Ticket.Length);
        Ticket.CopyTo(span[(o + 2)..]);
        o += 2 + Ticket.Length;
        o = WriteVector8(span, o, name);
        BinaryPrimitives.WriteInt64BigEndian(span[o..], CreatedAt.ToUnixTimeSeconds());
        BinaryPrimitives.WriteUInt32BigEndian(span[(o + 8)..], (uint)Lifetime.TotalSeconds);
        o += 12;
        span[o++] = PeerCertificateVerified ? (byte)1 : (byte)0;
        span[o++] = (byte)PeerCertificateChain.Count;
        foreach (var certificate in PeerCertificateChain)
        {
            span[o] = (byte)(certificate.Length >> 16);
            BinaryPrimitives.WriteUInt16BigEndian(span[(o + 1)..], (ushort)certificate.Length);
            certificate.CopyTo(span[(o + 3)..]);
            o += 3 + certificate.Length;
        }

        return buffer;
    }

    /// <summary>Reads a session written by <see cref="Export"/>; throws <see cref="FormatException"/> for anything else.</summary>
    public static TlsSession Import(ReadOnlySpan<byte> data)
    {
        try
        {
            if (!data.IsEmpty && data[0] == FormatVersion13)
            {
                try
                {
                    return Import13(data);
                }
                catch (TlsException ex)
                {
                    throw new FormatException("Malformed session.", ex);
                }
            }

            int o = 0;
            byte format = data[o++];
            if (format is not (1 or FormatVersion))
            {
                throw new FormatException("Unknown session format.");
            }

            var suite = (CipherSuite)BinaryPrimitives.ReadUInt16BigEndian(data[o..]);
            o += 2;
            bool ems = data[o++] == 1;
            var master = ReadVector8(data, ref o);
            var id = ReadVector8(data, ref o);
            int ticketLength = BinaryPrimitives.ReadUInt16BigEndian(data[o..]);
            var ticket = data.Slice(o + 2, ticketLength).ToArray();
            o += 2 + ticketLength;
            var name = Encoding.ASCII.GetString(ReadVector8(data, ref o));
            var created = DateTimeOffset.FromUnixTimeSeconds(BinaryPrimitives.ReadInt64BigEndian(data[o..]));
            var lifetime = TimeSpan.FromSeconds(BinaryPrimitives.ReadUInt32BigEndian(data[(o + 8)..]));
            o += 12;
            var chain = new List<byte[]>();
            bool verified = false;
            if (format >= 2)
            {
                verified = data[o++] == 1;
                int count = data[o++];
                if (count > MaxChainLength)
                {
                    throw new FormatException("Malformed session.");
                }

                for (int i = 0; i < count; i++)
                {
                    int length = (data[o] << 16) | BinaryPrimitives.ReadUInt16BigEndian(data[(o + 1)..]);
                    chain.Add(data.Slice(o + 3, length).ToArray());
                    o += 3 + length;
                }
            }

            if (o != data.Length || master.Length != 48 || CipherSuites.Find(suite) is not { Version: TlsProtocolVersion.Tls12 })
            {
                throw new FormatException("Malformed session.");
            }

            return new TlsSession(suite, master, ems, id, ticket, name.Length == 0 ? null : name, created, lifetime, chain, verified);
        }
        catch (Exception ex) when (ex is ArgumentOutOfRangeException or IndexOutOfRangeException)
        {
            throw new FormatException("Truncated session.", ex);
        }
    }

    /// <summary>Wipes the master secret.</summary>
    public void Clear() => CryptographicOperations.ZeroMemory(MasterSecret);

    private static int WriteVector8(Span<byte> span, int offset, ReadOnlySpan<byte> value)
    {
        span[offset] = (byte)value.Length;
        value.CopyTo(span[(offset + 1)..]);
        return offset + 1 + value.Length;
    }

    private static byte[] ReadVector8(ReadOnlySpan<byte> data, ref int offset)
    {
        int length = data[offset];
        var value = data.Slice(offset + 1, length).ToArray();
        offset += 1 + length;
        return value;
    }
}
