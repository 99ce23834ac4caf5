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
        var crlCheck = CliOptions.Flag("crl_check", "the end entity must be covered by a current CRL and not be on it");
        var crlCheckAll = CliOptions.Flag("crl_check_all", "every certificate below the root must be covered by a current CRL and not be on it");
        var crlFiles = CliOptions.Create<string[]>("CRLfile", "CRLs (PEM or DER); may be given more than once");
        crlFiles.AllowMultipleArgumentsPerToken = false;
        var files = new Argument<string[]>("certificates") { Description = "PEM files: the first certificate of each is checked, the others help build the path", Arity = ArgumentArity.OneOrMore };
        var command = new Command("verify", "validate certificates with Tessera's path validation (openssl verify style)");
        foreach (var option in new Option[] { caFile, caPath, untrusted, atTime, hostName, ip, purpose, allowSha1, crlCheck, crlCheckAll, crlFiles })
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
            var crls = (parse.GetValue(crlFiles) ?? []).SelectMany(LoadCrls).ToList();
            var revocation = parse.GetValue(crlCheck) || parse.GetValue(crlCheckAll) ? RevocationMode.HardFail : crls.Count > 0 ? RevocationMode.SoftFail : RevocationMode.Off;
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

                var result = validator.Validate(leaf, others, new ValidationContext
                {
                    Time = time,
                    ExpectedName = expectedName,
                    Usage = usage,
                    Crls = crls,
                    Revocation = revocation,
                    RevocationLeafOnly = !parse.GetValue(crlCheckAll),
                });
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

    /// <summary>Every CRL in a PEM file ("X509 CRL" blocks), or the file itself as DER.</summary>
    internal static IEnumerable<CertificateRevocationList> LoadCrls(string path)
    {
        byte[] content;
        try
        {
            content = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"-CRLfile {path}: {ex.Message}");
        }

        var text = System.Text.Encoding.ASCII.GetString(content);
        var blocks = new List<byte[]>();
        int at = 0;
        while ((at = text.IndexOf("-----BEGIN X509 CRL-----", at, StringComparison.Ordinal)) >= 0)
        {
            int end = text.IndexOf("-----END X509 CRL-----", at, StringComparison.Ordinal);
            if (end < 0)
            {
                throw new CliException($"-CRLfile {path}: unterminated PEM block");
            }

            var body = text[(at + "-----BEGIN X509 CRL-----".Length)..end];
            try
            {
                blocks.Add(Convert.FromBase64String(string.Concat(body.Where(c => !char.IsWhiteSpace(c)))));
            }
            catch (FormatException)
            {
                throw new CliException($"-CRLfile {path}: bad base64 in a PEM block");
            }

            at = end;
        }

        if (blocks.Count == 0)
        {
            blocks.Add(content);
        }

        foreach (var der in blocks)
        {
            CertificateRevocationList crl;
            try
            {
                crl = CertificateRevocationList.Parse(der);
            }
            catch (CertificateFormatException ex)
            {
                throw new CliException($"-CRLfile {path}: {ex.Message}");
            }

            yield return crl;
        }
    }
}
