using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Tessera.Pki;

namespace Tessera.Cli;

/// <summary>
/// <c>tessera demo</c>: with nothing set up, makes a throwaway CA and server certificate, runs a
/// server and a client on loopback, prints the handshake as a protocol analyzer would, then the
/// negotiated parameters and one HTTP exchange.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var keyType = CliOptions.Create<string>("key-type", "server key: ecdsa-p256, ecdsa-p384, rsa2048, rsa-pss, ed25519");
        keyType.DefaultValueFactory = _ => "ecdsa-p256";
        var groups = CliOptions.Create<string?>("groups", "colon-separated groups the client offers, e.g. P-384:X25519");
        var hrr = CliOptions.Flag("hrr", "let the server accept only P-256, so a client leading with X25519 gets a HelloRetryRequest");
        var tls12 = CliOptions.Flag("tls1_2", "show a TLS 1.2 handshake instead");
        var ech = CliOptions.Flag("ech", "hide the server name with Encrypted Client Hello: the trace shows the outer and the inner ClientHello");
        var command = new Command("demo", "run a TLS 1.3 handshake on loopback and show every message");
        command.Options.Add(keyType);
        command.Options.Add(groups);
        command.Options.Add(hrr);
        command.Options.Add(tls12);
        command.Options.Add(ech);
        command.SetAction((parse, cancellationToken) => Program.Guarded(() =>
            RunAsync(ParseKeyType(parse.GetValue(keyType)!), parse.GetValue(groups), parse.GetValue(hrr), parse.GetValue(tls12), Console.Out, cancellationToken, parse.GetValue(ech))));
        return command;
    }

    internal static CertificateKeyType ParseKeyType(string text) => text.ToLowerInvariant() switch
    {
        "ecdsa-p256" or "p256" or "ecdsa" => CertificateKeyType.EcdsaP256,
        "ecdsa-p384" or "p384" => CertificateKeyType.EcdsaP384,
        "rsa2048" or "rsa" => CertificateKeyType.Rsa2048,
        "rsa-pss" or "rsapss2048" => CertificateKeyType.RsaPss2048,
        "ed25519" => CertificateKeyType.Ed25519,
        _ => throw new CliException($"-key-type: unknown key type '{text}' (ecdsa-p256, ecdsa-p384, rsa2048, rsa-pss, ed25519)"),
    };

    internal static async Task<int> RunAsync(CertificateKeyType keyType, string? groups, bool helloRetry, bool tls12, TextWriter output, CancellationToken cancellationToken, bool ech = false)
    {
        if (tls12 && (helloRetry || ech))
        {
            throw new CliException($"{(helloRetry ? "-hrr" : "-ech")} is a TLS 1.3 feature; drop -tls1_2 to see it");
        }

        output.WriteLine($"Tessera demo: a throwaway CA, a server certificate, and a TLS {(tls12 ? "1.2" : "1.3")} connection over 127.0.0.1");
        var ca = TestCertificateAuthority.Create(CertificateKeyType.EcdsaP256, "Tessera Demo CA");
        var certificate = ca.IssueServerCertificate(["localhost"], keyType);
        output.WriteLine($"CA: {SessionReport.Subject([ca.RootCertificateDer])}; server certificate: {SessionReport.Subject(certificate.Chain)} ({keyType})");

        var serverOptions = new TlsServerOptions { ApplicationProtocols = ["http/1.1"] };
        if (helloRetry)
        {
            serverOptions.Groups = [NamedGroup.Secp256r1];
        }

        serverOptions.Certificates.Add(certificate);
        using var echKey = ech ? Tessera.Ech.EchServerKey.Generate("public.tessera.test", maximumNameLength: 32) : null;
        if (echKey is not null)
        {
            serverOptions.EchKeys.Add(echKey);
            output.WriteLine("ECH: the server's key is for public name public.tessera.test; the client encrypts its real ClientHello (server name localhost) to it");
        }

        var clientOptions = new TlsClientOptions
        {
            ServerName = "localhost",
            ApplicationProtocols = ["http/1.1"],
            CertificateVerifier = new X509CertificateVerifier([ca.RootCertificateDer]),
            Observer = new AnalyzerObserver(output, showRecords: true),
            EchConfigList = echKey?.ConfigList,
        };
        if (tls12)
        {
            clientOptions.MaxProtocolVersion = TlsProtocolVersion.Tls12;
        }

        if (groups is not null)
        {
            clientOptions.Groups = [.. groups.Split(':').Select(g => NamedGroups.FromName(g) ?? throw new CliException($"-groups: unknown group '{g}'"))];
        }

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var endpoint = (IPEndPoint)listener.LocalEndpoint;
        output.WriteLine($"server listening on {endpoint}");
        output.WriteLine();

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        var serverTask = Task.Run(async () =>
        {
            using var accepted = await listener.AcceptTcpClientAsync(timeout.Token).ConfigureAwait(false);
            await using var serverStream = new TlsStream(accepted.GetStream());
            await serverStream.AuthenticateAsServerAsync(serverOptions, timeout.Token).ConfigureAwait(false);
            await WwwResponder.ServeAsync(serverStream, stats: null, timeout.Token).ConfigureAwait(false);
            await serverStream.ShutdownAsync(timeout.Token).ConfigureAwait(false);
        }, timeout.Token);

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(endpoint, timeout.Token).ConfigureAwait(false);
        await using var stream = new TlsStream(tcp.GetStream());
        await stream.AuthenticateAsClientAsync(clientOptions, timeout.Token).ConfigureAwait(false);

        output.WriteLine();
        output.WriteLine("Negotiated:");
        foreach (var line in SessionReport.Lines(stream.Connection, stream.Connection.PeerCertificateVerified ? "OK (chain to the demo CA, name localhost)" : "not verified"))
        {
            output.WriteLine("  " + line);
        }

        output.WriteLine();
        const string request = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
        output.WriteLine("HTTP request (sent as application data):");
        output.WriteLine("  " + request.TrimEnd().Replace("\r\n", "\r\n  ", StringComparison.Ordinal));
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), timeout.Token).ConfigureAwait(false);

        var response = new MemoryStream();
        await stream.CopyToAsync(response, timeout.Token).ConfigureAwait(false);
        await stream.ShutdownAsync(timeout.Token).ConfigureAwait(false);
        await serverTask.ConfigureAwait(false);
        output.WriteLine();
        output.WriteLine("HTTP response (received as application data, then close_notify):");
        foreach (var line in Encoding.UTF8.GetString(response.ToArray()).Split("\r\n"))
        {
            output.WriteLine("  " + line);
        }

        return 0;
    }
}
