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

    public static ClientHello Parse(ReadOnlySpan<byte> body)
    {
        var reader = new TlsReader(body);
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
        hello.Extensions = reader.IsEmpty ? [] : ExtensionBlock.Read(ref reader);
        reader.EnsureEmpty("ClientHello");

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
