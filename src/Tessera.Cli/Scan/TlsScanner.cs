using System.Security.Cryptography.X509Certificates;
using System.Diagnostics;
using Tessera.Messages;

namespace Tessera.Cli.Scan;

/// <summary>What a scan does besides the defaults.</summary>
internal sealed record ScanSettings
{
    /// <summary>Check revocation of the chain (OCSP, else CRL) over the network.</summary>
    public bool CheckRevocation { get; init; }

    /// <summary>Trust anchors (null: the system store).</summary>
    public string? CaFile { get; init; }

    /// <summary>Send an HTTP request to learn HSTS (when the server speaks HTTP).</summary>
    public bool Http { get; init; } = true;

    /// <summary>Run the active vulnerability probes (Heartbleed, CCS injection, ROBOT).</summary>
    public bool VulnerabilityProbes { get; init; } = true;
}

/// <summary>Reports a scan's progress: a step's name and how far the whole scan is (0..1).</summary>
internal interface IScanProgress
{
    void Report(string step, double fraction);
}

/// <summary>
/// Grades a TLS server the way SSL Labs does: which protocols, suites, groups and signature algorithms it accepts
/// (raw hellos, so nothing is limited to what Tessera negotiates), its certificate (through Tessera's engine and
/// path validation), its features and its known weaknesses, then a grade by the rules in docs/scan-grading.md.
/// </summary>
internal sealed partial class TlsScanner(ScanTarget target, ScanSettings settings, IScanProgress progress)
{
    private readonly Prober _prober = new(target);
    private readonly ScanReport _report = new();
    private readonly Dictionary<ushort, ProbeAnswer> _versionAnswers = [];
    private readonly Dictionary<ushort, List<CatalogSuite>> _suites = [];

    private static readonly string[] Steps =
        ["protocols", "cipher suites", "groups and signature algorithms", "certificate", "resumption and renegotiation", "features", "vulnerabilities"];

    private int _step;

    private void Step(string name)
    {
        progress.Report(name, (double)_step / Steps.Length);
        _step++;
    }

    public async Task<ScanReport> RunAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        _report.Target = target.ToString();
        _report.ServerName = target.ServerName;
        _report.StartTls = target.StartTls == StartTlsProtocol.None ? null : target.StartTls.ToString().ToLowerInvariant();
        _report.Started = DateTimeOffset.UtcNow;

        Step(Steps[0]);
        await ProbeProtocolsAsync(cancellationToken);
        Step(Steps[1]);
        await ProbeSuitesAsync(cancellationToken);
        Step(Steps[2]);
        await Task.WhenAll(ProbeGroups13Async(cancellationToken), ProbeGroups12Async(cancellationToken), ProbeDhAsync(cancellationToken), ProbeSignatureAlgorithms12Async(cancellationToken));
        Step(Steps[3]);
        await Task.WhenAll(ProbeCertificateAsync(cancellationToken), ProbeSignatureAlgorithms13Async(cancellationToken));
        Step(Steps[4]);
        await Task.WhenAll(ProbeResumptionAsync(cancellationToken), ProbeRenegotiationAsync(cancellationToken));
        Step(Steps[5]);
        await Task.WhenAll(ProbeAlpnAsync(cancellationToken), ProbeHttpAsync(cancellationToken), ProbeFallbackScsvAsync(cancellationToken), ProbeCompressionAsync(cancellationToken),
            ProbeEchAsync(cancellationToken));
        Step(Steps[6]);
        if (settings.VulnerabilityProbes)
        {
            await Task.WhenAll(ProbeHeartbleedAsync(cancellationToken), ProbeCcsInjectionAsync(cancellationToken), ProbeRobotAsync(cancellationToken));
        }

        foreach (var (name, verdict) in Verdicts.OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            _report.Vulnerabilities[name] = verdict;
        }

        ScanFindings.Add(_report);
        ScanGrader.Grade(_report);
        progress.Report("done", 1);
        _report.Connections = _prober.Connections;
        _report.Seconds = Math.Round(clock.Elapsed.TotalSeconds, 1);
        return _report;
    }

    /// <summary>Runs a probe whose failure should not end the scan; its error goes into the report.</summary>
    private async Task Guard(string what, Func<Task> probe)
    {
        try
        {
            await probe();
        }
        catch (ScanException ex)
        {
            lock (_report)
            {
                _report.Errors.Add($"{what}: {ex.Message}");
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Whatever one probe meets (a malformed answer, a reset, a certificate nothing can parse) is that probe's
            // result; the scan goes on and says so.
            lock (_report)
            {
                _report.Errors.Add($"{what}: {Program.Describe(ex)}");
            }
        }
    }

    private ProbeHello Hello(ushort version, IEnumerable<ushort> suites)
    {
        var hello = new ProbeHello
        {
            ServerName = target.ServerName,
            CipherSuites = [.. suites],
        };
        if (version == ScanNames.Tls13)
        {
            hello.ClientVersion = ScanNames.Tls12;
            hello.SupportedVersions = [ScanNames.Tls13];
            hello.KeyShares = [];
            hello.SupportedGroups = [.. ScanNames.Groups];
            hello.SignatureAlgorithms = [.. ScanNames.SignatureSchemes];
            hello.SessionId = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        }
        else
        {
            hello.ClientVersion = version;
            hello.RecordVersion = version == ScanNames.Ssl3 ? ScanNames.Ssl3 : ScanNames.Tls10;
            hello.SupportedGroups = [.. ScanNames.EcCurves];
            hello.SignatureAlgorithms = version == ScanNames.Tls12 ? [.. ScanNames.SignatureSchemes] : null;
            hello.NoExtensions = version == ScanNames.Ssl3;
            if (version == ScanNames.Ssl3)
            {
                hello.CipherSuites.Add(0x00FF);   // TLS_EMPTY_RENEGOTIATION_INFO_SCSV in place of the extension
            }
        }

        return hello;
    }

    private static IEnumerable<CatalogSuite> SuitesFor(ushort version) => CipherSuiteCatalog.All.Where(s =>
        version == ScanNames.Tls13 ? s.IsTls13 : !s.IsTls13 && (version == ScanNames.Tls12 || !s.RequiresTls12));

    private async Task ProbeProtocolsAsync(CancellationToken cancellationToken)
    {
        // The first connection says whether anything TLS is there at all; its failure ends the scan with one line.
        var first = await _prober.HelloAsync(Hello(ScanNames.Tls12, SuitesFor(ScanNames.Tls12).Select(s => s.Code)), untilDone: true, cancellationToken);
        if (first.Outcome == ProbeOutcome.NotTls)
        {
            throw new ScanException($"{target}: not a TLS server (it answered \"{ProbeSession.Describe(first.FirstBytes)}\")");
        }

        var tasks = ScanNames.Versions.Select(async version =>
        {
            ProbeAnswer answer = version switch
            {
                ScanNames.Ssl2 => await _prober.Ssl2HelloAsync([.. ScanNames.Ssl2Ciphers.Keys], cancellationToken),
                ScanNames.Tls12 => first,
                _ => await _prober.HelloAsync(Hello(version, SuitesFor(version).Select(s => s.Code)), untilDone: true, cancellationToken),
            };
            return (version, answer);
        }).ToList();
        var answers = await Task.WhenAll(tasks);
        foreach (var (version, answer) in answers)
        {
            bool supported = version == ScanNames.Ssl2
                ? answer.Ssl2Ciphers.Count > 0 || answer.Outcome == ProbeOutcome.Ssl2Hello
                : answer.Outcome == ProbeOutcome.Hello && answer.Version == version;
            if (supported)
            {
                _versionAnswers[version] = answer;
            }

            _report.Protocols.Add(new ProtocolReport
            {
                Name = ScanNames.Version(version),
                Supported = supported,
                Note = version == ScanNames.Ssl2 && supported ? string.Join(", ", answer.Ssl2Ciphers.Select(c => ScanNames.Ssl2Ciphers.GetValueOrDefault(c, $"0x{c:X6}"))) : null,
            });
        }

        if (_versionAnswers.Count == 0)
        {
            var outcomes = answers.Where(a => a.version != ScanNames.Ssl2).Select(a => a.answer).ToList();
            throw new ScanException(outcomes.All(a => a.Outcome == ProbeOutcome.Timeout)
                ? $"{target}: no TLS answer within {target.Timeout.TotalSeconds:0} s to any hello"
                : outcomes.FirstOrDefault(a => a.Outcome == ProbeOutcome.Alert) is { } alerted
                    ? $"{target}: the server refused every hello (alert {alerted.Alert?.ToRfcName()}): no protocol version or cipher suite in common"
                    : $"{target}: the server closed the connection without answering any hello");
        }
    }

    private async Task ProbeSuitesAsync(CancellationToken cancellationToken)
    {
        var versions = _versionAnswers.Keys.Where(v => v != ScanNames.Ssl2).Order().ToList();
        var lists = await Task.WhenAll(versions.Select(v => EnumerateSuitesAsync(v, cancellationToken)));
        for (int i = 0; i < versions.Count; i++)
        {
            _suites[versions[i]] = lists[i].Suites;
            _report.CipherSuites.Add(new SuiteListReport
            {
                Protocol = ScanNames.Version(versions[i]),
                ServerOrder = lists[i].ServerOrder,
                Suites = [.. lists[i].Suites.Select(s => new SuiteReport
                {
                    Name = s.Name,
                    Code = $"0x{s.Code:X4}",
                    KeyExchange = s.KeyExchange,
                    Cipher = s.Cipher,
                    Bits = s.KeyBits,
                    ForwardSecrecy = s.ForwardSecret,
                    Strength = s.Insecure ? "insecure" : s.SmallBlock || s.Mode == BulkMode.Cbc || !s.ForwardSecret ? "weak" : "strong",
                })],
            });
        }
    }

    /// <summary>
    /// Offers every remaining suite and takes out the one the server picks until it refuses: the suites it accepts in
    /// the order it chose them. Then the same suites reversed: a server that still picks the first has its own order.
    /// </summary>
    private async Task<(List<CatalogSuite> Suites, bool? ServerOrder)> EnumerateSuitesAsync(ushort version, CancellationToken cancellationToken)
    {
        var remaining = SuitesFor(version).ToList();
        var accepted = new List<CatalogSuite>();
        while (remaining.Count > 0)
        {
            var answer = await _prober.HelloAsync(Hello(version, remaining.Select(s => s.Code)), untilDone: false, cancellationToken);
            if (answer.Outcome != ProbeOutcome.Hello || answer.Version != version || remaining.Find(s => s.Code == answer.Suite) is not { } picked)
            {
                break;
            }

            accepted.Add(picked);
            remaining.Remove(picked);
        }

        bool? serverOrder = null;
        if (accepted.Count >= 2)
        {
            var reversed = await _prober.HelloAsync(Hello(version, accepted.Select(s => s.Code).Reverse()), untilDone: false, cancellationToken);
            serverOrder = reversed.Suite == accepted[0].Code ? true : reversed.Suite == accepted[^1].Code ? false : null;
        }

        return (accepted, serverOrder);
    }

    private async Task ProbeGroups13Async(CancellationToken cancellationToken)
    {
        if (!_versionAnswers.ContainsKey(ScanNames.Tls13))
        {
            return;
        }

        await Guard("TLS 1.3 groups", async () =>
        {
            var suites = _suites[ScanNames.Tls13].Select(s => s.Code).ToList();
            var (groups, serverOrder) = await EnumerateAsync([.. ScanNames.Groups], async offered =>
            {
                var hello = Hello(ScanNames.Tls13, suites);
                hello.SupportedGroups = offered;
                var answer = await _prober.HelloAsync(hello, untilDone: false, cancellationToken);
                return answer.Outcome == ProbeOutcome.Hello && answer.Version == ScanNames.Tls13 ? answer.KeyShareGroup : null;
            });
            _report.Groups.Tls13 = [.. groups.Select(ScanNames.Group)];
            _report.Groups.Tls13ServerOrder = serverOrder;
        });
    }

    private async Task ProbeGroups12Async(CancellationToken cancellationToken)
    {
        ushort? version = Best12();
        if (version is not { } v || !_suites[v].Any(s => s.IsEcdhe && s.NeedsNoSecret))
        {
            return;
        }

        await Guard("ECDHE curves", async () =>
        {
            var ecdhe = _suites[v].Where(s => s.IsEcdhe && s.NeedsNoSecret).Select(s => s.Code).ToList();
            // In TLS 1.2 supported_groups also limits an ECDSA certificate's curve (RFC 8422 §5.1): a server with only
            // ECDHE_ECDSA suites needs its own curve in every offer, so it goes last when it is not being asked about.
            ushort? certificateCurve = _suites[v].Any(s => s.IsEcdhe && s.Authentication == "RSA") ? null : EcdsaCurveOf(_versionAnswers[v].Certificates);
            var (groups, serverOrder) = await EnumerateAsync([.. ScanNames.EcCurves], async offered =>
            {
                var hello = Hello(v, ecdhe);
                hello.SupportedGroups = certificateCurve is { } curve && !offered.Contains(curve) ? [.. offered, curve] : offered;
                var answer = await _prober.HelloAsync(hello, untilDone: true, cancellationToken);
                return answer.ServerKeyExchange is { Length: >= 3 } ske && ske[0] == 3 ? (ushort)((ske[1] << 8) | ske[2]) : null;
            });
            _report.Groups.Tls12 = [.. groups.Select(ScanNames.Group)];
            _report.Groups.Tls12ServerOrder = serverOrder;
        });
    }

    private static ushort? EcdsaCurveOf(List<byte[]> chain)
    {
        if (chain.Count == 0)
        {
            return null;
        }

        using var certificate = X509CertificateLoader.LoadCertificate(chain[0]);
        using var key = certificate.GetECDsaPublicKey();
        return key?.KeySize switch
        {
            256 => (ushort)NamedGroup.Secp256r1,
            384 => (ushort)NamedGroup.Secp384r1,
            521 => (ushort)NamedGroup.Secp521r1,
            _ => null,
        };
    }

    /// <summary>The highest version ≤ TLS 1.2 the server speaks, if any.</summary>
    private ushort? Best12() => _versionAnswers.Keys.Where(v => v is >= ScanNames.Ssl3 and <= ScanNames.Tls12).Order().LastOrDefault() is var v and > 0 ? v : null;

    /// <summary>The same take-out loop as for suites, for anything the server picks one of (groups, signature schemes).</summary>
    private static async Task<(List<ushort> Picked, bool? ServerOrder)> EnumerateAsync(List<ushort> candidates, Func<List<ushort>, Task<ushort?>> pick)
    {
        var remaining = candidates.ToList();
        var picked = new List<ushort>();
        while (remaining.Count > 0 && await pick(remaining) is { } choice && remaining.Remove(choice))
        {
            picked.Add(choice);
        }

        bool? serverOrder = null;
        if (picked.Count >= 2)
        {
            var again = await pick([.. Enumerable.Reverse(picked)]);
            serverOrder = again == picked[0] ? true : again == picked[^1] ? false : null;
        }

        return (picked, serverOrder);
    }

    private async Task ProbeDhAsync(CancellationToken cancellationToken)
    {
        ushort? version = Best12();
        if (version is not { } v || _suites[v].FirstOrDefault(s => s.IsDhe && s.NeedsNoSecret) is not { } dhe)
        {
            return;
        }

        await Guard("DH parameters", async () =>
        {
            // Once as an old client (EC curves only), once offering the RFC 7919 groups: the smaller prime counts.
            int? smallest = null;
            foreach (var groups in new List<ushort>[] { [.. ScanNames.EcCurves], [.. ScanNames.EcCurves, 256, 257, 258, 259, 260] })
            {
                var hello = Hello(v, _suites[v].Where(s => s.IsDhe && s.NeedsNoSecret).Select(s => s.Code));
                hello.SupportedGroups = groups;
                var answer = await _prober.HelloAsync(hello, untilDone: true, cancellationToken);
                if (answer.ServerKeyExchange is not { } ske)
                {
                    continue;
                }

                var parameters = ServerKeyExchangeDhe.Parse(ske, withSignatureAlgorithm: v == ScanNames.Tls12);
                int bits = DhBits(parameters.Prime);
                if (smallest is null || bits < smallest)
                {
                    smallest = bits;
                    _report.Groups.DhGroup = DhGroupName(parameters.Prime);
                }
            }

            _report.Groups.DhBits = smallest;
            foreach (var suite in _report.AllSuites.Where(s => s.KeyExchange is "DHE" or "DHE_PSK"))
            {
                suite.DhBits = smallest;
            }
        });
    }

    private static int DhBits(byte[] prime)
    {
        int start = Array.FindIndex(prime, b => b != 0);
        return start < 0 ? 0 : ((prime.Length - start) * 8) - (System.Numerics.BitOperations.LeadingZeroCount((uint)prime[start]) - 24);
    }

    private static string DhGroupName(byte[] prime)
    {
        var trimmed = prime.AsSpan().TrimStart((byte)0);
        foreach (var known in Tessera.Crypto.FfdheKeyExchange.All)
        {
            if (trimmed.SequenceEqual(known.Prime))
            {
                return NamedGroups.NameOf((ushort)known.Group);
            }
        }

        return "custom";
    }

    private async Task ProbeSignatureAlgorithms12Async(CancellationToken cancellationToken)
    {
        if (!_versionAnswers.ContainsKey(ScanNames.Tls12))
        {
            return;
        }

        var signing = _suites[ScanNames.Tls12].Where(s => (s.IsEcdhe || s.IsDhe) && s.NeedsNoSecret && !s.Anonymous).Select(s => s.Code).ToList();
        if (signing.Count == 0)
        {
            return;
        }

        await Guard("TLS 1.2 signature algorithms", async () =>
        {
            var (schemes, _) = await EnumerateAsync([.. ScanNames.SignatureSchemes], async offered =>
            {
                var hello = Hello(ScanNames.Tls12, signing);
                hello.SignatureAlgorithms = offered;
                var answer = await _prober.HelloAsync(hello, untilDone: true, cancellationToken);
                return SignatureSchemeOf(answer.ServerKeyExchange, ecdhe: answer.Suite is { } s && CipherSuiteCatalog.Find(s)?.IsEcdhe == true);
            });
            _report.SignatureAlgorithms = [.. schemes.Select(ScanNames.SignatureScheme)];
        });
    }

    /// <summary>The SignatureAndHashAlgorithm of a TLS 1.2 ServerKeyExchange (after the ECDHE or DHE parameters).</summary>
    private static ushort? SignatureSchemeOf(byte[]? ske, bool ecdhe)
    {
        if (ske is null)
        {
            return null;
        }

        try
        {
            return ecdhe ? ServerKeyExchangeEcdhe.Parse(ske).SignatureAlgorithm : ServerKeyExchangeDhe.Parse(ske).SignatureAlgorithm;
        }
        catch (TlsException)
        {
            return null;
        }
    }
}
