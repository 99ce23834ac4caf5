namespace Tessera.Messages;

/// <summary>ClientHello (RFC 8446 §4.1.2).</summary>
internal sealed class ClientHello
{
    public ushort LegacyVersion { get; set; } = 0x0303;

    public byte[] Random { get; set; } = new byte[32];

    public byte[] LegacySessionId { get; set; } = [];

    public ushort[] CipherSuites { get; set; } = [];

    public byte[] LegacyCompressionMethods { get; set; } = [0];

    public List<TlsExtension> Extensions { get; set; } = [];

    /// <summary>A copy with other extensions, and optionally another random and legacy_session_id (ECH's inner and outer hellos).</summary>
    public ClientHello With(List<TlsExtension> extensions, byte[]? random = null, byte[]? legacySessionId = null) => new()
    {
        LegacyVersion = LegacyVersion,
        Random = random ?? Random,
        LegacySessionId = legacySessionId ?? LegacySessionId,
        CipherSuites = CipherSuites,
        LegacyCompressionMethods = LegacyCompressionMethods,
        Extensions = extensions,
    };

    public static ClientHello Parse(ReadOnlySpan<byte> body)
    {
        var reader = new TlsReader(body);
        var hello = Read(ref reader, extensionsRequired: false);
        reader.EnsureEmpty("ClientHello");
        return hello;
    }

    /// <summary>
    /// Reads a ClientHello (with extensions) from the start of <paramref name="data"/> and returns how many bytes it
    /// took: an EncodedClientHelloInner is followed by its padding (RFC 9849 §5.1).
    /// </summary>
    public static ClientHello ParsePrefix(ReadOnlySpan<byte> data, out int length)
    {
        var reader = new TlsReader(data);
        var hello = Read(ref reader, extensionsRequired: true);
        length = data.Length - reader.Remaining;
        return hello;
    }

    private static ClientHello Read(ref TlsReader reader, bool extensionsRequired)
    {
        var hello = new ClientHello
        {
            LegacyVersion = reader.ReadUInt16(),
            Random = reader.ReadBytes(32).ToArray(),
        };
        var sessionId = reader.ReadVector8();
        if (sessionId.Length > 32)
        {
            throw new TlsException(AlertDescription.DecodeError, "legacy_session_id longer than 32 bytes");
        }

        hello.LegacySessionId = sessionId.ToArray();
        var suites = reader.ReadVector16();
        if (suites.Length < 2 || suites.Length % 2 != 0)
        {
            throw new TlsException(AlertDescription.DecodeError, "cipher_suites must hold at least one two-byte code");
        }

        hello.CipherSuites = new ushort[suites.Length / 2];
        for (int i = 0; i < hello.CipherSuites.Length; i++)
        {
            hello.CipherSuites[i] = (ushort)((suites[2 * i] << 8) | suites[2 * i + 1]);
        }

        var compression = reader.ReadVector8();
        if (compression.IsEmpty)
        {
            throw new TlsException(AlertDescription.DecodeError, "legacy_compression_methods is empty");
        }

        hello.LegacyCompressionMethods = compression.ToArray();

        // A ClientHello from before extensions existed ends here (RFC 5246 §7.4.1.2).
        hello.Extensions = reader.IsEmpty && !extensionsRequired ? [] : ExtensionBlock.Read(ref reader);

        int psk = hello.Extensions.FindIndex(e => e.Type == (ushort)ExtensionType.PreSharedKey);
        if (psk >= 0 && psk != hello.Extensions.Count - 1)
        {
            // §4.2.11: pre_shared_key must be the last extension.
            throw new TlsException(AlertDescription.IllegalParameter, "pre_shared_key is not the last extension");
        }

        return hello;
    }

    public byte[] ToMessageBytes()
    {
        var w = new TlsWriter(512);
        w.WriteUInt16(LegacyVersion);
        w.WriteBytes(Random);
        w.WriteVector8(LegacySessionId);
        int suites = w.BeginVector(2);
        foreach (var suite in CipherSuites)
        {
            w.WriteUInt16(suite);
        }

        w.EndVector(suites);
        w.WriteVector8(LegacyCompressionMethods);
        ExtensionBlock.Write(w, Extensions);
        return HandshakeFraming.Frame(HandshakeType.ClientHello, w);
    }
}
