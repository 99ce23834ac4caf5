using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Tessera.Sessions;

/// <summary>
/// What a TLS 1.2 connection leaves behind for resumption (RFC 5246 §7.4.1.2, RFC 5077): the master
/// secret and the parameters it belongs to. It holds a secret: store and move it as carefully as a key.
/// </summary>
public sealed class TlsSession
{
    private const byte FormatVersion = 2;   // 1: without the peer's certificates (still read)
    private const int MaxChainLength = 10;

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

    /// <summary>The protocol version (TLS 1.2).</summary>
    public TlsProtocolVersion Version => TlsProtocolVersion.Tls12;

    /// <summary>The cipher suite the session was established with; resumption must use it again.</summary>
    public CipherSuite CipherSuite { get; }

    /// <summary>True when the master secret is an extended one (RFC 7627); Tessera resumes only such sessions.</summary>
    public bool ExtendedMasterSecret { get; }

    /// <summary>The server's session ID (may be empty when only a ticket identifies the session).</summary>
    public byte[] SessionId { get; }

    /// <summary>The ticket (RFC 5077) to present, or empty.</summary>
    public byte[] Ticket { get; internal set; }

    /// <summary>The SNI host name of the original connection; a server resumes only for the same name.</summary>
    public string? ServerName { get; }

    /// <summary>When the session was created.</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>How long the session may be resumed.</summary>
    public TimeSpan Lifetime { get; }

    internal byte[] MasterSecret { get; }

    /// <summary>
    /// The peer's certificate chain as the original handshake saw it (the server's, for a client; the client's,
    /// if it sent one, for a server): a resumed connection reports the same identity.
    /// </summary>
    public IReadOnlyList<byte[]> PeerCertificateChain { get; }

    /// <summary>Whether that chain was verified when the session was established.</summary>
    public bool PeerCertificateVerified { get; }

    /// <summary>True when the session is past its lifetime at <paramref name="now"/>.</summary>
    public bool IsExpiredAt(DateTimeOffset now) => now >= CreatedAt + Lifetime || now < CreatedAt - TimeSpan.FromMinutes(5);

    /// <summary>Serializes the session (secret included), e.g. for <c>s_client -sess_out</c>.</summary>
    public byte[] Export()
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
