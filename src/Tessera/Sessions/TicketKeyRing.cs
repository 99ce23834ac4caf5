using System.Security.Cryptography;

namespace Tessera.Sessions;

/// <summary>
/// Keys that seal session tickets (RFC 5077 §4's recommended shape with AES-256-GCM): each ticket is
/// key_name(16) + nonce(12) + ciphertext + tag(16). The ring keeps the current key and the previous
/// one, so tickets issued just before a rotation still resume. Share one ring across a server's
/// connections (and, later, across a fleet).
/// </summary>
public sealed class TicketKeyRing : IDisposable
{
    private const int NameLength = 16;
    private const int NonceLength = 12;
    private const int TagLength = 16;
    private readonly Lock _gate = new();
    private (byte[] Name, AesGcm Aead)? _current;
    private (byte[] Name, AesGcm Aead)? _previous;

    /// <summary>Creates a ring with one fresh random key.</summary>
    public TicketKeyRing() => Rotate();

    /// <summary>Makes a fresh key current; the current one becomes the previous; the previous is destroyed.</summary>
    public void Rotate()
    {
        var name = RandomNumberGenerator.GetBytes(NameLength);
        var key = RandomNumberGenerator.GetBytes(32);
        var aead = new AesGcm(key, TagLength);
        CryptographicOperations.ZeroMemory(key);
        lock (_gate)
        {
            _previous?.Aead.Dispose();
            _previous = _current;
            _current = (name, aead);
        }
    }

    /// <summary>Destroys both keys.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _previous?.Aead.Dispose();
            _current?.Aead.Dispose();
            _previous = _current = null;
        }
    }

    internal byte[] Seal(ReadOnlySpan<byte> state)
    {
        lock (_gate)
        {
            var (name, aead) = _current ?? throw new ObjectDisposedException(nameof(TicketKeyRing));
            var ticket = new byte[NameLength + NonceLength + state.Length + TagLength];
            name.CopyTo(ticket, 0);
            var nonce = ticket.AsSpan(NameLength, NonceLength);
            RandomNumberGenerator.Fill(nonce);
            aead.Encrypt(nonce, state, ticket.AsSpan(NameLength + NonceLength, state.Length), ticket.AsSpan(ticket.Length - TagLength), ticket.AsSpan(0, NameLength));
            return ticket;
        }
    }

    /// <summary>The state inside a ticket, or null when the key is unknown (rotated out) or the ticket was altered.</summary>
    internal byte[]? Open(ReadOnlySpan<byte> ticket)
    {
        if (ticket.Length < NameLength + NonceLength + TagLength)
        {
            return null;
        }

        lock (_gate)
        {
            var name = ticket[..NameLength];
            AesGcm? aead = _current is { } c && name.SequenceEqual(c.Name) ? c.Aead
                : _previous is { } p && name.SequenceEqual(p.Name) ? p.Aead : null;
            if (aead is null)
            {
                return null;
            }

            var state = new byte[ticket.Length - NameLength - NonceLength - TagLength];
            try
            {
                aead.Decrypt(ticket.Slice(NameLength, NonceLength), ticket.Slice(NameLength + NonceLength, state.Length), ticket[^TagLength..], state, name);
                return state;
            }
            catch (AuthenticationTagMismatchException)
            {
                return null;
            }
        }
    }
}
