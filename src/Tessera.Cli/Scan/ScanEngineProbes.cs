using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Tessera.Pki;
using Tessera.Pki.X509;
using Tessera.Sessions;

namespace Tessera.Cli.Scan;

/// <summary>The probes that need a whole handshake: run through Tessera's own engine, legacy allowed, any certificate accepted (it is judged separately).</summary>
internal sealed partial class TlsScanner
{
    /// <summary>Accepts any chain: a scan reports on the certificate rather than refusing to look past it.</summary>
    private sealed class AcceptAnyCertificate : ICertificateVerifier
    {
        public static AcceptAnyCertificate Instance { get; } = new();

        public ValueTask<CertificateVerificationResult> VerifyAsync(CertificateVerificationContext context, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(CertificateVerificationResult.Valid);
    }

    private TlsClientOptions EngineOptions(TlsProtocolVersion? only = null)
    {
        var options = new TlsClientOptions
        {
            ServerName = target.ServerName,
            CertificateVerifier = AcceptAnyCertificate.Instance,
            Legacy = LegacyPolicy.All,
            MinProtocolVersion = TlsProtocolVersion.Tls10,
            CipherSuites = [.. Tessera.CipherSuites.Tls13Defaults, .. Tessera.CipherSuites.Tls12Defaults, .. Tessera.CipherSuites.Legacy],
            Groups = [NamedGroup.X25519, NamedGroup.Secp256r1, NamedGroup.Secp384r1, NamedGroup.Ffdhe2048, NamedGroup.Ffdhe3072, NamedGroup.Ffdhe4096],
        };
        if (only is { } v)
        {
            options.MinProtocolVersion = options.MaxProtocolVersion = v;
        }

        return options;
    }

    /// <summary>Runs one handshake through the engine over a probe connection and hands the stream to <paramref name="then"/>.</summary>
    private Task<T> EngineAsync<T>(TlsClientOptions options, Func<TlsStream, Task<T>> then, CancellationToken cancellationToken) =>
        _prober.WithSessionAsync(async session =>
        {
            await using var tls = new TlsStream(session.Stream, leaveInnerStreamOpen: true);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(target.Timeout * 2);
            try
            {
                await tls.AuthenticateAsClientAsync(options, timeout.Token);
                var result = await then(tls);
                try
                {
                    // A clean close: some servers (OpenSSL) forget a session whose connection was cut.
                    using var shutdown = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    shutdown.CancelAfter(TimeSpan.FromSeconds(1));
                    await tls.ShutdownAsync(shutdown.Token);
                }
                catch (Exception ex) when (ex is TlsException or IOException or OperationCanceledException)
                {
                }

                return result;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"no answer within {(target.Timeout * 2).TotalSeconds:0} s");
            }
        }, cancellationToken);

    private static TlsProtocolVersion ToEngineVersion(ushort version) => (TlsProtocolVersion)version;

    private bool EngineCanTalk => _versionAnswers.Keys.Any(v => v >= ScanNames.Tls10);

    private async Task ProbeCertificateAsync(CancellationToken cancellationToken)
    {
        if (!EngineCanTalk)
        {
            return;
        }

        await Guard("certificate", async () =>
        {
            List<byte[]> chain;
            byte[]? staple;
            try
            {
                (chain, staple) = await EngineAsync(EngineOptions(), tls =>
                    Task.FromResult((tls.Connection.PeerCertificateChain.ToList(), tls.Connection.PeerOcspResponse)), cancellationToken);
            }
            catch (Exception ex) when (ex is TlsException or IOException or TimeoutException && Best12() is { } v && _versionAnswers[v].Certificates.Count > 0)
            {
                // No handshake Tessera can finish (e.g. only RC4 or SSL 3.0): the plain-text Certificate of a probe will do.
                var answer = _versionAnswers[Best12()!.Value];
                (chain, staple) = (answer.Certificates, answer.Staple);
            }

            if (chain.Count == 0)
            {
                return;
            }

            _report.Certificate = await CertificateReview.ReviewAsync(chain, staple, target.ReferenceName, settings, cancellationToken);
            _report.Features.OcspStapling = staple is { Length: > 0 };
            await ProbeOtherCertificatesAsync(chain[0], cancellationToken);
        });
    }

    /// <summary>Servers may hold one certificate per key type and choose by the client's signature algorithms: ask for each kind alone.</summary>
    private async Task ProbeOtherCertificatesAsync(byte[] primaryLeaf, CancellationToken cancellationToken)
    {
        SignatureScheme[][] families =
        [
            [SignatureScheme.ecdsa_secp256r1_sha256, SignatureScheme.ecdsa_secp384r1_sha384, SignatureScheme.ecdsa_secp521r1_sha512],
            [SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.rsa_pss_rsae_sha384, SignatureScheme.rsa_pss_rsae_sha512, SignatureScheme.rsa_pkcs1_sha256, SignatureScheme.rsa_pkcs1_sha384, SignatureScheme.rsa_pkcs1_sha512],
            [SignatureScheme.rsa_pss_pss_sha256, SignatureScheme.rsa_pss_pss_sha384, SignatureScheme.rsa_pss_pss_sha512],
            [SignatureScheme.ed25519],
        ];
        var found = await Task.WhenAll(families.Select(async family =>
        {
            var options = EngineOptions();
            options.SignatureSchemes = family;
            try
            {
                return await EngineAsync(options, tls => Task.FromResult<(List<byte[]>, byte[]?)?>((tls.Connection.PeerCertificateChain.ToList(), tls.Connection.PeerOcspResponse)), cancellationToken);
            }
            catch (Exception ex) when (ex is TlsException or IOException or TimeoutException or ScanException)
            {
                return null;
            }
        }));
        var seen = new HashSet<string>(StringComparer.Ordinal) { Convert.ToHexString(SHA256.HashData(primaryLeaf)) };
        foreach (var (chain, staple) in found.OfType<(List<byte[]> Chain, byte[]? Staple)>())
        {
            if (chain.Count > 0 && seen.Add(Convert.ToHexString(SHA256.HashData(chain[0]))))
            {
                _report.OtherCertificates.Add(await CertificateReview.ReviewAsync(chain, staple, target.ReferenceName, settings, cancellationToken));
            }
        }
    }

    private async Task ProbeSignatureAlgorithms13Async(CancellationToken cancellationToken)
    {
        if (!_versionAnswers.ContainsKey(ScanNames.Tls13))
        {
            return;
        }

        var candidates = new[]
        {
            SignatureScheme.ecdsa_secp256r1_sha256, SignatureScheme.ecdsa_secp384r1_sha384, SignatureScheme.ecdsa_secp521r1_sha512, SignatureScheme.ed25519,
            SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.rsa_pss_rsae_sha384, SignatureScheme.rsa_pss_rsae_sha512,
            SignatureScheme.rsa_pss_pss_sha256, SignatureScheme.rsa_pss_pss_sha384, SignatureScheme.rsa_pss_pss_sha512,
        };
        var accepted = await Task.WhenAll(candidates.Select(async scheme =>
        {
            var options = EngineOptions(TlsProtocolVersion.Tls13);
            options.SignatureSchemes = [scheme];
            try
            {
                return await EngineAsync(options, tls => Task.FromResult(tls.Connection.PeerSignatureScheme == scheme), cancellationToken);
            }
            catch (Exception ex) when (ex is TlsException or IOException or TimeoutException or ScanException)
            {
                return false;
            }
        }));
        _report.SignatureAlgorithmsTls13 = [.. candidates.Where((_, i) => accepted[i]).Select(s => s.ToString())];
    }

    private async Task ProbeResumptionAsync(CancellationToken cancellationToken)
    {
        var tasks = new List<Task>();
        if (Best12() is { } v12 && v12 >= ScanNames.Tls10)
        {
            var hello = _versionAnswers[v12];
            _report.Features.ExtendedMasterSecret = hello.HasExtension(Messages.ExtensionType.ExtendedMasterSecret);
            _report.Features.SecureRenegotiation = hello.HasExtension(Messages.ExtensionType.RenegotiationInfo);
            _report.Features.EncryptThenMac = null;
            if (v12 == ScanNames.Tls12 && _report.Features.ExtendedMasterSecret == true)
            {
                // Tessera resumes TLS 1.2 sessions only with the extended master secret (RFC 7627 §5.3).
                tasks.Add(Guard("resumption by session ID", async () => _report.Features.ResumptionById = await ResumesAsync(v12, tickets: false, cancellationToken)));
                tasks.Add(Guard("resumption by ticket", async () =>
                    _report.Features.ResumptionByTicket = hello.HasExtension(Messages.ExtensionType.SessionTicket) && await ResumesAsync(v12, tickets: true, cancellationToken)));
            }
        }

        if (_versionAnswers.ContainsKey(ScanNames.Tls13))
        {
            tasks.Add(Guard("TLS 1.3 resumption", async () => _report.Features.Tls13Resumption = await ResumesAsync(ScanNames.Tls13, tickets: true, cancellationToken)));
        }

        await Task.WhenAll(tasks);
    }

    /// <summary>Connects twice with one session cache: did the second handshake resume the first?</summary>
    private async Task<bool> ResumesAsync(ushort version, bool tickets, CancellationToken cancellationToken)
    {
        var cache = new TlsClientSessionCache();
        TlsClientOptions Options()
        {
            var o = EngineOptions(ToEngineVersion(version));
            o.SessionCache = cache;
            o.EnableSessionTickets = tickets;
            return o;
        }

        TlsSession? session = await EngineAsync(Options(), async tls =>
        {
            if (version == ScanNames.Tls13)
            {
                // Tickets come after the handshake; wait a moment for the first.
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                wait.CancelAfter(TimeSpan.FromSeconds(3));
                try
                {
                    await tls.ReceiveUntilAsync(c => c.Session is not null, wait.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or TlsException or IOException)
                {
                }
            }

            return tls.Connection.Session;
        }, cancellationToken);
        if (version == ScanNames.Tls13)
        {
            _report.Features.ZeroRttMaxSize = session?.MaxEarlyDataSize > 0 ? (int)session.MaxEarlyDataSize : null;
        }

        if (session is null && cache.Count == 0)
        {
            return false;
        }

        return await EngineAsync(Options(), tls => Task.FromResult(tls.Connection.IsResumed), cancellationToken);
    }

    private async Task ProbeRenegotiationAsync(CancellationToken cancellationToken)
    {
        if (Best12() is not { } v || v < ScanNames.Tls10)
        {
            return;
        }

        await Task.WhenAll(
            Guard("client-initiated renegotiation", async () => _report.Features.ClientRenegotiation = await RenegotiatesAsync(v, insecure: false, cancellationToken)),
            Guard("insecure renegotiation", async () => _report.Features.InsecureRenegotiation = await RenegotiatesAsync(v, insecure: true, cancellationToken)));
    }

    /// <summary>
    /// Starts a renegotiation from the client side: secure (RFC 5746), or with <paramref name="insecure"/> the old kind
    /// where neither hello carries renegotiation_info. Null when the secure kind cannot be tried (no RFC 5746).
    /// </summary>
    private async Task<bool?> RenegotiatesAsync(ushort version, bool insecure, CancellationToken cancellationToken)
    {
        var options = EngineOptions(ToEngineVersion(version));
        options.AllowRenegotiation = true;
        options.InsecureRenegotiationProbe = insecure;
        return await EngineAsync(options, async tls =>
        {
            if (!insecure && !tls.Connection.SecureRenegotiation)
            {
                return (bool?)null;
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(target.Timeout);
            try
            {
                await tls.RenegotiateAsync(timeout.Token);
                // The new handshake runs as the stream is read; a refusal is a no_renegotiation warning or a fatal alert.
                await tls.ReceiveUntilAsync(c => c.Renegotiations > 0 || !c.IsRenegotiating, timeout.Token);
                return tls.Connection.Renegotiations > 0;
            }
            catch (Exception ex) when (ex is TlsException or IOException or OperationCanceledException)
            {
                return false;
            }
        }, cancellationToken);
    }

    private async Task ProbeAlpnAsync(CancellationToken cancellationToken)
    {
        if (!EngineCanTalk)
        {
            return;
        }

        await Guard("ALPN", async () =>
        {
            var remaining = ScanNames.AlpnProtocols.ToList();
            while (remaining.Count > 0)
            {
                var options = EngineOptions();
                options.ApplicationProtocols = [.. remaining];
                string? picked;
                try
                {
                    picked = await EngineAsync(options, tls => Task.FromResult(tls.Connection.NegotiatedApplicationProtocol), cancellationToken);
                }
                catch (TlsException)
                {
                    break;   // no_application_protocol: nothing left it speaks
                }

                if (picked is null || !remaining.Remove(picked))
                {
                    break;
                }

                _report.Features.Alpn.Add(picked);
            }
        });
    }

    /// <summary>
    /// Encrypted Client Hello (RFC 9849): a handshake with a configuration no server holds. A server with ECH keys turns
    /// it down and, after a handshake authenticated for the public name (here: the scanned name), sends its own
    /// configurations as retry_configs; a server without ECH sends none.
    /// </summary>
    private async Task ProbeEchAsync(CancellationToken cancellationToken)
    {
        if (!_versionAnswers.ContainsKey(ScanNames.Tls13) || target.StartTls != StartTlsProtocol.None)
        {
            return;
        }

        await Guard("Encrypted Client Hello", async () =>
        {
            var publicName = target.ServerName is { } name && Tessera.Ech.EchConfig.IsValidPublicName(name) ? name : "ech-probe.invalid";
            using var probe = Tessera.Ech.EchServerKey.Generate(publicName);
            var options = EngineOptions(TlsProtocolVersion.Tls13);
            options.EchConfigList = probe.ConfigList;
            try
            {
                await EngineAsync(options, _ => Task.FromResult(0), cancellationToken);
            }
            catch (TlsException ex) when (ex is { Alert: AlertDescription.EchRequired, AlertSource: AlertSource.Local })
            {
                _report.Features.Ech = ex.EchRetryConfigs is { } retry
                    ? [.. Tessera.Ech.EchConfigList.Parse(retry).Select(c =>
                        $"config_id {c.ConfigId}, public name {c.PublicName}, {c.Kem}, {string.Join(" / ", c.CipherSuites.Select(s => $"{s.Kdf} {s.Aead}"))}, pads names to {c.MaximumNameLength}")]
                    : [];
            }
        });
    }

    private async Task ProbeHttpAsync(CancellationToken cancellationToken)
    {
        if (!settings.Http || target.StartTls != StartTlsProtocol.None || !EngineCanTalk)
        {
            return;
        }

        await Guard("HTTP", async () =>
        {
            var options = EngineOptions();
            var response = await EngineAsync(options, async tls =>
            {
                var host = target.ServerName ?? target.Host;
                await tls.WriteAsync(Encoding.ASCII.GetBytes($"GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: tessera-scan\r\nAccept: */*\r\nConnection: close\r\n\r\n"), cancellationToken);
                var buffer = new byte[64 * 1024];
                int total = 0;
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(target.Timeout);
                try
                {
                    while (total < buffer.Length)
                    {
                        int n = await tls.ReadAsync(buffer.AsMemory(total), timeout.Token);
                        if (n == 0)
                        {
                            break;
                        }

                        total += n;
                        if (buffer.AsSpan(0, total).IndexOf("\r\n\r\n"u8) >= 0)
                        {
                            break;
                        }
                    }
                }
                catch (Exception ex) when (ex is OperationCanceledException or TlsException or IOException)
                {
                }

                return Encoding.Latin1.GetString(buffer, 0, total);
            }, cancellationToken);
            if (!response.StartsWith("HTTP/", StringComparison.Ordinal))
            {
                return;
            }

            _report.Features.IsHttp = true;
            foreach (var line in response.Split("\r\n"))
            {
                int colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0 && line[..colon].Trim().Equals("Strict-Transport-Security", StringComparison.OrdinalIgnoreCase))
                {
                    var value = line[(colon + 1)..].Trim();
                    _report.Features.Hsts = value;
                    foreach (var directive in value.Split(';', StringSplitOptions.TrimEntries))
                    {
                        if (directive.StartsWith("max-age=", StringComparison.OrdinalIgnoreCase) &&
                            long.TryParse(directive[8..].Trim('"'), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long maxAge))
                        {
                            _report.Features.HstsMaxAge = maxAge;
                        }
                    }
                }
            }
        });
    }
}
