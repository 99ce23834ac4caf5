namespace Tessera.Messages;

/// <summary>ServerHello and HelloRetryRequest (RFC 8446 §4.1.3, §4.1.4).</summary>
internal sealed class ServerHello
{
    // SHA-256("HelloRetryRequest").
    private static readonly byte[] HrrRandom =
    [
        0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
        0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
    ];

    public static ReadOnlySpan<byte> HelloRetryRequestRandom => HrrRandom;

    public ushort LegacyVersion { get; set; } = 0x0303;

    public byte[] Random { get; set; } = new byte[32];

    public byte[] LegacySessionIdEcho { get; set; } = [];

    public ushort CipherSuite { get; set; }

    public byte LegacyCompressionMethod { get; set; }

    public List<TlsExtension> Extensions { get; set; } = [];

    public bool IsHelloRetryRequest => Random.AsSpan().SequenceEqual(HrrRandom);

    /// <summary>A copy with other extensions (the HelloRetryRequest whose ECH confirmation is zeroed, RFC 9849 §7.2.1).</summary>
    public ServerHello WithExtensions(List<TlsExtension> extensions) => new()
    {
        LegacyVersion = LegacyVersion,
        Random = Random,
        LegacySessionIdEcho = LegacySessionIdEcho,
        CipherSuite = CipherSuite,
        LegacyCompressionMethod = LegacyCompressionMethod,
        Extensions = extensions,
    };

    public static ServerHello Parse(ReadOnlySpan<byte> body)
    {
        var reader = new TlsReader(body);
        var hello = new ServerHello
        {
            LegacyVersion = reader.ReadUInt16(),
            Random = reader.ReadBytes(32).ToArray(),
        };
        var sessionId = reader.ReadVector8();
        if (sessionId.Length > 32)
        {
            throw new TlsException(AlertDescription.DecodeError, "legacy_session_id_echo longer than 32 bytes");
        }

        hello.LegacySessionIdEcho = sessionId.ToArray();
        hello.CipherSuite = reader.ReadUInt16();
        hello.LegacyCompressionMethod = reader.ReadUInt8();
        hello.Extensions = reader.IsEmpty ? [] : ExtensionBlock.Read(ref reader);
        reader.EnsureEmpty("ServerHello");
        return hello;
    }

    public byte[] ToMessageBytes()
    {
        var w = new TlsWriter(256);
        w.WriteUInt16(LegacyVersion);
        w.WriteBytes(Random);
        w.WriteVector8(LegacySessionIdEcho);
        w.WriteUInt16(CipherSuite);
        w.WriteUInt8(LegacyCompressionMethod);
        ExtensionBlock.Write(w, Extensions);
        return HandshakeFraming.Frame(HandshakeType.ServerHello, w);
    }
}
