using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Tessera.Cli.Scan;

namespace Tessera.Cli;

/// <summary>
/// <c>tessera scan HOST[:PORT]</c>: grades a TLS server (protocols, suites, groups, certificate, features, known
/// weaknesses) and prints a report, or JSON with <c>--json</c>. Exit code 0; 2 when the grade is below
/// <c>--fail-under</c>; 1 when the scan cannot run (nothing listening, not TLS, a usage mistake).
/// </summary>
internal static class ScanCommand
{
    public static Command Create()
    {
        var target = new Argument<string>("target") { Description = "HOST[:PORT] (port 443 by default, or the STARTTLS protocol's port)" };
        var serverName = CliOptions.Create<string?>("servername", "SNI name to send (default: the host, unless it is an address)");
        var noServerName = CliOptions.Flag("noservername", "send no SNI");
        var startTls = CliOptions.Create<string?>("starttls", "upgrade a plain-text protocol first: smtp, imap, pop3, ftp or ldap");
        var json = CliOptions.Flag("json", "print the report as JSON (progress still goes to stderr)");
        var failUnder = CliOptions.Create<string?>("fail-under", "exit with code 2 when the grade is worse than this (A+, A, A-, B, C, D, E, F)");
        var timeout = CliOptions.Create<double?>("timeout", "seconds to wait for each connection and answer (default 5)");
        var caFile = CliOptions.Create<string?>("CAfile", "trusted roots (PEM) for the certificate check (default: the system's)");
        var revocation = CliOptions.Flag("revocation", "check the certificate's revocation status over the network (OCSP, else CRL)");
        var noHttp = CliOptions.Flag("no-http", "do not send an HTTP request (skips the HSTS check)");
        var quiet = CliOptions.Flag("quiet", "no progress output");
        var command = new Command("scan", "grade a TLS server: protocols, suites, certificate, features and weaknesses (like SSL Labs)");
        foreach (var option in new Option[] { serverName, noServerName, startTls, json, failUnder, timeout, caFile, revocation, noHttp, quiet })
        {
            command.Options.Add(option);
        }

        command.Arguments.Add(target);
        command.SetAction((parse, cancellationToken) => Program.Guarded(async () =>
        {
            var protocol = parse.GetValue(startTls) switch
            {
                null => StartTlsProtocol.None,
                var p when Enum.TryParse<StartTlsProtocol>(p, ignoreCase: true, out var parsed) && parsed != StartTlsProtocol.None => parsed,
                var p => throw new CliException($"-starttls: '{p}' is not smtp, imap, pop3, ftp or ldap"),
            };
            var (host, port) = ParseTarget(parse.GetValue(target)!, DefaultPort(protocol));
            string? sni = parse.GetValue(noServerName) ? null : parse.GetValue(serverName) ?? (IPAddress.TryParse(host, out _) ? null : host);
            double seconds = parse.GetValue(timeout) ?? 5;
            if (seconds is <= 0 or > 300)
            {
                throw new CliException("-timeout: give seconds between 0 and 300");
            }

            int? failRank = parse.GetValue(failUnder) is { } g
                ? ScanGrader.Order.Contains(g.ToUpperInvariant()) ? ScanGrader.Rank(g.ToUpperInvariant()) : throw new CliException($"-fail-under: '{g}' is not a grade (A+, A, A-, B, C, D, E or F)")
                : null;
            if (parse.GetValue(caFile) is { } ca && !File.Exists(ca))
            {
                throw new CliException($"-CAfile: {ca}: no such file");
            }

            var settings = new ScanSettings { CaFile = parse.GetValue(caFile), CheckRevocation = parse.GetValue(revocation), Http = !parse.GetValue(noHttp) };
            var scanTarget = new ScanTarget(host, port, sni, protocol, TimeSpan.FromSeconds(seconds));
            IScanProgress progress = parse.GetValue(quiet) ? new SilentProgress() : Console.IsErrorRedirected ? new LineProgress(Console.Error) : new BarProgress(Console.Error);
            ScanReport report;
            try
            {
                report = await new TlsScanner(scanTarget, settings, progress).RunAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                (progress as BarProgress)?.Clear();
            }

            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(report, JsonOptions));
            }
            else
            {
                ScanReportWriter.Write(report, Console.Out);
            }

            if (failRank is { } limit && ScanGrader.Rank(report.Grade) > limit)
            {
                await Console.Error.WriteLineAsync($"tessera scan: grade {report.Grade} is worse than {ScanGrader.Order[limit]}").ConfigureAwait(false);
                return 2;
            }

            return 0;
        }));
        return command;
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static int DefaultPort(StartTlsProtocol protocol) => protocol switch
    {
        StartTlsProtocol.Smtp => 25,
        StartTlsProtocol.Imap => 143,
        StartTlsProtocol.Pop3 => 110,
        StartTlsProtocol.Ftp => 21,
        StartTlsProtocol.Ldap => 389,
        _ => 443,
    };

    /// <summary>HOST, HOST:PORT, [IPv6]:PORT or a bare IPv6 address.</summary>
    public static (string Host, int Port) ParseTarget(string text, int defaultPort)
    {
        text = text.Trim();
        if (text.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            text = text[8..].TrimEnd('/');
        }

        string host = text;
        string? portText = null;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw new CliException($"'{text}': missing ']' after an IPv6 address");
            }

            host = text[1..close];
            if (close + 1 < text.Length)
            {
                portText = text[(close + 1)..].StartsWith(':') ? text[(close + 2)..] : throw new CliException($"'{text}': expected :PORT after ']'");
            }
        }
        else if (text.Count(c => c == ':') == 1)
        {
            int colon = text.IndexOf(':', StringComparison.Ordinal);
            host = text[..colon];
            portText = text[(colon + 1)..];
        }

        if (host.Length == 0)
        {
            throw new CliException($"'{text}': no host");
        }

        int port = defaultPort;
        if (portText is not null && (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
        {
            throw new CliException($"'{text}': the port must be a number from 1 to 65535");
        }

        return (host, port);
    }

    private sealed class SilentProgress : IScanProgress
    {
        public void Report(string step, double fraction)
        {
        }
    }

    /// <summary>One line a step, for logs and pipes.</summary>
    private sealed class LineProgress(TextWriter output) : IScanProgress
    {
        public void Report(string step, double fraction)
        {
            if (step != "done")
            {
                output.WriteLine($"scan: {step}…");
            }
        }
    }

    /// <summary>A bar redrawn in place on a terminal.</summary>
    private sealed class BarProgress(TextWriter output) : IScanProgress
    {
        private const int Width = 30;

        public void Report(string step, double fraction)
        {
            int filled = (int)Math.Round(fraction * Width);
            output.Write($"\r[{new string('#', filled)}{new string('.', Width - filled)}] {fraction,4:P0} {step,-40}");
            output.Flush();
        }

        public void Clear()
        {
            output.Write($"\r{new string(' ', Width + 50)}\r");
            output.Flush();
        }
    }
}
