using Tessera.Messages;

namespace Tessera.Cli.Scan;

/// <summary>A server's answer to one probe hello.</summary>
internal sealed class ProbeAnswer
{
    public ProbeOutcome Outcome { get; set; }

    public AlertDescription? Alert { get; set; }

    public ServerHello? Hello { get; set; }

    /// <summary>The version the server chose (supported_versions in TLS 1.3, else the ServerHello's version).</summary>
    public ushort Version { get; set; }

    public bool IsHelloRetryRequest => Hello?.IsHelloRetryRequest == true;

    /// <summary>The group in a HelloRetryRequest's or ServerHello's key_share.</summary>
    public ushort? KeyShareGroup { get; set; }

    public List<byte[]> Certificates { get; } = [];

    public byte[]? Staple { get; set; }

    public byte[]? ServerKeyExchange { get; set; }

    public bool ServerHelloDone { get; set; }

    public byte[] FirstBytes { get; set; } = [];

    /// <summary>The cipher kinds an SSL 2.0 SERVER-HELLO listed.</summary>
    public List<int> Ssl2Ciphers { get; } = [];

    public bool HasExtension(ExtensionType type) => Hello is not null && ExtensionBlock.Find(Hello.Extensions, type) is not null;

    public byte[]? Extension(ExtensionType type) => Hello is null ? null : ExtensionBlock.Find(Hello.Extensions, type)?.Data;

    public ushort? Suite => Outcome == ProbeOutcome.Hello ? Hello?.CipherSuite : null;

    public override string ToString() => Outcome switch
    {
        ProbeOutcome.Hello => $"{(IsHelloRetryRequest ? "HelloRetryRequest" : "ServerHello")} {ScanNames.Version(Version)} {CipherSuiteCatalog.NameOf(Hello!.CipherSuite)}",
        ProbeOutcome.Alert => $"alert {Alert?.ToRfcName()}",
        _ => Outcome.ToString(),
    };
}

/// <summary>
/// Opens probe connections to one target, at most a few at a time, and reads their answers. Counts connections so
/// the report can say how many a scan took.
/// </summary>
internal sealed class Prober(ScanTarget target)
{
    private readonly SemaphoreSlim _slots = new(4);
    private int _connections;

    public ScanTarget Target => target;

    public int Connections => _connections;

    /// <summary>Runs <paramref name="work"/> on a fresh connection (one of at most four at a time).</summary>
    public async Task<T> WithSessionAsync<T>(Func<ProbeSession, Task<T>> work, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken);
        try
        {
            Interlocked.Increment(ref _connections);
            await using var session = await ProbeSession.ConnectAsync(target, cancellationToken);
            return await work(session);
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>A slot for work that opens its own connection (the engine's probes).</summary>
    public async Task<T> WithSlotAsync<T>(Func<Task<T>> work, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken);
        try
        {
            Interlocked.Increment(ref _connections);
            return await work();
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>Sends <paramref name="hello"/> and reads the answer: the ServerHello, and with <paramref name="untilDone"/> the rest of a TLS ≤ 1.2 server flight.</summary>
    public Task<ProbeAnswer> HelloAsync(ProbeHello hello, bool untilDone, CancellationToken cancellationToken) =>
        WithSessionAsync(async session =>
        {
            await session.SendAsync(hello.ToRecord(), cancellationToken);
            return await ReadAnswerAsync(session, untilDone, cancellationToken);
        }, cancellationToken);

    public async Task<ProbeAnswer> ReadAnswerAsync(ProbeSession session, bool untilDone, CancellationToken cancellationToken)
    {
        var answer = new ProbeAnswer { Outcome = ProbeOutcome.Closed };
        var deadline = DateTime.UtcNow + target.Timeout;
        while (true)
        {
            var wait = new HandshakeWait();
            var message = await session.ReadHandshakeAsync(deadline, wait, cancellationToken);
            answer.FirstBytes = session.FirstBytes;
            if (message is not { } m)
            {
                if (wait.Other is { Type: ContentType.Alert, Fragment.Length: >= 2 } alert)
                {
                    answer.Alert = (AlertDescription)alert.Fragment[1];
                    if (answer.Hello is null)
                    {
                        answer.Outcome = ProbeOutcome.Alert;
                    }
                }
                else if (answer.Hello is null)
                {
                    answer.Outcome = wait.Other is not null ? ProbeOutcome.NotTls : wait.Failure ?? ProbeOutcome.Closed;
                }

                return answer;
            }

            try
            {
                switch (m.Type)
                {
                    case HandshakeType.ServerHello when answer.Hello is null:
                        answer.Hello = ServerHello.Parse(m.Body);
                        answer.Outcome = ProbeOutcome.Hello;
                        answer.Version = answer.Hello.LegacyVersion;
                        if (answer.Extension(ExtensionType.SupportedVersions) is { Length: 2 } selected)
                        {
                            answer.Version = (ushort)((selected[0] << 8) | selected[1]);
                        }

                        if (answer.Extension(ExtensionType.KeyShare) is { Length: >= 2 } share)
                        {
                            answer.KeyShareGroup = (ushort)((share[0] << 8) | share[1]);
                        }

                        if (!untilDone || answer.Version >= 0x0304 || answer.IsHelloRetryRequest)
                        {
                            return answer;
                        }

                        break;
                    case HandshakeType.Certificate:
                        answer.Certificates.AddRange(Certificate12.Parse(m.Body).Certificates);
                        break;
                    case HandshakeType.CertificateStatus when m.Body.Length > 4 && m.Body[0] == 1:
                        answer.Staple = m.Body[4..];
                        break;
                    case HandshakeType.ServerKeyExchange:
                        answer.ServerKeyExchange = m.Body;
                        break;
                    case HandshakeType.ServerHelloDone:
                        answer.ServerHelloDone = true;
                        return answer;
                    default:
                        break;
                }
            }
            catch (TlsException)
            {
                // A malformed message: keep what came before it.
                if (answer.Hello is null)
                {
                    answer.Outcome = ProbeOutcome.NotTls;
                }

                return answer;
            }
        }
    }

    /// <summary>Sends an SSL 2.0 CLIENT-HELLO and reads a SERVER-HELLO, if any.</summary>
    public Task<ProbeAnswer> Ssl2HelloAsync(IReadOnlyList<int> cipherKinds, CancellationToken cancellationToken) =>
        WithSessionAsync(async session =>
        {
            await session.SendAsync(ProbeHello.Ssl2ClientHello(cipherKinds), cancellationToken);
            var deadline = DateTime.UtcNow + target.Timeout;
            var (record, failure) = await session.ReadRecordAsync(deadline, cancellationToken);
            var answer = new ProbeAnswer { Outcome = failure, FirstBytes = session.FirstBytes };
            if (record is { Type: ContentType.Alert, Fragment.Length: >= 2 } alert)
            {
                answer.Outcome = ProbeOutcome.Alert;
                answer.Alert = (AlertDescription)alert.Fragment[1];
            }
            else if (record is not null)
            {
                answer.Outcome = ProbeOutcome.NotTls;
            }
            else if (failure == ProbeOutcome.Ssl2Hello && await session.ReadSsl2RecordAsync(deadline, cancellationToken) is { Length: >= 11 } body && body[0] == 4)
            {
                // SERVER-HELLO: type, session-id-hit, certificate type, version(2), certificate length(2), cipher-specs length(2), connection-id length(2)
                int certLength = (body[5] << 8) | body[6];
                int specsLength = (body[7] << 8) | body[8];
                int at = 11 + certLength;
                for (int i = 0; i + 2 < specsLength && at + i + 2 < body.Length; i += 3)
                {
                    answer.Ssl2Ciphers.Add((body[at + i] << 16) | (body[at + i + 1] << 8) | body[at + i + 2]);
                }
            }
            else if (failure == ProbeOutcome.Ssl2Hello)
            {
                answer.Outcome = ProbeOutcome.NotTls;
            }

            return answer;
        }, cancellationToken);
}
