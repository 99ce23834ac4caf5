namespace Tessera.Sessions;

/// <summary>
/// The keys that seal session tickets (TLS 1.2 RFC 5077 and TLS 1.3). Every server of a fleet that should resume
/// each other's tickets uses the same ring: <see cref="TicketKeyRing"/> in one process or from a shared file, or a
/// ring kept in a shared store (Tessera.Redis).
/// </summary>
public interface ITicketKeyRing
{
    /// <summary>Seals <paramref name="state"/> under the current key (key name, nonce, ciphertext, tag).</summary>
    byte[] Seal(ReadOnlySpan<byte> state);

    /// <summary>The state inside <paramref name="ticket"/>, or null when its key is not held (retired, never known) or it was altered.</summary>
    byte[]? Open(ReadOnlySpan<byte> ticket);
}
