using System.CommandLine;
using System.Globalization;
using System.Net;
using Tessera.Pki;
using Tessera.Pki.X509;

namespace Tessera.Cli;

/// <summary>
/// <c>tessera verify</c>, like <c>openssl verify</c>: validates each certificate file with Tessera's own path
/// validation and prints <c>file: OK</c>, or the reason and the depth it failed at. Exit code 0 only when every
/// file validates, 2 when one does not, 1 for a usage mistake.
/// </summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var caFile = CliOptions.Create<string?>("CAfile", "trusted roots (PEM); default: the system's");
        var caPath = CliOptions.Create<string?>("CApath", "a directory of trusted roots (PEM files)");
        var untrusted = CliOptions.Create<string?>("untrusted", "intermediate certificates (PEM), trusted for nothing");
        var atTime = CliOptions.Create<long?>("attime", "validate at this time (seconds since 1970) instead of now");
        var hostName = CliOptions.Create<string?>("verify_hostname", "the DNS name the certificate must carry");
        var ip = CliOptions.Create<string?>("verify_ip", "the IP address the certificate must carry");
        var purpose = CliOptions.Create<string?>("purpose", "sslserver (default) or sslclient");
        var allowSha1 = CliOptions.Flag("allow_sha1", "accept SHA-1 signatures in the chain");
        var files = new Argument<string[]>("certificates") { Description = "PEM files: the first certificate of each is checked, the others help build the path", Arity = ArgumentArity.OneOrMore };
        var command = new Command("verify", "validate certificates with Tessera's path validation (openssl verify style)");
        foreach (var option in new Option[] { caFile, caPath, untrusted, atTime, hostName, ip, purpose, allowSha1 })
        {
            command.Options.Add(option);
        }

        command.Arguments.Add(files);
        command.SetAction((parse, _) => Program.Guarded(() =>
        {
            var store = parse.GetValue(caFile) is { } file ? TrustStore.FromPemFile(file)
                : parse.GetValue(caPath) is { } directory ? TrustStore.FromDirectory(directory)
                : TrustStore.System;
            if (store.Anchors.Count == 0)
            {
                throw new CliException($"no trusted root in {store.Source}");
            }

            var usage = parse.GetValue(purpose) switch
            {
                null or "sslserver" => CertificateUsage.Server,
                "sslclient" => CertificateUsage.Client,
                var other => throw new CliException($"-purpose: '{other}' is not sslserver or sslclient"),
            };
            string? expectedName = parse.GetValue(hostName);
            if (parse.GetValue(ip) is { } address)
            {
                if (!IPAddress.TryParse(address, out IPAddress? _))
                {
                    throw new CliException($"-verify_ip: '{address}' is not an IP address");
                }

                expectedName = expectedName is null ? address : throw new CliException("-verify_hostname and -verify_ip exclude each other");
            }

            var time = parse.GetValue(atTime) is { } seconds ? DateTimeOffset.FromUnixTimeSeconds(seconds) : DateTimeOffset.UtcNow;
            var pool = parse.GetValue(untrusted) is { } intermediates ? PemFiles.LoadCertificates(intermediates) : [];
            var validator = new CertificateValidator(store.Anchors, new ValidationPolicy { AllowSha1Signatures = parse.GetValue(allowSha1) });
            int failures = 0;
            foreach (var path in parse.GetValue(files)!)
            {
                var certificates = PemFiles.LoadCertificates(path);
                Certificate leaf;
                List<Certificate> others;
                try
                {
                    leaf = Certificate.Parse(certificates[0]);
                    others = [.. certificates.Skip(1).Concat(pool).Select(d => Certificate.Parse(d))];
                }
                catch (CertificateFormatException ex)
                {
                    Console.WriteLine($"{path}: error: {ex.Message}");
                    failures++;
                    continue;
                }

                var result = validator.Validate(leaf, others, new ValidationContext { Time = time, ExpectedName = expectedName, Usage = usage });
                if (result.IsValid)
                {
                    Console.WriteLine($"{path}: OK ({string.Join(" <- ", result.Path.Select(c => c.Subject.ToString()))})");
                }
                else
                {
                    Console.WriteLine($"{path}: error at depth {result.FailingDepth.ToString(CultureInfo.InvariantCulture)}: {result.Reason} ({result.Error}; TLS alert {result.Alert.ToRfcName()})");
                    failures++;
                }
            }

            return Task.FromResult(failures == 0 ? 0 : 2);
        }));
        return command;
    }
}
