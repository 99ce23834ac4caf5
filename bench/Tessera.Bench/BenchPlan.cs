using Tessera.Bench.Stacks;
using Tessera.Pki;

namespace Tessera.Bench;

/// <summary>What `tessera bench` measures, in report order.</summary>
public static class BenchPlan
{
    /// <summary>The kinds of workload.</summary>
    public enum Kind
    {
        /// <summary>Handshakes per second.</summary>
        Handshake,

        /// <summary>Bulk MB/s.</summary>
        Bulk,

        /// <summary>Memory per idle connection.</summary>
        IdleMemory,
    }

    /// <summary>One line of the report.</summary>
    /// <param name="Id">Stable id (for <c>--only</c> and the JSON).</param>
    /// <param name="Title">Words for the table.</param>
    /// <param name="Kind">Which workload.</param>
    /// <param name="Scenario">The configuration.</param>
    /// <param name="WriteSize">Bulk: bytes per application write.</param>
    public sealed record Item(string Id, string Title, Kind Kind, Scenario Scenario, int WriteSize = 0);

    private static Scenario Tls13(string id, NamedGroup group, CertificateKeyType key, CipherSuite suite = CipherSuite.TLS_AES_128_GCM_SHA256,
        Resumption resumption = Resumption.None) => new(id, TlsProtocolVersion.Tls13, group, key, suite, resumption);

    private static Scenario Tls12(string id, Resumption resumption = Resumption.None) =>
        new(id, TlsProtocolVersion.Tls12, NamedGroup.X25519, CertificateKeyType.EcdsaP256, CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, resumption);

    /// <summary>Every item, in report order.</summary>
    public static IReadOnlyList<Item> All { get; } =
    [
        new("handshake.full.tls13-x25519-ecdsa", "full TLS 1.3, X25519, ECDSA P-256", Kind.Handshake, Tls13("tls13-x25519-ecdsa", NamedGroup.X25519, CertificateKeyType.EcdsaP256)),
        new("handshake.full.tls13-x25519-rsa", "full TLS 1.3, X25519, RSA-2048", Kind.Handshake, Tls13("tls13-x25519-rsa", NamedGroup.X25519, CertificateKeyType.Rsa2048)),
        new("handshake.full.tls13-p256-ecdsa", "full TLS 1.3, P-256, ECDSA P-256", Kind.Handshake, Tls13("tls13-p256-ecdsa", NamedGroup.Secp256r1, CertificateKeyType.EcdsaP256)),
        new("handshake.full.tls12-x25519-ecdsa", "full TLS 1.2, ECDHE-ECDSA-AES128-GCM", Kind.Handshake, Tls12("tls12-x25519-ecdsa")),
        new("handshake.resumed.tls13-ticket", "resumed TLS 1.3, ticket, psk_dhe_ke", Kind.Handshake, Tls13("tls13-ticket", NamedGroup.X25519, CertificateKeyType.EcdsaP256, resumption: Resumption.Ticket)),
        new("handshake.resumed.tls12-ticket", "resumed TLS 1.2, ticket", Kind.Handshake, Tls12("tls12-ticket", Resumption.Ticket)),
        new("handshake.resumed.tls12-id", "resumed TLS 1.2, session ID", Kind.Handshake, Tls12("tls12-id", Resumption.SessionId)),
        .. Bulk("aes128gcm", "AES-128-GCM", CipherSuite.TLS_AES_128_GCM_SHA256),
        .. Bulk("aes256gcm", "AES-256-GCM", CipherSuite.TLS_AES_256_GCM_SHA384),
        .. Bulk("chacha20", "ChaCha20-Poly1305", CipherSuite.TLS_CHACHA20_POLY1305_SHA256),
        new("memory.idle", "idle TLS 1.3 connection", Kind.IdleMemory, Tls13("tls13-x25519-ecdsa", NamedGroup.X25519, CertificateKeyType.EcdsaP256)),
    ];

    private static IEnumerable<Item> Bulk(string id, string name, CipherSuite suite)
    {
        var scenario = Tls13("tls13-" + id, NamedGroup.X25519, CertificateKeyType.EcdsaP256, suite);
        yield return new($"bulk.{id}.16k", $"bulk {name}, 16 KiB writes", Kind.Bulk, scenario, 16 * 1024);
        yield return new($"bulk.{id}.1k", $"bulk {name}, 1 KiB writes", Kind.Bulk, scenario, 1024);
    }

    /// <summary>The items whose id contains one of <paramref name="only"/> (all when empty).</summary>
    public static IReadOnlyList<Item> Select(IReadOnlyList<string> only)
    {
        ArgumentNullException.ThrowIfNull(only);
        return only.Count == 0 ? All : [.. All.Where(i => only.Any(o => i.Id.Contains(o, StringComparison.OrdinalIgnoreCase)))];
    }
}
