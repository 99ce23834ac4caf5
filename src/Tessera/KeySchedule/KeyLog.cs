namespace Tessera.KeySchedule;

/// <summary>
/// Receives secrets in the NSS key log format (SSLKEYLOGFILE) so tools such as Wireshark can decrypt
/// a capture. Only called when the user turns key logging on.
/// </summary>
public interface IKeyLogWriter
{
    /// <summary>Writes one line: <c>LABEL client_random_hex secret_hex</c>.</summary>
    void WriteLine(string line);
}

/// <summary>NSS key log labels (draft-ietf-tls-keylogfile) and line formatting.</summary>
internal static class KeyLogLabels
{
    public const string ClientEarlyTrafficSecret = "CLIENT_EARLY_TRAFFIC_SECRET";
    public const string ClientHandshakeTrafficSecret = "CLIENT_HANDSHAKE_TRAFFIC_SECRET";
    public const string ServerHandshakeTrafficSecret = "SERVER_HANDSHAKE_TRAFFIC_SECRET";
    public const string ClientTrafficSecret0 = "CLIENT_TRAFFIC_SECRET_0";
    public const string ServerTrafficSecret0 = "SERVER_TRAFFIC_SECRET_0";
    public const string ExporterSecret = "EXPORTER_SECRET";
    public const string ClientRandom = "CLIENT_RANDOM";

    /// <summary>RFC 9850: the HPKE shared secret of Encrypted Client Hello, under ClientHelloOuter.random.</summary>
    public const string EchSecret = "ECH_SECRET";

    /// <summary>RFC 9850: the ECHConfig the ClientHelloOuter was sealed to, under ClientHelloOuter.random.</summary>
    public const string EchConfig = "ECH_CONFIG";

    public static void Log(IKeyLogWriter? writer, string label, ReadOnlySpan<byte> clientRandom, ReadOnlySpan<byte> secret)
    {
        writer?.WriteLine($"{label} {Convert.ToHexStringLower(clientRandom)} {Convert.ToHexStringLower(secret)}");
    }
}

/// <summary>Appends key log lines to a file, one line per write, safe across threads.</summary>
public sealed class FileKeyLogWriter : IKeyLogWriter
{
    private readonly string _path;
    private readonly Lock _gate = new();

    /// <summary>Creates a writer appending to <paramref name="path"/>.</summary>
    public FileKeyLogWriter(string path) => _path = path;

    /// <inheritdoc />
    public void WriteLine(string line)
    {
        lock (_gate)
        {
            File.AppendAllText(_path, line + "\n");
        }
    }
}
