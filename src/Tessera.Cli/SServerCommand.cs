using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Tessera.Pki;

namespace Tessera.Cli;

/// <summary><c>tessera s_server</c>: a TLS server for testing, with OpenSSL's option names.</summary>
internal static class SServerCommand
{
    public static Command Create()
    {
        var common = new CommonTlsOptions();
        var accept = CliOptions.Create<string>("accept", "port or host:port to listen on (0 picks a free port)", "-port");
        accept.DefaultValueFactory = _ => "4433";
        var www = CliOptions.Flag("www", "answer HTTP GET with a page describing the session");
        var naccept = CliOptions.Create<int?>("naccept", "stop after this many connections");
        // As openssl: "-verify N" asks for a client certificate, "-Verify N" requires one (N, the depth, is accepted and not needed).
        var verify = CliOptions.Create<int?>("verify_client", "ask for a client certificate (optional depth, as openssl)", "-verify");
        verify.Arity = ArgumentArity.ZeroOrOne;
        var requireClient = CliOptions.Create<int?>("Verify", "require a client certificate (optional depth, as openssl)");
        requireClient.Arity = ArgumentArity.ZeroOrOne;
        var noTicket = CliOptions.Flag("no_ticket", "issue no session tickets, TLS 1.2 or 1.3 (TLS 1.2 session IDs still resume)");
        var clientRenegotiation = CliOptions.Flag("client_renegotiation", "let TLS 1.2 clients renegotiate (RFC 5746 only, at most 3 a minute)");
        var statusFile = CliOptions.Create<string?>("status_file", "staple this DER OCSP response (checked first)");
        var status = CliOptions.Flag("status", "fetch an OCSP response from the certificate's responder, staple it and keep it fresh");
        var earlyData = CliOptions.Flag("early_data", "accept TLS 1.3 0-RTT early data (up to 16384 bytes, once per ClientHello)");
        var numTickets = CliOptions.Create<int?>("num_tickets", "TLS 1.3 session tickets sent after each handshake (default 2)");
        var noCert = CliOptions.Flag("nocert", "present no certificate (with -psk: clients authenticate with the PSK)");
        var redis = CliOptions.Create<string?>("redis", "share ticket keys, TLS 1.2 sessions and 0-RTT anti-replay with a fleet through the Redis at host:port");
        var ticketKeys = CliOptions.Create<string?>("ticket_keys", "seal tickets with the keys in this file (one per line: 96 hex digits, name + AES-256 key; the first seals), shared by a fleet");
        var echKeys = CliOptions.Create<string[]>("ech_key", "Encrypted Client Hello key file from 'tessera ech keygen' (PEM); repeat to keep retired keys: the first is current and goes out as retry_configs");
        echKeys.AllowMultipleArgumentsPerToken = false;
        var command = new Command("s_server", "run a TLS server (OpenSSL-style options)");
        common.AddTo(command);
        foreach (var option in new Option[] { accept, www, naccept, verify, requireClient, noTicket, clientRenegotiation, statusFile, status, earlyData, numTickets, ticketKeys, redis, noCert, echKeys })
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, cancellationToken) => Program.Guarded(async () =>
        {
            var options = new TlsServerOptions
            {
                RequestClientCertificate = parse.GetResult(verify) is not null,
                RequireClientCertificate = parse.GetResult(requireClient) is not null,
                AllowClientRenegotiation = parse.GetValue(clientRenegotiation),
            };
            if (parse.GetValue(noTicket))
            {
                options.TicketKeys = null;
            }

            if (parse.GetValue(ticketKeys) is { } keyFile)
            {
                try
                {
                    options.TicketKeys = parse.GetValue(noTicket) ? null : Tessera.Sessions.TicketKeyRing.Load(keyFile);
                }
                catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException)
                {
                    throw new CliException($"-ticket_keys: {ex.Message}");
                }
            }

            using var fleet = parse.GetValue(redis) is { } redisEndpoint
                ? await RedisFleet.ConnectAsync(redisEndpoint, options, shareTicketKeys: !parse.GetValue(noTicket) && parse.GetValue(ticketKeys) is null, cancellationToken).ConfigureAwait(false)
                : null;

            if (parse.GetValue(earlyData))
            {
                options.MaxEarlyDataSize = 16384;
                if (fleet is null && parse.GetValue(ticketKeys) is not null)
                {
                    // Shared ticket keys let a ticket resume on every server, but each one's anti-replay record is its own.
                    Console.Error.WriteLine("tessera s_server: warning: -early_data with shared -ticket_keys but no -redis: a 0-RTT flight replayed to another server of the fleet is accepted there");
                }
            }

            if (parse.GetValue(numTickets) is { } tickets)
            {
                options.SessionTicketCount = tickets is >= 0 and <= 16 ? tickets : throw new CliException("-num_tickets must be between 0 and 16");
            }

            var endpoint = ParseEndpoint(parse.GetValue(accept)!);
            common.Apply(parse, options, Console.Out);
            foreach (var echKeyFile in parse.GetValue(echKeys) ?? [])
            {
                options.EchKeys.Add(Tessera.Ech.EchServerKey.Load(echKeyFile));
            }

            if (options.EchKeys.Count > 0 && !options.Allows(TlsProtocolVersion.Tls13))
            {
                throw new CliException("-ech_key needs TLS 1.3 (Encrypted Client Hello exists only there)");
            }
            if (common.ExternalPsk(parse) is { } psk)
            {
                options.ExternalPsks = [psk];
            }

            if (parse.GetValue(noCert) && options.ExternalPsks.Count == 0)
            {
                throw new CliException("-nocert needs -psk: without a certificate or a PSK no client can authenticate this server");
            }

            var certificate = parse.GetValue(noCert) ? null : LoadServerCertificate(parse.GetValue(common.Cert), parse.GetValue(common.Key));
            if (certificate is not null)
            {
                options.Certificates.Add(certificate);
            }

            using var stapler = certificate is null ? null : parse.GetValue(statusFile) is { } stapleFile
                ? StapleOptions.LoadFile(certificate, stapleFile)
                : parse.GetValue(status) ? await StapleOptions.StartFetchingAsync(certificate, cancellationToken).ConfigureAwait(false) : null;

            if (parse.GetValue(common.CaFile) is { } caFile)
            {
                var roots = PemFiles.LoadCertificates(caFile);
                options.CertificateVerifier = new X509CertificateVerifier(roots);

                // As openssl s_server: the CertificateRequest names these CAs (certificate_authorities).
                options.ClientCertificateAuthorities = [.. Tessera.Pki.X509.TrustStore.FromDer(roots, caFile).Anchors.Select(a => a.Subject.Der.ToArray())];
            }

            bool quiet = parse.GetValue(common.Quiet);
            int? limit = parse.GetValue(naccept);
            if (limit is <= 0)
            {
                throw new CliException("-naccept must be a positive number");
            }

            using var listener = new TcpListener(endpoint);
            try
            {
                listener.Start();
            }
            catch (SocketException ex)
            {
                throw new CliException($"cannot listen on {endpoint}: {ex.Message}");
            }

            Console.WriteLine($"ACCEPT {listener.LocalEndpoint}");
            Console.Out.Flush();
            // Connections in progress, each removed when it ends (a list of every connection ever would grow for ever).
            var sessions = new System.Collections.Concurrent.ConcurrentDictionary<Task, bool>();
            var stats = new ServerStats(options);
            int accepted = 0;
            while (limit is null || accepted < limit)
            {
                TcpClient client;
                try
                {
                    client = await listener.AcceptTcpClientAsync(cancellationToken).ConfigureAwait(false);
                    client.NoDelay = true;   // small records (responses, alerts) go out at once
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                accepted++;
                var session = ServeAsync(client, options, parse.GetValue(www), quiet, parse.GetValue(common.Brief), stats, cancellationToken);
                sessions.TryAdd(session, true);
                _ = session.ContinueWith(done => sessions.TryRemove(done, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }

            await Task.WhenAll(sessions.Keys).ConfigureAwait(false);
            return 0;
        }));
        return command;
    }

    internal static IPEndPoint ParseEndpoint(string text)
    {
        string host = "0.0.0.0";
        string port = text;
        int colon = text.LastIndexOf(':');
        if (colon >= 0)
        {
            host = text[..colon].Trim('[', ']');
            port = text[(colon + 1)..];
        }

        if (!int.TryParse(port, out int p) || p is < 0 or > 65535)
        {
            throw new CliException($"-accept: '{text}' is not a port or host:port");
        }

        if (host is "localhost" or "")
        {
            host = "127.0.0.1";
        }

        if (!IPAddress.TryParse(host, out var address))
        {
            throw new CliException($"-accept: '{host}' is not an IP address");
        }

        return new IPEndPoint(address, p);
    }

    private static TlsCertificate LoadServerCertificate(string? certPath, string? keyPath)
    {
        if (certPath is null && keyPath is null)
        {
            Console.Error.WriteLine("tessera s_server: no -cert/-key given; using a throwaway certificate for localhost");
            return TestCertificateAuthority.Create(CertificateKeyType.EcdsaP256, "Tessera throwaway CA")
                .IssueServerCertificate(["localhost", "127.0.0.1"], CertificateKeyType.EcdsaP256);
        }

        if (certPath is null || keyPath is null)
        {
            throw new CliException("-cert and -key go together");
        }

        return PemFiles.LoadTlsCertificate(certPath, keyPath);
    }

    private static async Task ServeAsync(TcpClient client, TlsServerOptions options, bool www, bool quiet, bool brief, ServerStats stats, CancellationToken cancellationToken)
    {
        var remote = client.Client.RemoteEndPoint;
        using var tracked = stats.Track();
        using (client)
        await using (var stream = new TlsStream(client.GetStream()))
        {
            try
            {
                await stream.AuthenticateAsServerAsync(options, cancellationToken).ConfigureAwait(false);   // within options.HandshakeTimeout (30 s)
                if (brief)
                {
                    Console.Error.WriteLine($"tessera s_server: {remote}: {SessionReport.Brief(stream.Connection)}");
                }
                else if (!quiet)
                {
                    Console.WriteLine($"-- connection from {remote}");
                    foreach (var line in SessionReport.Lines(stream.Connection, verification: null))
                    {
                        Console.WriteLine(line);
                    }
                }

                if (stream.Connection.EarlyDataReceived > 0 && www)
                {
                    Console.Error.WriteLine($"tessera s_server: {remote}: {stream.Connection.EarlyDataReceived} bytes of 0-RTT early data accepted");
                }
                else if (stream.Connection.EarlyDataReceived > 0)
                {
                    // As openssl s_server: the early data, marked, before the rest.
                    var early = new byte[stream.Connection.EarlyDataReceived];
                    await stream.ReadExactlyAsync(early, cancellationToken).ConfigureAwait(false);
                    Console.WriteLine("Early data received:");
                    await Console.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
                    await Console.OpenStandardOutput().WriteAsync(early, cancellationToken).ConfigureAwait(false);
                    Console.WriteLine();
                    Console.WriteLine("End of early data");
                }

                if (www)
                {
                    bool fromLoopback = remote is IPEndPoint { Address: var address } && IPAddress.IsLoopback(address);
                    if (!await WwwResponder.ServeAsync(stream, stats, cancellationToken, fromLoopback).ConfigureAwait(false))
                    {
                        // The client left before asking: answer its close_notify if the transport still takes it, quietly.
                        await ShutdownQuietlyAsync(stream, cancellationToken).ConfigureAwait(false);
                        return;
                    }
                }
                else
                {
                    await CopyToStdoutAsync(stream, cancellationToken).ConfigureAwait(false);
                }

                await stream.ShutdownAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TlsException or IOException or OperationCanceledException or SocketException or TimeoutException)
            {
                if (!cancellationToken.IsCancellationRequested)
                {
                    Console.Error.WriteLine($"tessera s_server: {remote}: {Program.Describe(ex)}");
                }

                // else SIGINT or SIGTERM: the server is stopping and closes this connection with the others, quietly.
            }
            finally
            {
                if (stream.IsAuthenticated && stream.Connection.Renegotiations > 0)
                {
                    Console.Error.WriteLine($"tessera s_server: {remote}: {stream.Connection.Renegotiations} secure renegotiation(s) (RFC 5746)");
                }

                if (stream.IsAuthenticated && stream.Connection.RenegotiationsRefused > 0)
                {
                    string why = options.AllowClientRenegotiation
                        ? "more than 3 a minute, or the client lacks RFC 5746"
                        : "client-initiated renegotiation is off; -client_renegotiation allows it";
                    Console.Error.WriteLine($"tessera s_server: {remote}: refused {stream.Connection.RenegotiationsRefused} renegotiation request(s) with no_renegotiation ({why})");
                }
            }
        }
    }

    private static async Task ShutdownQuietlyAsync(TlsStream stream, CancellationToken cancellationToken)
    {
        try
        {
            await stream.ShutdownAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
            // The client has closed its end already (EPIPE, a reset): there is no one to tell.
        }
    }

    private static async Task CopyToStdoutAsync(TlsStream stream, CancellationToken cancellationToken)
    {
        var stdout = Console.OpenStandardOutput();
        var buffer = new byte[16384];
        int n;
        while ((n = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            await stdout.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
            await stdout.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
