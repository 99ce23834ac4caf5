using System.Globalization;
using System.Security.Cryptography;

namespace Tessera.Sessions;

/// <summary>
/// Ticket keys in this process (RFC 5077 §4's recommended shape with AES-256-GCM): each ticket is key_name(16) +
/// nonce(12) + ciphertext + tag(16), the key name bound as associated data. The ring holds the current key, the
/// previous one (tickets issued before a rotation still open) and the next one (generated ahead, so a ring that
/// shares its keys can hand it out before it seals anything). With a <see cref="RotationInterval"/> it rotates
/// itself: the next key is promoted, the previous retired and its key destroyed. A ring loaded from a file
/// (<see cref="Load"/>) holds the file's keys and rotates only when the file is loaded again.
/// </summary>
public sealed class TicketKeyRing : ITicketKeyRing, IDisposable
{
    /// <summary>Bytes of a key name.</summary>
    public const int NameLength = 16;

    /// <summary>Bytes of an AES-256 key.</summary>
    public const int KeyLength = 32;

    private const int NonceLength = 12;
    private const int TagLength = 16;
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly List<(byte[] Name, AesGcm Aead)> _openOnly = [];
    private (byte[] Name, AesGcm Aead)? _current;
    private (byte[] Name, AesGcm Aead)? _previous;
    private (byte[] Name, AesGcm Aead)? _next;
    private DateTimeOffset _currentSince;
    private bool _disposed;

    /// <summary>Creates a ring with fresh random keys, rotating every <paramref name="rotationInterval"/> (null: only when <see cref="Rotate"/> is called).</summary>
    public TicketKeyRing(TimeSpan? rotationInterval = null, TimeProvider? timeProvider = null)
    {
        if (rotationInterval is { } interval)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero, nameof(rotationInterval));
        }

        RotationInterval = rotationInterval;
        _time = timeProvider ?? TimeProvider.System;
        _next = Generate();
        Rotate();
    }

    private TicketKeyRing(List<(byte[] Name, byte[] Key)> keys)
    {
        _time = TimeProvider.System;
        _current = (keys[0].Name, new AesGcm(keys[0].Key, TagLength));
        foreach (var (name, key) in keys.Skip(1))
        {
            _openOnly.Add((name, new AesGcm(key, TagLength)));
        }

        foreach (var (_, key) in keys)
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>How often the ring rotates itself; null when it does not.</summary>
    public TimeSpan? RotationInterval { get; }

    /// <summary>
    /// Loads a static fleet's keys: one per line, 96 hex digits each (a 16-byte key name, then a 32-byte AES-256 key,
    /// as <c>openssl rand -hex 48</c> makes them); the first line's key seals, every line's opens. Blank lines and
    /// lines starting with '#' are skipped. At most 16 keys.
    /// </summary>
    /// <exception cref="FormatException">The file is not in that form (the message names the line, never a key).</exception>
    public static TicketKeyRing Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var keys = new List<(byte[] Name, byte[] Key)>();
        int lineNumber = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            if (line.Length != 2 * (NameLength + KeyLength) || !line.All(Uri.IsHexDigit) || keys.Count == 16)
            {
                throw new FormatException(keys.Count == 16
                    ? $"{path}: more than 16 ticket keys"
                    : string.Create(CultureInfo.InvariantCulture, $"{path}, line {lineNumber}: expected {2 * (NameLength + KeyLength)} hex digits (key name and AES-256 key)"));
            }

            var bytes = Convert.FromHexString(line);
            keys.Add((bytes[..NameLength], bytes[NameLength..]));
            CryptographicOperations.ZeroMemory(bytes);
        }

        return keys.Count == 0 ? throw new FormatException($"{path}: no ticket key") : new TicketKeyRing(keys);
    }

    /// <summary>
    /// A ring of given keys (for rings kept elsewhere, e.g. in a shared store): the first seals, all open. The key bytes
    /// are copied into the ciphers and wiped from <paramref name="keys"/>.
    /// </summary>
    public static TicketKeyRing FromKeys(IReadOnlyList<(byte[] Name, byte[] Key)> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0 || keys.Any(k => k.Name.Length != NameLength || k.Key.Length != KeyLength))
        {
            throw new ArgumentException($"Each ticket key needs a {NameLength}-byte name and a {KeyLength}-byte key.", nameof(keys));
        }

        return new TicketKeyRing([.. keys]);
    }

    /// <summary>Promotes the next key to current; the current becomes the previous; the previous is destroyed; a new next key is made.</summary>
    public void Rotate()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            RotateLocked();
        }
    }

    private void RotateLocked()
    {
        _previous?.Aead.Dispose();
        _previous = _current;
        _current = _next ?? Generate();
        _next = Generate();
        _currentSince = _time.GetUtcNow();
    }

    private static (byte[] Name, AesGcm Aead) Generate()
    {
        var name = RandomNumberGenerator.GetBytes(NameLength);
        var key = RandomNumberGenerator.GetBytes(KeyLength);
        var aead = new AesGcm(key, TagLength);
        CryptographicOperations.ZeroMemory(key);
        return (name, aead);
    }

    /// <summary>Rotates when the current key has served its interval; after two intervals or more, the old current key is retired too.</summary>
    private void RotateIfDue()
    {
        if (RotationInterval is { } interval && _time.GetUtcNow() - _currentSince is var elapsed && elapsed >= interval)
        {
            RotateLocked();
            if (elapsed >= 2 * interval)
            {
                RotateLocked();
            }
        }
    }

    /// <summary>Destroys every key.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _previous?.Aead.Dispose();
            _current?.Aead.Dispose();
            _next?.Aead.Dispose();
            _openOnly.ForEach(k => k.Aead.Dispose());
            _openOnly.Clear();
            _previous = _current = _next = null;
            _disposed = true;
        }
    }

    /// <inheritdoc />
    public byte[] Seal(ReadOnlySpan<byte> state)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            RotateIfDue();
            var (name, aead) = _current!.Value;
            var ticket = new byte[NameLength + NonceLength + state.Length + TagLength];
            name.CopyTo(ticket, 0);
            var nonce = ticket.AsSpan(NameLength, NonceLength);
            RandomNumberGenerator.Fill(nonce);
            aead.Encrypt(nonce, state, ticket.AsSpan(NameLength + NonceLength, state.Length), ticket.AsSpan(ticket.Length - TagLength), ticket.AsSpan(0, NameLength));
            return ticket;
        }
    }

    /// <inheritdoc />
    public byte[]? Open(ReadOnlySpan<byte> ticket)
    {
        if (ticket.Length < NameLength + NonceLength + TagLength)
        {
            return null;
        }

        lock (_gate)
        {
            if (_disposed)
            {
                return null;
            }

            RotateIfDue();
            var name = ticket[..NameLength];
            AesGcm? aead = null;
            foreach (var candidate in new[] { _current, _previous, _next }.OfType<(byte[] Name, AesGcm Aead)>().Concat(_openOnly))
            {
                if (name.SequenceEqual(candidate.Name))
                {
                    aead = candidate.Aead;
                    break;
                }
            }

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
