using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Tessera.Pki;
using Tessera.Pki.X509;

namespace Tessera.Cli;

/// <summary><c>tessera s_client</c>: connect, show the session, then pipe stdin to the peer and the peer to stdout.</summary>
internal static class SClientCommand
{
    public static Command Create()
    {
        var common = new CommonTlsOptions();
        var connect = CliOptions.Create<string>("connect", "host:port to connect to");
        connect.DefaultValueFactory = _ => "localhost:4433";
        var serverName = CliOptions.Create<string?>("servername", "SNI host name (default: the -connect host)");
        var noServerName = CliOptions.Flag("noservername", "send no SNI");
        var insecure = CliOptions.Flag("insecure", "continue even when the server certificate does not verify");
        var verifyReturnError = CliOptions.Flag("verify_return_error", "fail when the certificate does not verify (Tessera's default; accepted for openssl habits)");
        var ignEof = CliOptions.Flag("ign_eof", "keep reading after stdin ends");
        var sessOut = CliOptions.Create<string?>("sess_out", "write the session (TLS 1.2) or ticket (TLS 1.3) to this file (it holds a secret)");
        var sessIn = CliOptions.Create<string?>("sess_in", "resume the session or ticket in this file");
        var reconnect = CliOptions.Flag("reconnect", "after the handshake, reconnect five times resuming the session");
        var noTicket = CliOptions.Flag("no_ticket", "do not ask for session tickets (resume by session ID)");
        var noCommands = CliOptions.Flag("nocommands", "send lines Q, R, k and K as data instead of acting on them");
        var status = CliOptions.Flag("status", "show the OCSP response the server stapled");
        var enablePha = CliOptions.Flag("enable_pha", "offer TLS 1.3 post-handshake client authentication");
        var crlCheck = CliOptions.Flag("crl_check", "the server's certificate must not be revoked, and its status must be known (from -CRLfile, -crl_download or a staple)");
        var crlCheckAll = CliOptions.Flag("crl_check_all", "as -crl_check, for every certificate below the root");
        var crlFiles = CliOptions.Create<string[]>("CRLfile", "CRLs (PEM or DER) to check against; may be given more than once");
        crlFiles.AllowMultipleArgumentsPerToken = false;
        var crlDownload = CliOptions.Flag("crl_download", "fetch revocation data the certificates point to: OCSP from authorityInfoAccess, else the CRL distribution point (5 s timeout)");
        var earlyData = CliOptions.Create<string?>("early_data", "send this file as TLS 1.3 0-RTT early data (with -sess_in, when the ticket allows it)");
        var echConfig = CliOptions.Create<string?>("ech_config", "Encrypted Client Hello: an ECHConfigList in base64, a file (base64, binary, or PEM with ECHCONFIG), or dns[:SERVER[:PORT]] for the -servername's DNS HTTPS record; the server name travels encrypted");
        var echGrease = CliOptions.Flag("ech_grease", "send a GREASE encrypted_client_hello extension (looks like ECH, hides nothing)");
        var command = new Command("s_client", "connect to a TLS server (OpenSSL-style options)");
        common.AddTo(command);
        foreach (var option in new Option[] { connect, serverName, noServerName, insecure, verifyReturnError, ignEof, sessOut, sessIn, reconnect, noTicket, noCommands, status, enablePha, crlCheck, crlCheckAll, crlFiles, crlDownload, earlyData, echConfig, echGrease })
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, cancellationToken) => Program.Guarded(async () =>
        {
            var (host, port) = ParseHostPort(parse.GetValue(connect)!);
            string? sni = parse.GetValue(noServerName) ? null : parse.GetValue(serverName) ?? host;
            bool quiet = parse.GetValue(common.Quiet);
            bool brief = parse.GetValue(common.Brief);
            var options = new TlsClientOptions { ServerName = sni };
            common.Apply(parse, options, Console.Error);
            var crls = (parse.GetValue(crlFiles) ?? []).SelectMany(VerifyCommand.LoadCrls).ToList();
            bool crlRequired = parse.GetValue(crlCheck) || parse.GetValue(crlCheckAll);
            using var fetcher = parse.GetValue(crlDownload) ? new RevocationFetcher() : null;
            X509CertificateVerifier verifier = new(parse.GetValue(common.CaFile) is { } caFile ? PemFiles.LoadCertificates(caFile) : null)
            {
                Crls = crls,
                Revocation = crlRequired ? RevocationMode.HardFail : crls.Count > 0 || fetcher is not null ? RevocationMode.SoftFail : RevocationMode.Off,
                RevocationLeafOnly = !parse.GetValue(crlCheckAll),
                Fetcher = fetcher,
            };
            options.CertificateVerifier = verifier;
            options.ExternalPsk = common.ExternalPsk(parse);
            options.SkipCertificateVerification = parse.GetValue(insecure) && !parse.GetValue(verifyReturnError);
            if (parse.GetValue(common.Cert) is { } cert)
            {
                options.ClientCertificate = PemFiles.LoadTlsCertificate(cert, parse.GetValue(common.Key) ?? cert);
            }

            options.EchConfigList = parse.GetValue(echConfig) is not { } ech ? null
                : HttpsRecordLookup.ServerOf(ech) is { } dnsServer
                    ? EchCommand.CheckConfigList(await HttpsRecordLookup.LookupAsync(sni ?? throw new CliException("-ech_config dns needs a server name"), port, dnsServer, cancellationToken).ConfigureAwait(false))
                    : EchCommand.ReadConfigList(ech);
            options.EchGrease = parse.GetValue(echGrease);
            if (options.EchConfigList is not null && options.ServerName is null)
            {
                throw new CliException("-ech_config with -noservername: there is no server name to hide");
            }

            options.EnableSessionTickets = !parse.GetValue(noTicket);
            options.AllowRenegotiation = true;   // as openssl: R on a line renegotiates (RFC 5746 only)
            options.EnablePostHandshakeAuthentication = parse.GetValue(enablePha);
            if (parse.GetValue(sessIn) is { } sessionFile)
            {
                options.ResumeSession = SessionFiles.Read(sessionFile);
            }

            if (parse.GetValue(earlyData) is { } earlyFile)
            {
                options.EarlyData = ReadEarlyData(earlyFile);
                if (options.ResumeSession is not { Version: TlsProtocolVersion.Tls13 } ticket || ticket.MaxEarlyDataSize < options.EarlyData.Length)
                {
                    await Console.Error.WriteLineAsync("tessera: -early_data: not sent; it needs a TLS 1.3 ticket (-sess_in) that allows this much early data").ConfigureAwait(false);
                }
            }

            if (parse.GetValue(reconnect))
            {
                await ReconnectAsync(host, port, options, cancellationToken).ConfigureAwait(false);
            }

            var (tcp, stream) = await ConnectAsync(host, port, options, cancellationToken).ConfigureAwait(false);
            using var tcpOwner = tcp;
            await using var streamOwner = stream;

            if (parse.GetValue(sessOut) is { } sessionOut)
            {
                await AwaitTls13TicketAsync(stream, cancellationToken).ConfigureAwait(false);
                if (stream.Connection.Session is { } session)
                {
                    SessionFiles.Write(sessionOut, session);
                }
                else
                {
                    await Console.Error.WriteLineAsync("tessera: no resumable session to write (the server sent no ticket and keeps no sessions)").ConfigureAwait(false);
                }
            }

            string verification = options.SkipCertificateVerification
                ? await CheckAfterwardsAsync(verifier, stream.Connection, sni).ConfigureAwait(false)
                : "OK";
            if (brief)
            {
                Console.Error.WriteLine($"CONNECTION ESTABLISHED: {SessionReport.Brief(stream.Connection)}; verification: {verification}");
            }
            else if (!quiet)
            {
                Console.WriteLine($"CONNECTED({Describe(tcp.Client.RemoteEndPoint)})");
                foreach (var line in SessionReport.Lines(stream.Connection, verification))
                {
                    Console.WriteLine(line);
                }

                if (parse.GetValue(status))
                {
                    foreach (var line in StapleReport(stream.Connection))
                    {
                        Console.WriteLine(line);
                    }
                }

                Console.WriteLine("---");
            }

            bool ignoreEof = parse.GetValue(ignEof) || quiet;
            await PipeAsync(stream, ignoreEof, commands: !ignoreEof && !parse.GetValue(noCommands), cancellationToken).ConfigureAwait(false);
            if (stream.Connection.Renegotiations > 0)
            {
                await Console.Error.WriteLineAsync($"tessera s_client: {stream.Connection.Renegotiations} secure renegotiation(s) (RFC 5746)").ConfigureAwait(false);
            }

            if (stream.Connection.RenegotiationsRefused > 0)
            {
                await Console.Error.WriteLineAsync($"tessera s_client: the server refused {stream.Connection.RenegotiationsRefused} renegotiation request(s) with no_renegotiation").ConfigureAwait(false);
            }

            return 0;
        }));
        return command;
    }

    /// <summary>
    /// Connects and runs the handshake. When the server turns Encrypted Client Hello down but sends retry
    /// configurations (authenticated for the public name), connects once more with them (RFC 9849 §6.1.6).
    /// </summary>
    private static async Task<(TcpClient Tcp, TlsStream Stream)> ConnectAsync(string host, int port, TlsClientOptions options, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            var tcp = new TcpClient { NoDelay = true };   // one flight, one segment: no Nagle delay on the handshake
            TlsStream? stream = null;
            try
            {
                using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    connectTimeout.CancelAfter(TimeSpan.FromSeconds(15));
                    try
                    {
                        await tcp.ConnectAsync(host, port, connectTimeout.Token).ConfigureAwait(false);
                    }
                    catch (SocketException ex)
                    {
                        throw new CliException($"cannot connect to {host}:{port}: {ex.Message}");
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        throw new CliException($"cannot connect to {host}:{port}: timed out");
                    }
                }

                stream = new TlsStream(tcp.GetStream());
                using var handshakeTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                handshakeTimeout.CancelAfter(TimeSpan.FromSeconds(30));
                try
                {
                    await stream.AuthenticateAsClientAsync(options, handshakeTimeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new CliException("handshake timed out");
                }

                return (tcp, stream);
            }
            catch (TlsException ex) when (ex is { Alert: AlertDescription.EchRequired, AlertSource: AlertSource.Local, EchRetryConfigs: { } retry } && attempt == 0 &&
                Tessera.Ech.EchConfigList.Parse(retry).Any(c => c.IsUsable))
            {
                await Console.Error.WriteLineAsync("tessera s_client: the server did not accept Encrypted Client Hello and sent retry configurations; connecting again with them").ConfigureAwait(false);
                options.EchConfigList = retry;
                if (stream is not null)
                {
                    await stream.DisposeAsync().ConfigureAwait(false);
                }

                tcp.Dispose();
            }
            catch
            {
                if (stream is not null)
                {
                    await stream.DisposeAsync().ConfigureAwait(false);
                }

                tcp.Dispose();
                throw;
            }
        }
    }

    /// <summary>As openssl's -reconnect: a full handshake, then five more that resume its session, one line each.</summary>
    private static async Task ReconnectAsync(string host, int port, TlsClientOptions options, CancellationToken cancellationToken)
    {
        for (int i = 0; i < 6; i++)
        {
            using var tcp = new TcpClient { NoDelay = true };   // one flight, one segment: no Nagle delay on the handshake
            await tcp.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
            await using var stream = new TlsStream(tcp.GetStream());
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            await stream.AuthenticateAsClientAsync(options, timeout.Token).ConfigureAwait(false);
            Console.WriteLine($"{(i == 0 ? "connect" : "reconnect")}: {(stream.Connection.IsResumed ? "Reused" : "New")}, {SessionReport.Brief(stream.Connection)}");
            await AwaitTls13TicketAsync(stream, cancellationToken).ConfigureAwait(false);
            options.ResumeSession = stream.Connection.Session ?? options.ResumeSession;
            await stream.ShutdownAsync(timeout.Token).ConfigureAwait(false);
        }
    }

    private static byte[] ReadEarlyData(string path)
    {
        try
        {
            var info = new FileInfo(path);
            return info.Length <= 1 << 20 ? File.ReadAllBytes(path) : throw new CliException($"-early_data {path}: larger than 1 MiB");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"-early_data {path}: {ex.Message}");
        }
    }

    /// <summary>TLS 1.3 tickets come after the handshake: give the server a moment to send one (openssl's comes at once).</summary>
    private static async Task AwaitTls13TicketAsync(TlsStream stream, CancellationToken cancellationToken)
    {
        if (stream.Connection.NegotiatedProtocol != TlsProtocolVersion.Tls13 || stream.Connection.Session is { Version: TlsProtocolVersion.Tls13 })
        {
            return;
        }

        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(TimeSpan.FromSeconds(2));
        int before = stream.Connection.SessionTicketsReceived;
        try
        {
            await stream.ReceiveUntilAsync(c => c.SessionTicketsReceived > before, wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>The stapled OCSP response, in the words openssl s_client -status uses.</summary>
    private static IEnumerable<string> StapleReport(TlsConnection connection)
    {
        if (connection.PeerOcspResponse is not { } der)
        {
            yield return "OCSP response: no response sent";
            yield break;
        }

        Tessera.Pki.X509.OcspResponse? response = null;
        string? problem = null;
        try
        {
            response = Tessera.Pki.X509.OcspResponse.Parse(der);
        }
        catch (Tessera.Pki.X509.CertificateFormatException ex)
        {
            problem = ex.Message;
        }

        if (response is null)
        {
            yield return $"OCSP response: malformed ({problem})";
            yield break;
        }

        yield return "OCSP response:";
        yield return $"    OCSP Response Status: {(response.IsSuccessful ? "successful (0x0)" : $"0x{response.ResponseStatus:X}")}";
        yield return $"    Produced At: {StapleOptions.Describe(response.ProducedAt)}";
        foreach (var single in response.Responses)
        {
            yield return $"    Cert Status: {single.Status.ToString().ToLowerInvariant()}{(single.Reason is { } reason ? $" ({reason})" : "")}";
            yield return $"    This Update: {StapleOptions.Describe(single.ThisUpdate)}";
            yield return $"    Next Update: {StapleOptions.Describe(single.NextUpdate)}";
        }
    }

    /// <summary>One of openssl's command letters; false when the user asked to quit.</summary>
    private static async Task<bool> RunCommandAsync(TlsStream stream, char letter, CancellationToken cancellationToken)
    {
        try
        {
            switch (letter)
            {
                case 'Q':
                    await Console.Error.WriteLineAsync("DONE").ConfigureAwait(false);
                    return false;
                case 'R':
                    await Console.Error.WriteLineAsync("RENEGOTIATING").ConfigureAwait(false);
                    await stream.RenegotiateAsync(cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    await Console.Error.WriteLineAsync(letter == 'K' ? "KEYUPDATE (peer asked to update too)" : "KEYUPDATE").ConfigureAwait(false);
                    await stream.UpdateKeysAsync(requestPeerUpdate: letter == 'K', cancellationToken).ConfigureAwait(false);
                    break;
            }
        }
        catch (InvalidOperationException ex)
        {
            await Console.Error.WriteLineAsync($"tessera: {ex.Message}").ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>
    /// A peer's address as people write it: 127.0.0.1:443 for IPv4, [2001:db8::1]:443 for IPv6. The dual-mode socket
    /// reports IPv4 peers as IPv4-mapped IPv6 ([::ffff:127.0.0.1]); they are shown as the IPv4 address they are.
    /// </summary>
    internal static string Describe(EndPoint? endpoint) => endpoint switch
    {
        IPEndPoint { Address.IsIPv4MappedToIPv6: true } ip => new IPEndPoint(ip.Address.MapToIPv4(), ip.Port).ToString(),
        null => "?",
        _ => endpoint.ToString() ?? "?",
    };

    internal static (string Host, int Port) ParseHostPort(string text)
    {
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text[(colon + 1)..], out int port) || port is <= 0 or > 65535)
        {
            throw new CliException($"-connect: '{text}' is not host:port");
        }

        return (text[..colon].Trim('[', ']'), port);
    }

    private static Task<string> CheckAfterwardsAsync(X509CertificateVerifier verifier, TlsConnection connection, string? host)
    {
        var result = verifier.Validate(new CertificateVerificationContext(
            [.. connection.PeerCertificateChain.Select(c => (ReadOnlyMemory<byte>)c)],
            host is not null && !IPAddress.TryParse(host, out _) ? host : null,
            IsServerCertificate: true,
            DateTimeOffset.UtcNow,
            connection.PeerOcspResponse is { } staple ? new ReadOnlyMemory<byte>(staple) : (ReadOnlyMemory<byte>?)null));
        return Task.FromResult(result.IsValid
            ? "OK"
            : $"error at depth {result.FailingDepth}: {result.Reason} (continuing: -insecure)\nVerify return code: {OpenSslVerifyCode(result.Error)}");
    }

    /// <summary>The X509_V_ERR number and text openssl s_client would print for the same failure.</summary>
    internal static string OpenSslVerifyCode(Tessera.Pki.X509.ValidationError error) => error switch
    {
        Tessera.Pki.X509.ValidationError.None => "0 (ok)",
        Tessera.Pki.X509.ValidationError.NotYetValid => "9 (certificate is not yet valid)",
        Tessera.Pki.X509.ValidationError.Expired => "10 (certificate has expired)",
        Tessera.Pki.X509.ValidationError.UnknownIssuer => "20 (unable to get local issuer certificate)",
        Tessera.Pki.X509.ValidationError.BadSignature => "7 (certificate signature failure)",
        Tessera.Pki.X509.ValidationError.Revoked => "23 (certificate revoked)",
        Tessera.Pki.X509.ValidationError.NotACa => "24 (invalid CA certificate)",
        Tessera.Pki.X509.ValidationError.PathLengthExceeded => "25 (path length constraint exceeded)",
        Tessera.Pki.X509.ValidationError.ExtendedKeyUsage or Tessera.Pki.X509.ValidationError.KeyUsage => "26 (unsupported certificate purpose)",
        Tessera.Pki.X509.ValidationError.UnknownCriticalExtension => "34 (unhandled critical extension)",
        Tessera.Pki.X509.ValidationError.NameConstraint => "47 (permitted subtree violation)",
        Tessera.Pki.X509.ValidationError.NameMismatch => "62 (hostname mismatch)",
        Tessera.Pki.X509.ValidationError.WeakKey => "66 (EE certificate key too weak)",
        Tessera.Pki.X509.ValidationError.WeakSignatureAlgorithm => "68 (CA signature digest algorithm too weak)",
        _ => "1 (unspecified certificate verification error)",
    };

    /// <summary>
    /// Pipes stdin to the peer and the peer to stdout. With <paramref name="commands"/> a line holding only
    /// Q quits, R renegotiates (TLS 1.2), k / K sends a KeyUpdate (TLS 1.3; K asks the peer to update too), as in openssl.
    /// </summary>
    private static async Task PipeAsync(TlsStream stream, bool ignoreStdinEof, bool commands, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var fromPeer = Task.Run(async () =>
        {
            var stdout = Console.OpenStandardOutput();
            var buffer = new byte[16384];
            int n;
            while ((n = await stream.ReadAsync(buffer, stop.Token).ConfigureAwait(false)) > 0)
            {
                await stdout.WriteAsync(buffer.AsMemory(0, n), stop.Token).ConfigureAwait(false);
                await stdout.FlushAsync(stop.Token).ConfigureAwait(false);
            }
        }, stop.Token);

        var toPeer = Task.Run(async () =>
        {
            var stdin = Console.OpenStandardInput();
            var buffer = new byte[16384];
            int n;
            bool atLineStart = true;
            while ((n = await stdin.ReadAsync(buffer, stop.Token).ConfigureAwait(false)) > 0)
            {
                if (!commands)
                {
                    await stream.WriteAsync(buffer.AsMemory(0, n), stop.Token).ConfigureAwait(false);
                    continue;
                }

                int dataStart = 0, lineStart = 0;
                for (int i = 0; i < n; i++)
                {
                    if (buffer[i] != (byte)'\n')
                    {
                        continue;
                    }

                    var line = buffer.AsSpan(lineStart, i - lineStart).TrimEnd((byte)'\r');
                    char letter = line.Length == 1 && (lineStart > 0 || atLineStart) ? (char)line[0] : '\0';
                    if (letter is 'Q' or 'R' or 'k' or 'K')
                    {
                        if (lineStart > dataStart)
                        {
                            await stream.WriteAsync(buffer.AsMemory(dataStart, lineStart - dataStart), stop.Token).ConfigureAwait(false);
                        }

                        dataStart = i + 1;
                        if (!await RunCommandAsync(stream, letter, stop.Token).ConfigureAwait(false))
                        {
                            return;
                        }
                    }

                    lineStart = i + 1;
                }

                if (n > dataStart)
                {
                    await stream.WriteAsync(buffer.AsMemory(dataStart, n - dataStart), stop.Token).ConfigureAwait(false);
                }

                atLineStart = buffer[n - 1] == (byte)'\n';
            }
        }, stop.Token);

        var first = await Task.WhenAny(fromPeer, toPeer).ConfigureAwait(false);
        if (first == toPeer)
        {
            await toPeer.ConfigureAwait(false);
            if (!ignoreStdinEof)
            {
                // stdin ended: say so, then give the peer a moment to finish what it was sending.
                await stream.ShutdownAsync(stop.Token).ConfigureAwait(false);
                if (await Task.WhenAny(fromPeer, Task.Delay(TimeSpan.FromSeconds(5), stop.Token)).ConfigureAwait(false) != fromPeer)
                {
                    await stop.CancelAsync().ConfigureAwait(false);
                    return;
                }
            }
        }

        await fromPeer.ConfigureAwait(false);
        if (!stream.Connection.IsWriteClosed)
        {
            await stream.ShutdownAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
