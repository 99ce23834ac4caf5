using System.Security.Cryptography;
using Tessera.Crypto;
using Tessera.Crypto.Hpke;
using Tessera.Messages;

namespace Tessera.Ech;

/// <summary>
/// A client's Encrypted Client Hello for one connection (RFC 9849 §6): the chosen ECHConfig and its HPKE sender
/// context, which seals the first and (after a HelloRetryRequest) the second inner ClientHello; or, with no
/// configuration, a GREASE extension that only looks like one (§6.2.1).
/// </summary>
internal sealed class EchClientContext : IDisposable
{
    private const int TagLength = 16;   // every HPKE AEAD offered here (AES-GCM, ChaCha20-Poly1305) has a 16-byte tag

    private readonly ICryptoProvider _crypto;
    private HpkeContext? _hpke;
    private readonly byte[] _enc = [];
    private byte[]? _greaseExtension;

    private EchClientContext(ICryptoProvider crypto, EchConfig? config, HpkeSuite suite, HpkeContext? hpke, byte[] enc)
    {
        _crypto = crypto;
        Config = config;
        Suite = suite;
        _hpke = hpke;
        _enc = enc;
        OuterRandom = new byte[32];
        crypto.GetRandomBytes(OuterRandom);
    }

    /// <summary>The configuration in use; null for GREASE.</summary>
    public EchConfig? Config { get; }

    public bool IsGrease => Config is null;

    public HpkeSuite Suite { get; }

    /// <summary>ClientHelloOuter.random: fresh, never the inner one (§6.1, rule 4).</summary>
    public byte[] OuterRandom { get; }

    /// <summary>Null until the server's first message tells; then whether it used the inner ClientHello.</summary>
    public bool? Accepted { get; set; }

    /// <summary>True once a HelloRetryRequest confirmed acceptance: the ServerHello must confirm it too (§6.1.5).</summary>
    public bool AcceptedByHelloRetryRequest { get; set; }

    /// <summary>The ClientHelloOuter last sent (handshake message bytes), for the transcript if the server rejects ECH.</summary>
    public byte[] OuterMessage { get; private set; } = [];

    /// <summary>With a key log: the HPKE shared secret (RFC 9850's ECH_SECRET), to be logged and wiped.</summary>
    public byte[]? KeyLogSecret { get; private set; }

    /// <summary>retry_configs from EncryptedExtensions after a rejection.</summary>
    public byte[]? RetryConfigs { get; set; }

    /// <summary>Chooses the first configuration of <paramref name="configList"/> this client can use (§6.1) and sets up HPKE for it.</summary>
    public static EchClientContext Offer(ReadOnlySpan<byte> configList, ICryptoProvider crypto, bool forKeyLog = false)
    {
        // §6.1: the first configuration this client supports. Without one the connection fails rather than show the
        // server name in the clear (RFC 9849 would send GREASE; the application asked for ECH).
        foreach (var config in EchConfigList.Parse(configList).Where(c => c.IsUsable))
        {
            var suite = config.PreferredSuite!;
            var info = EchConfig.HpkeInfo(config.Encode());
            var secret = forKeyLog ? new byte[32] : null;
            try
            {
                var (enc, context) = Hpke.SetupBaseSender(suite, config.PublicKey, info, crypto, secret);
                return new EchClientContext(crypto, config, suite, context, enc) { KeyLogSecret = secret };
            }
            catch (CryptographicException)
            {
                // A public key X25519 refuses (a low-order point): skip this configuration.
            }
        }

        throw new TlsException(AlertDescription.InternalError,
            "no configuration in the ECHConfigList is usable (Tessera offers ECH with DHKEM(X25519) and AES-GCM or ChaCha20-Poly1305, and a DNS public name)");
    }

    /// <summary>A GREASE ECH: random config_id, enc and payload in the form a real one would have (§6.2.1).</summary>
    public static EchClientContext Grease(ICryptoProvider crypto)
    {
        // §6.2.1: the suite varies over those a real offer could use.
        Span<byte> pick = stackalloc byte[1];
        crypto.GetRandomBytes(pick);
        var suite = (pick[0] % 3) switch
        {
            0 => HpkeSuite.X25519Sha256Aes128Gcm,
            1 => HpkeSuite.X25519Sha256ChaCha20Poly1305,
            _ => new HpkeSuite(HpkeKem.DhkemX25519HkdfSha256, HpkeKdf.HkdfSha256, HpkeAead.Aes256Gcm),
        };
        return new EchClientContext(crypto, null, suite, null, []);
    }

    /// <summary>Extensions that stay in the inner hello only: the real name, the marker, the PSK, and ALPN (it can tell the service apart, §10.5).</summary>
    private static bool InnerOnly(ushort type) =>
        type is (ushort)ExtensionType.ServerName or (ushort)ExtensionType.EncryptedClientHello or (ushort)ExtensionType.PreSharedKey
            or (ushort)ExtensionType.ApplicationLayerProtocolNegotiation;

    /// <summary>The types the inner and outer hellos share byte for byte, compressed out of the inner one.</summary>
    private static HashSet<ushort> Compressible(ClientHello inner) => [.. inner.Extensions.Select(e => e.Type).Where(t => !InnerOnly(t))];

    /// <summary>
    /// Builds and seals ClientHelloOuter for <paramref name="inner"/> (complete, binders filled in): the public name in
    /// server_name, a GREASE pre_shared_key in place of a real one (§6.1.2), the other extensions copied and compressed
    /// away from the encoded inner hello. After a HelloRetryRequest enc is empty and the same HPKE context seals again.
    /// </summary>
    public byte[] SealOuter(ClientHello inner, bool afterHelloRetryRequest)
    {
        var config = Config ?? throw new InvalidOperationException("GREASE ECH seals nothing");
        var compressed = Compressible(inner);
        var encodedInner = EncodedClientHelloInner.Encode(inner, compressed, config.MaximumNameLength);
        var extensions = new List<TlsExtension>();
        TlsExtension? psk = null;
        foreach (var ext in inner.Extensions)
        {
            switch ((ExtensionType)ext.Type)
            {
                case ExtensionType.ServerName:
                    extensions.Add(new TlsExtension(ext.Type, ServerNameExtension.Encode(config.PublicName)));
                    break;
                case ExtensionType.EncryptedClientHello or ExtensionType.ApplicationLayerProtocolNegotiation:
                    break;
                case ExtensionType.PreSharedKey:
                    psk = GreasePsk(ext.Data);
                    break;
                default:
                    extensions.Add(ext);
                    break;
            }
        }

        if (ExtensionBlock.Find(inner.Extensions, ExtensionType.ServerName) is null)
        {
            // §6.1, rule 5: the outer hello names the public name even when the inner one names nothing.
            extensions.Insert(0, new TlsExtension((ushort)ExtensionType.ServerName, ServerNameExtension.Encode(config.PublicName)));
        }

        var placeholder = new EncryptedClientHelloExtension(true, new EchCipherSuite(Suite.Kdf, Suite.Aead), config.ConfigId,
            afterHelloRetryRequest ? [] : _enc, new byte[encodedInner.Length + TagLength]);
        int echIndex = extensions.Count;
        extensions.Add(new TlsExtension((ushort)ExtensionType.EncryptedClientHello, placeholder.Encode()));
        if (psk is not null)
        {
            extensions.Add(psk);   // pre_shared_key stays last (RFC 8446 §4.2.11); its binders are random, so ECH can be sealed over it
        }

        var outer = inner.With(extensions, random: OuterRandom);

        // §5.2, §6.1.1: the AAD is the outer ClientHello (no handshake header) with a zero payload of the final length.
        var aad = outer.ToMessageBytes();
        var payload = _hpke!.Seal(aad.AsSpan(4), encodedInner);
        CryptographicOperations.ZeroMemory(encodedInner);
        extensions[echIndex] = new TlsExtension((ushort)ExtensionType.EncryptedClientHello, (placeholder with { Payload = payload }).Encode());
        OuterMessage = outer.ToMessageBytes();
        return OuterMessage;
    }

    /// <summary>
    /// The GREASE encrypted_client_hello for <paramref name="hello"/> (the hello without it): a random config_id and enc,
    /// and a random payload as long as a real one for this hello would be. A second ClientHello repeats it (§6.2.1).
    /// </summary>
    public TlsExtension GreaseExtension(ClientHello hello)
    {
        if (_greaseExtension is null)
        {
            int length = EncodedClientHelloInner.Encode(hello, Compressible(hello), 0).Length + TagLength;
            var enc = new byte[32];
            var payload = new byte[length];
            Span<byte> configId = stackalloc byte[1];
            _crypto.GetRandomBytes(enc);
            _crypto.GetRandomBytes(payload);
            _crypto.GetRandomBytes(configId);
            _greaseExtension = new EncryptedClientHelloExtension(true, new EchCipherSuite(Suite.Kdf, Suite.Aead), configId[0], enc, payload).Encode();
        }

        return new TlsExtension((ushort)ExtensionType.EncryptedClientHello, _greaseExtension);
    }

    /// <summary>§6.1.2: identities, ages and binders of the inner offer's lengths, all random.</summary>
    private TlsExtension GreasePsk(byte[] innerPsk)
    {
        var (identities, binders) = PreSharedKeyExtension.ParseClientHello(innerPsk);
        var fake = identities.Select(i =>
        {
            var identity = new byte[i.Identity.Length];
            Span<byte> age = stackalloc byte[4];
            _crypto.GetRandomBytes(identity);
            _crypto.GetRandomBytes(age);
            return new PskIdentity(identity, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(age));
        }).ToList();
        var lengths = binders.Select(b => b.Length).ToList();
        var data = PreSharedKeyExtension.EncodeClientHello(fake, lengths);
        int offset = data.Length - PreSharedKeyExtension.BindersLength(lengths);
        foreach (int length in lengths)
        {
            _crypto.GetRandomBytes(data.AsSpan(offset + 1, length));
            offset += 1 + length;
        }

        return new TlsExtension((ushort)ExtensionType.PreSharedKey, data);
    }

    /// <summary>Disposes the HPKE context (and its keys) once no hello is left to seal.</summary>
    public void ReleaseHpke()
    {
        _hpke?.Dispose();
        _hpke = null;
    }

    public void Dispose() => ReleaseHpke();
}
