namespace Tessera.Sessions;

/// <summary>
/// Remembers which 0-RTT ClientHellos a server (or a whole fleet sharing the store) has already accepted, so a
/// replayed flight is never delivered twice (RFC 8446 §8.2). A store that cannot answer must say "seen": 0-RTT
/// is then refused and the connection goes on with a full 1-RTT handshake; it never fails open.
/// </summary>
public interface IAntiReplayStore
{
    /// <summary>
    /// Records <paramref name="key"/> for <paramref name="lifetime"/> if it is new, atomically. True: it was new and
    /// the early data may be accepted. False: it was seen before (a replay), or the store cannot tell.
    /// </summary>
    ValueTask<bool> TryAddAsync(ReadOnlyMemory<byte> key, TimeSpan lifetime, CancellationToken cancellationToken = default);
}
