using System.Globalization;
using Tessera.Pki.X509;

namespace Tessera.Cli;

/// <summary>
/// What s_server staples: a DER response from a file (-status_file), or one fetched from the certificate's
/// OCSP responder (-status) and fetched again halfway to its nextUpdate. A response that does not vouch for
/// the certificate, or is not current, is never stapled.
/// </summary>
internal static class OcspStapler
{
    /// <summary>Null when <paramref name="response"/> is a good, current answer about the leaf; otherwise why not.</summary>
    public static string? Check(TlsCertificate certificate, byte[] response, out OcspSingleResponse? single)
    {
        single = null;
        if (certificate.Chain.Count < 2)
        {
            return "the certificate chain has no issuer to check the response against";
        }

        try
        {
            var parsed = OcspResponse.Parse(response);
            single = parsed.StatusOf(Certificate.Parse(certificate.Chain[0]), Certificate.Parse(certificate.Chain[1]), DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5), out var why);
            return single is null ? why : null;
        }
        catch (CertificateFormatException ex)
        {
            return ex.Message;
        }
    }

    public static void LoadFile(TlsCertificate certificate, string path)
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

        if (Check(certificate, response, out var single) is { } why)
        {
            throw new CliException($"-status_file {path}: not stapling it: {why}");
        }

        certificate.OcspResponse = response;
        Console.Error.WriteLine($"tessera s_server: stapling {path} ({single!.Status.ToString().ToLowerInvariant()}, next update {Describe(single.NextUpdate)})");
    }

    /// <summary>Fetches a first response now (failing if none can be had), then keeps it fresh in the background.</summary>
    public static async Task StartFetchingAsync(TlsCertificate certificate, CancellationToken cancellationToken)
    {
        var leaf = Certificate.Parse(certificate.Chain[0]);
        var url = leaf.OcspResponders.FirstOrDefault() ?? throw new CliException("-status: the certificate names no OCSP responder (authorityInfoAccess)");
        if (certificate.Chain.Count < 2 || !Uri.TryCreate(url, UriKind.Absolute, out var responder) || responder.Scheme != Uri.UriSchemeHttp)
        {
            throw new CliException($"-status: cannot query '{url}' (an http:// responder and the issuer in the chain are needed)");
        }

        var next = await FetchAsync(certificate, leaf, responder, cancellationToken).ConfigureAwait(false)
            ?? throw new CliException($"-status: {url} gave no usable response");
        _ = Task.Run(async () =>
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var wait = next - DateTimeOffset.UtcNow;
                await Task.Delay(wait > TimeSpan.FromMinutes(1) ? wait : TimeSpan.FromMinutes(1), cancellationToken).ConfigureAwait(false);
                next = await FetchAsync(certificate, leaf, responder, cancellationToken).ConfigureAwait(false) ?? DateTimeOffset.UtcNow.AddMinutes(5);
            }
        }, cancellationToken);
    }

    /// <summary>One query; on success the staple is replaced and the time to refresh it (halfway to nextUpdate) returned.</summary>
    private static async Task<DateTimeOffset?> FetchAsync(TlsCertificate certificate, Certificate leaf, Uri responder, CancellationToken cancellationToken)
    {
        try
        {
            var request = OcspCertificateId.For(leaf, Certificate.Parse(certificate.Chain[1])).ToRequest();
            var response = await OcspHttp.QueryAsync(responder, request, cancellationToken).ConfigureAwait(false);
            if (Check(certificate, response, out var single) is { } why)
            {
                await Console.Error.WriteLineAsync($"tessera s_server: OCSP response from {responder} not stapled: {why}").ConfigureAwait(false);
                return null;
            }

            certificate.OcspResponse = response;
            await Console.Error.WriteLineAsync($"tessera s_server: stapling OCSP response from {responder} ({single!.Status.ToString().ToLowerInvariant()}, next update {Describe(single.NextUpdate)})").ConfigureAwait(false);
            var lifetime = (single.NextUpdate ?? single.ThisUpdate.AddHours(1)) - single.ThisUpdate;
            return single.ThisUpdate + lifetime / 2;
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException)
        {
            await Console.Error.WriteLineAsync($"tessera s_server: OCSP query to {responder} failed: {ex.Message}").ConfigureAwait(false);
            return null;
        }
    }

    public static string Describe(DateTimeOffset? time) => time?.ToString("u", CultureInfo.InvariantCulture) ?? "none";
}
