using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Tessera.Pki;

namespace Tessera.Cli;

/// <summary><c>tessera ca init|issue|revoke|crl</c>: a small development CA kept in a directory (see <see cref="FileCertificateAuthority"/>).</summary>
internal static class CaCommand
{
    public static Command Create()
    {
        var command = new Command("ca", "a small test CA for developers (files in PEM; never for production trust)");
        command.Subcommands.Add(Init());
        command.Subcommands.Add(Issue());
        command.Subcommands.Add(Revoke());
        command.Subcommands.Add(Crl());
        command.Subcommands.Add(OcspServe());
        return command;
    }

    /// <summary>
    /// An HTTP OCSP responder for the CA (RFC 6960 Appendix A: POST of a DER request, or GET with it in
    /// base64 in the path), on 127.0.0.1 by default; port 0 picks a free one, printed as the URL. GET /crl returns
    /// a freshly signed CRL (DER), for certificates issued with <c>--crl-url http://.../crl</c>.
    /// </summary>
    private static Command OcspServe()
    {
        var dir = DirectoryOption();
        var accept = CliOptions.Create<string>("accept", "address:port to listen on (port 0: any free port)");
        accept.DefaultValueFactory = _ => "127.0.0.1:0";
        var hours = CliOptions.Create<int>("hours", "validity of each answer (nextUpdate), in hours");
        hours.DefaultValueFactory = _ => 24;
        var limit = CliOptions.Create<int?>("naccept", "stop after this many requests");
        var command = new Command("ocsp-serve", "answer OCSP requests for this CA's certificates over HTTP (and serve its CRL at /crl)");
        foreach (var option in new Option[] { dir, accept, hours, limit })
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, cancellationToken) => Program.Guarded(async () =>
        {
            var ca = FileCertificateAuthority.Open(parse.GetValue(dir)!);
            var endpoint = SServerCommand.ParseEndpoint(parse.GetValue(accept)!);
            var validity = parse.GetValue(hours) is > 0 and <= 24 * 365 and var h ? TimeSpan.FromHours(h) : throw new CliException("-hours must be between 1 and 8760");
            using var listener = new System.Net.Sockets.TcpListener(endpoint);
            listener.Start();
            var bound = (System.Net.IPEndPoint)listener.LocalEndpoint;
            Console.WriteLine($"OCSP responder on http://{bound.Address}:{bound.Port}/ (CRL at http://{bound.Address}:{bound.Port}/crl)");
            int served = 0;
            while (parse.GetValue(limit) is not { } max || served < max)
            {
                using var client = await listener.AcceptTcpClientAsync(cancellationToken).ConfigureAwait(false);
                served++;
                try
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    timeout.CancelAfter(TimeSpan.FromSeconds(10));
                    await OcspHttp.AnswerAsync(client.GetStream(), request => ca.CreateOcspResponse(request, validity), timeout.Token, () => ca.CreateCrl(validity)).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or OperationCanceledException or FormatException && !cancellationToken.IsCancellationRequested)
                {
                    await Console.Error.WriteLineAsync($"tessera ca ocsp-serve: {client.Client.RemoteEndPoint}: {ex.Message}").ConfigureAwait(false);
                }
            }

            return 0;
        }));
        return command;
    }

    private static Option<string> DirectoryOption()
    {
        var option = CliOptions.Create<string>("dir", "the CA's directory");
        option.DefaultValueFactory = _ => "tessera-ca";
        return option;
    }

    private static Option<string> KeyTypeOption(string fallback)
    {
        var option = CliOptions.Create<string>("key-type", "ecdsa-p256, ecdsa-p384, rsa2048 or ed25519");
        option.DefaultValueFactory = _ => fallback;
        return option;
    }

    private static CertificateKeyType ParseKeyType(string text) => text.ToLowerInvariant() switch
    {
        "ecdsa-p256" or "ec" or "ecdsa" => CertificateKeyType.EcdsaP256,
        "ecdsa-p384" => CertificateKeyType.EcdsaP384,
        "rsa2048" or "rsa" => CertificateKeyType.Rsa2048,
        "ed25519" => CertificateKeyType.Ed25519,
        _ => throw new CliException($"-key-type: '{text}' is not ecdsa-p256, ecdsa-p384, rsa2048 or ed25519"),
    };

    private static TimeSpan Days(int days) => days is > 0 and <= 36500 ? TimeSpan.FromDays(days) : throw new CliException($"-days: {days} is not between 1 and 36500");

    private static Command Init()
    {
        var dir = DirectoryOption();
        var keyType = KeyTypeOption("ecdsa-p256");
        var name = CliOptions.Create<string>("name", "the root's common name");
        name.DefaultValueFactory = _ => "Tessera Development CA";
        var days = CliOptions.Create<int>("days", "validity in days");
        days.DefaultValueFactory = _ => 3650;
        var command = new Command("init", "create a root CA in a directory");
        foreach (var option in new Option[] { dir, keyType, name, days })
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, _) => Program.Guarded(() =>
        {
            var directory = parse.GetValue(dir)!;
            FileCertificateAuthority.Init(directory, ParseKeyType(parse.GetValue(keyType)!), parse.GetValue(name)!, Days(parse.GetValue(days)));
            Console.WriteLine($"CA created in {directory}: ca.pem (trust this), ca-key.pem (keep this private)");
            return Task.FromResult(0);
        }));
        return command;
    }

    /// <summary>What <c>ca issue -type</c> takes, spelled as it is printed back ("issued ocsp-responder certificate ...").</summary>
    private static readonly (string Name, IssuedCertificateKind Kind)[] IssueTypes =
    [
        ("server", IssuedCertificateKind.Server),
        ("client", IssuedCertificateKind.Client),
        ("intermediate", IssuedCertificateKind.Intermediate),
        ("ocsp-responder", IssuedCertificateKind.OcspResponder),
    ];

    private static Command Issue()
    {
        var dir = DirectoryOption();
        var keyType = KeyTypeOption("ecdsa-p256");
        var type = CliOptions.Create<string>("type", "server, client, intermediate or ocsp-responder");
        type.DefaultValueFactory = _ => "server";
        var name = CliOptions.Create<string?>("name", "the common name (default: the first -san)");
        var san = CliOptions.Create<string[]>("san", "DNS names and IP addresses, comma-separated or repeated");
        var days = CliOptions.Create<int>("days", "validity in days");
        days.DefaultValueFactory = _ => 90;
        var mustStaple = CliOptions.Flag("must-staple", "add the TLS Feature extension (RFC 7633)");
        var ocspUrl = CliOptions.Create<string?>("ocsp-url", "an OCSP responder URL for authorityInfoAccess");
        var crlUrl = CliOptions.Create<string?>("crl-url", "a CRL distribution point URL");
        var output = CliOptions.Create<string?>("out", "file prefix: writes PREFIX.pem (chain) and PREFIX-key.pem (default: the common name)");
        var command = new Command("issue", "issue a server, client, intermediate or OCSP responder certificate");
        foreach (var option in new Option[] { dir, keyType, type, name, san, days, mustStaple, ocspUrl, crlUrl, output })
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, _) => Program.Guarded(() =>
        {
            var ca = FileCertificateAuthority.Open(parse.GetValue(dir)!);
            var typeName = parse.GetValue(type)!.ToLowerInvariant();
            var kind = IssueTypes.FirstOrDefault(t => t.Name == typeName) is { Name: not null } known
                ? known.Kind
                : throw new CliException($"-type: '{typeName}' is not server, client, intermediate or ocsp-responder");
            var names = (parse.GetValue(san) ?? []).SelectMany(s => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
            var commonName = parse.GetValue(name) ?? names.FirstOrDefault() ?? throw new CliException("give -name or at least one -san");
            if (kind == IssuedCertificateKind.Server && names.Count == 0)
            {
                names.Add(commonName);
            }

            var issued = ca.Issue(kind, commonName, names, ParseKeyType(parse.GetValue(keyType)!), Days(parse.GetValue(days)),
                parse.GetValue(mustStaple), parse.GetValue(ocspUrl), parse.GetValue(crlUrl));
            var prefix = parse.GetValue(output) ?? string.Concat(commonName.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '_'));
            File.WriteAllText(prefix + ".pem", issued.CertificateChainPem);
            FileCertificateAuthority.WritePrivateKeyFile(prefix + "-key.pem", issued.PrivateKeyPem);
            Console.WriteLine($"issued {typeName} certificate {issued.SerialNumber} for {commonName}: {prefix}.pem, {prefix}-key.pem");
            return Task.FromResult(0);
        }));
        return command;
    }

    private static Command Revoke()
    {
        var dir = DirectoryOption();
        var reason = CliOptions.Create<string>("reason", "unspecified, keyCompromise, cACompromise, affiliationChanged, superseded, cessationOfOperation, certificateHold, privilegeWithdrawn");
        reason.DefaultValueFactory = _ => "unspecified";
        var certificate = new Argument<string>("certificate") { Description = "the certificate to revoke (PEM; the first in the file)" };
        var command = new Command("revoke", "revoke a certificate this CA issued (the next CRL lists it)");
        command.Options.Add(dir);
        command.Options.Add(reason);
        command.Arguments.Add(certificate);
        command.SetAction((parse, _) => Program.Guarded(() =>
        {
            var ca = FileCertificateAuthority.Open(parse.GetValue(dir)!);
            // Names only (not numbers), never removeFromCRL (delta CRLs only, RFC 5280 §5.3.1) nor aACompromise.
            var text = parse.GetValue(reason) ?? "";
            var why = text.Length > 0 && char.IsLetter(text[0]) && Enum.TryParse<X509RevocationReason>(text, ignoreCase: true, out var parsed) &&
                FileCertificateAuthority.IsCrlReason(parsed)
                ? parsed
                : throw new CliException($"-reason: '{text}' is not a reason a CRL can carry (unspecified, keyCompromise, cACompromise, affiliationChanged, superseded, cessationOfOperation, certificateHold, privilegeWithdrawn)");
            var path = parse.GetValue(certificate)!;
            ca.Revoke(PemFiles.LoadCertificates(path)[0], why);
            Console.WriteLine($"revoked {path} ({why}); run 'tessera ca crl' to publish it");
            return Task.FromResult(0);
        }));
        return command;
    }

    private static Command Crl()
    {
        var dir = DirectoryOption();
        var days = CliOptions.Create<int>("days", "days until nextUpdate");
        days.DefaultValueFactory = _ => 7;
        var output = CliOptions.Create<string?>("out", "where to write the CRL (PEM; default DIR/crl.pem)");
        var command = new Command("crl", "sign a CRL of every revoked certificate");
        foreach (var option in new Option[] { dir, days, output })
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, _) => Program.Guarded(() =>
        {
            var directory = parse.GetValue(dir)!;
            var ca = FileCertificateAuthority.Open(directory);
            var crl = ca.CreateCrl(Days(parse.GetValue(days)));
            var path = parse.GetValue(output) ?? Path.Combine(directory, "crl.pem");
            File.WriteAllText(path, PemEncoding.WriteString("X509 CRL", crl) + "\n");
            Console.WriteLine($"CRL with {ca.Revoked().Count} revoked certificate(s) written to {path}");
            return Task.FromResult(0);
        }));
        return command;
    }
}
