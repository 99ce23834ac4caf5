using System.Globalization;
using Tessera.Pki;

namespace Tessera.Cli;

/// <summary>s_server's -status_file (staple a DER response, checked first) and -status (fetch, staple and refresh with <see cref="OcspStapler"/>).</summary>
internal static class StapleOptions
{
    public static OcspStapler LoadFile(TlsCertificate certificate, string path)
    {
        byte[] response;
        try
        {
            response = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"-status_file {path}: {ex.Message}");
        }

        var stapler = Stapler(certificate, "-status_file");
        if (!stapler.TryStaple(response, out var reason))
        {
            stapler.Dispose();
            throw new CliException($"-status_file {path}: not stapling it: {reason}");
        }

        Console.Error.WriteLine($"tessera s_server: stapling {path} ({reason})");
        return stapler;
    }

    /// <summary>Fetches a first response now (failing if none can be had), then keeps it fresh in the background.</summary>
    public static async Task<OcspStapler> StartFetchingAsync(TlsCertificate certificate, CancellationToken cancellationToken)
    {
        var stapler = Stapler(certificate, "-status");
        if (stapler.Responder is not { } responder)
        {
            stapler.Dispose();
            throw new CliException("-status: the certificate names no http:// OCSP responder (authorityInfoAccess)");
        }

        if (!await stapler.StartAsync(cancellationToken).ConfigureAwait(false))
        {
            stapler.Dispose();
            throw new CliException($"-status: {responder} gave no usable response");
        }

        return stapler;
    }

    private static OcspStapler Stapler(TlsCertificate certificate, string option)
    {
        try
        {
            return new OcspStapler(certificate) { Log = line => Console.Error.WriteLine($"tessera s_server: {line}") };
        }
        catch (ArgumentException)
        {
            throw new CliException($"{option}: the certificate chain has no issuer to check the response against (put the CA after the leaf in -cert)");
        }
    }

    public static string Describe(DateTimeOffset? time) => time?.ToString("u", CultureInfo.InvariantCulture) ?? "none";
}
