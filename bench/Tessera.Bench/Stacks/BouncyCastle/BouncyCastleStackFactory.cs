using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using Tessera.Pki;
using BcNamedGroup = Org.BouncyCastle.Tls.NamedGroup;

namespace Tessera.Bench.Stacks;

/// <summary>
/// BouncyCastle's TLS (<c>Org.BouncyCastle.Tls</c>, BouncyCastle.Cryptography 2.7.0) in blocking mode over the
/// transport streams, with its pure-managed <see cref="BcTlsCrypto"/>.
/// </summary>
/// <remarks>
/// <para>
/// BouncyCastle's API blocks, so each side of a handshake runs on a dedicated thread (<see cref="BouncyCastleThreads"/>,
/// not the thread pool). The streams handed back serve <c>ReadAsync</c>/<c>WriteAsync</c> from one such thread per
/// direction (read-ahead while data flows, write-behind), so async callers neither block nor deadlock, and an idle
/// connection holds no thread; <c>Read</c>/<c>Write</c> call BouncyCastle directly.
/// </para>
/// <para>
/// Supported: TLS 1.2 and TLS 1.3; the groups and suites BouncyCastle implements (TLS 1.2: ECDHE_ECDSA and ECDHE_RSA
/// suites); ECDSA P-256/P-384 and RSA-2048 certificates; TLS 1.2 session-ID resumption. Not supported: session tickets
/// (BouncyCastle's TLS has no ticket resumption in either version).
/// </para>
/// </remarks>
public sealed class BouncyCastleStackFactory : ITlsStackFactory
{
    /// <summary>Used only to ask what the provider implements.</summary>
    private static readonly Lazy<BcTlsCrypto> s_probe = new(() => new BcTlsCrypto(new SecureRandom()));

    /// <inheritdoc/>
    public string Name => "BouncyCastle";

    /// <inheritdoc/>
    public string? Unsupported(Scenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);

        if (scenario.Version is not (TlsProtocolVersion.Tls12 or TlsProtocolVersion.Tls13))
            return $"the adapter runs TLS 1.2 and TLS 1.3 only, not {scenario.Version}";
        bool tls13 = scenario.Version == TlsProtocolVersion.Tls13;

        switch (scenario.Resumption)
        {
            case Resumption.Ticket when tls13:
                return "no TLS 1.3 session tickets in BouncyCastle's TLS (its server never resumes; its client drops NewSessionTicket)";
            case Resumption.Ticket:
                return "no RFC 5077 tickets in BouncyCastle's TLS (only the NewSessionTicket message; no ticket resumption)";
            case Resumption.SessionId when tls13:
                return "session IDs resume TLS 1.2 only";
        }

        int suite = (int)scenario.Suite;
        var version = BouncyCastleStack.ToBc(scenario.Version);
        var crypto = s_probe.Value;
        if (!TlsUtilities.IsValidVersionForCipherSuite(suite, version))
            return $"{scenario.Suite} is not a {(tls13 ? "TLS 1.3" : "TLS 1.2")} cipher suite";
        if (!TlsUtilities.IsSupportedCipherSuite(crypto, suite))
            return $"BouncyCastle's TLS does not implement {scenario.Suite}";

        int group = (int)scenario.Group;
        if (!crypto.HasNamedGroup(group))
            return $"BouncyCastle's TLS does not implement the group {scenario.Group}";

        var signatures = BouncyCastleStack.ServerSignatures(scenario.CertificateKey, tls13);
        if (signatures.Length == 0)
            return $"the adapter has no server signature for {scenario.CertificateKey} keys";

        if (!tls13)
        {
            if (!BcNamedGroup.RefersToAnECDHCurve(group))
                return $"TLS 1.2 ECDHE needs an elliptic-curve group, not {scenario.Group}";
            bool ecKey = scenario.CertificateKey is CertificateKeyType.EcdsaP256 or CertificateKeyType.EcdsaP384;
            switch (TlsUtilities.GetKeyExchangeAlgorithm(suite))
            {
                case KeyExchangeAlgorithm.ECDHE_ECDSA when !ecKey:
                case KeyExchangeAlgorithm.ECDHE_RSA when ecKey:
                    return $"{scenario.Suite} does not fit a {scenario.CertificateKey} certificate";
                case KeyExchangeAlgorithm.ECDHE_ECDSA:
                case KeyExchangeAlgorithm.ECDHE_RSA:
                    break;
                default:
                    return "the adapter runs ECDHE cipher suites only";
            }
        }

        return null;
    }

    /// <inheritdoc/>
    public ITlsStack Create(Scenario scenario, BenchCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(credentials);
        var reason = Unsupported(scenario);
        if (reason is not null)
            throw new NotSupportedException($"BouncyCastle cannot run {scenario.Id}: {reason}");
        if (credentials.KeyType != scenario.CertificateKey)
            throw new ArgumentException($"{scenario.Id} needs {scenario.CertificateKey} credentials, got {credentials.KeyType}", nameof(credentials));
        return new BouncyCastleStack(scenario, credentials.RootDer, credentials.LeafDer, credentials.LeafPkcs8);
    }
}
