using System.Globalization;
using System.Text;

namespace Tessera.Cli;

/// <summary>
/// The HTTP side of OCSP (RFC 6960 Appendix A), small and bounded: one request per connection, a POST body
/// (application/ocsp-request) or a GET whose path is the base64 request; the answer as application/ocsp-response.
/// </summary>
internal static class OcspHttp
{
    private const int MaxHeader = 8192;
    private const int MaxBody = 16384;

    /// <summary>Answers one request: OCSP by POST or GET, or (when <paramref name="crl"/> is given) the CA's current CRL at GET /crl.</summary>
    public static async Task AnswerAsync(Stream stream, Func<byte[], byte[]> respond, CancellationToken cancellationToken, Func<byte[]>? crl = null)
    {
        var header = new MemoryStream();
        var one = new byte[1];
        while (!EndsWithBlankLine(header))
        {
            if (await stream.ReadAsync(one, cancellationToken).ConfigureAwait(false) == 0 || header.Length > MaxHeader)
            {
                throw new FormatException("incomplete or oversized HTTP request");
            }

            header.WriteByte(one[0]);
        }

        var lines = Encoding.ASCII.GetString(header.ToArray()).Split("\r\n");
        var requestLine = lines[0].Split(' ');
        byte[] request;
        if (requestLine is ["POST", _, _])
        {
            var lengthLine = lines.FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                ?? throw new FormatException("POST without Content-Length");
            int length = int.Parse(lengthLine["Content-Length:".Length..].Trim(), CultureInfo.InvariantCulture);
            if (length is < 0 or > MaxBody)
            {
                throw new FormatException("OCSP request too large");
            }

            request = new byte[length];
            await stream.ReadExactlyAsync(request, cancellationToken).ConfigureAwait(false);
        }
        else if (requestLine is ["GET", "/crl", _] && crl is not null)
        {
            await WriteAsync(stream, "200 OK", "application/pkix-crl", crl(), cancellationToken).ConfigureAwait(false);
            return;
        }
        else if (requestLine is ["GET", var path, _])
        {
            request = Convert.FromBase64String(Uri.UnescapeDataString(path.TrimStart('/')));
        }
        else
        {
            await WriteAsync(stream, "405 Method Not Allowed", "text/plain", "OCSP takes POST or GET\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
            return;
        }

        await WriteAsync(stream, "200 OK", "application/ocsp-response", respond(request), cancellationToken).ConfigureAwait(false);
    }

    private static bool EndsWithBlankLine(MemoryStream header)
    {
        var buffer = header.GetBuffer();
        long n = header.Length;
        return n >= 4 && buffer[n - 4] == '\r' && buffer[n - 3] == '\n' && buffer[n - 2] == '\r' && buffer[n - 1] == '\n';
    }

    private static async Task WriteAsync(Stream stream, string status, string contentType, byte[] body, CancellationToken cancellationToken)
    {
        var head = Encoding.ASCII.GetBytes($"HTTP/1.0 {status}\r\nContent-Type: {contentType}\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
        await stream.WriteAsync(head, cancellationToken).ConfigureAwait(false);
        await stream.WriteAsync(body, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
