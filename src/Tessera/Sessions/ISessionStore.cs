namespace Tessera.Sessions;

/// <summary>
/// Where a server keeps TLS 1.2 sessions by session ID (RFC 5246 §7.4.1.2), and TLS 1.3 sessions behind stateful,
/// single-use tickets (<see cref="TlsServerOptions.StatefulTickets"/>), so that a returning client is resumed
/// by whichever server it reaches when the store is shared (Tessera.Redis). Lookups are asynchronous; the handshake
/// waits for them without blocking. A store that cannot answer answers "not found": the handshake is then a full one.
/// </summary>
public interface ISessionStore
{
    /// <summary>Keeps <paramref name="session"/> under its session ID until it expires.</summary>
    ValueTask AddAsync(TlsSession session, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes and returns the session under <paramref name="sessionId"/>, atomically, so that it serves once (a TLS 1.3
    /// stateful ticket: a replayed ClientHello finds nothing); null when unknown, expired or unreachable.
    /// </summary>
    ValueTask<TlsSession?> TakeAsync(ReadOnlyMemory<byte> sessionId, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>The session stored under <paramref name="sessionId"/>, or null (unknown, expired, or the store unreachable).</summary>
    ValueTask<TlsSession?> FindAsync(ReadOnlyMemory<byte> sessionId, DateTimeOffset now, CancellationToken cancellationToken = default);
}
