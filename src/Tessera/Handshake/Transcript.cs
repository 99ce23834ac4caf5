using System.Buffers.Binary;
using Tessera.Crypto;
using Tessera.Messages;

namespace Tessera.Handshake;

/// <summary>
/// The running transcript hash (RFC 8446 §4.4.1). Until the cipher suite (and so the hash) is known,
/// messages are kept; once it is, they are hashed and the hash continues incrementally.
/// </summary>
internal sealed class Transcript : IDisposable
{
    private readonly ICryptoProvider _crypto;
    private readonly List<byte[]> _pending = [];
    private ITranscriptHash? _hash;
    private MemoryStream? _messages;

    public Transcript(ICryptoProvider crypto) => _crypto = crypto;

    /// <summary>An independent copy of the running hash (for post-handshake authentication, which goes on from it).</summary>
    public Crypto.ITranscriptHash CloneHash() => _hash?.Clone() ?? throw new InvalidOperationException("Transcript hash algorithm not chosen yet.");

    public int HashLength => _hash?.HashLength ?? throw new InvalidOperationException("Transcript hash algorithm not chosen yet.");

    /// <summary>Keep every message as well as the hash (TLS 1.2 CertificateVerify signs the messages themselves).</summary>
    public void KeepMessages() => _messages ??= new MemoryStream();

    /// <summary>All messages added since <see cref="KeepMessages"/>.</summary>
    public byte[] Messages() => _messages?.ToArray() ?? throw new InvalidOperationException("Messages are not kept.");

    public void Add(ReadOnlySpan<byte> message)
    {
        _messages?.Write(message);
        if (_hash is null)
        {
            _pending.Add(message.ToArray());
        }
        else
        {
            _hash.Append(message);
        }
    }

    /// <summary>
    /// Before the hash is chosen: the one message kept so far (ClientHelloInner) gives way to another
    /// (ClientHelloOuter, when the server did not accept Encrypted Client Hello).
    /// </summary>
    public void ReplacePending(ReadOnlySpan<byte> message)
    {
        if (_hash is not null || _messages is not null || _pending.Count != 1)
        {
            throw new InvalidOperationException("Only the first ClientHello, before the hash is chosen, can be replaced.");
        }

        _pending.Clear();
        _pending.Add(message.ToArray());
    }

    public void SetAlgorithm(TlsHashAlgorithm algorithm)
    {
        if (_hash is not null)
        {
            if (_hash.Algorithm != algorithm)
            {
                throw new InvalidOperationException("Transcript hash algorithm already chosen.");
            }

            return;
        }

        _hash = _crypto.CreateHash(algorithm);
        foreach (var m in _pending)
        {
            _hash.Append(m);
        }

        _pending.Clear();
    }

    /// <summary>Transcript-Hash of everything so far.</summary>
    public byte[] CurrentHash()
    {
        var h = new byte[HashLength];
        _hash!.GetCurrentHash(h);
        return h;
    }

    /// <summary>
    /// Transcript-Hash of everything so far followed by <paramref name="extra"/>, without adding it (a PSK binder
    /// covers the ClientHello only up to the binders). Before the algorithm is chosen, <paramref name="algorithm"/> is used.
    /// </summary>
    public byte[] HashWith(TlsHashAlgorithm algorithm, ReadOnlySpan<byte> extra)
    {
        using var hash = _hash is { } running
            ? (running.Algorithm == algorithm ? running.Clone() : throw new InvalidOperationException("Transcript hash algorithm differs."))
            : _crypto.CreateHash(algorithm);
        if (_hash is null)
        {
            foreach (var m in _pending)
            {
                hash.Append(m);
            }
        }

        hash.Append(extra);
        var digest = new byte[hash.HashLength];
        hash.GetCurrentHash(digest);
        return digest;
    }

    /// <summary>
    /// After a HelloRetryRequest: the transcript restarts with a synthetic message_hash message that
    /// holds Hash(ClientHello1) (§4.4.1). Call with only ClientHello1 added so far.
    /// </summary>
    public void ReplaceWithMessageHash(TlsHashAlgorithm algorithm)
    {
        SetAlgorithm(algorithm);
        var clientHello1Hash = CurrentHash();
        _hash!.Dispose();
        _hash = _crypto.CreateHash(algorithm);
        Span<byte> header = stackalloc byte[4];
        header[0] = (byte)HandshakeType.MessageHash;
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)clientHello1Hash.Length);
        header[1] = 0;
        _hash.Append(header);
        _hash.Append(clientHello1Hash);
    }

    public void Dispose()
    {
        _messages?.Dispose();
        _hash?.Dispose();
        _pending.Clear();
    }
}
