using System.Net;
using System.Text;

namespace Tessera.Cli;

/// <summary>
/// Answers one HTTP GET with a page describing the TLS session, as <c>openssl s_server -www</c> does; also
/// <c>/stats</c> (what the server holds, for <c>tessera load</c>) and <c>/bytes/N</c> (N bytes, for bulk transfers).
/// </summary>
internal static class WwwResponder
{
    private const int MaxRequestHeader = 16 * 1024;

    private const int MaxBytes = 64 << 20;

    /// <summary>How long a client may take to send its request once the handshake is done.</summary>
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Reads one request and answers it. False when the client closed the connection (close_notify, or the transport's
    /// end) before sending a byte: nothing to answer, nothing to report (s_client -reconnect, health checks).
    /// </summary>
    public static async Task<bool> ServeAsync(TlsStream stream, ServerStats? stats, CancellationToken cancellationToken, bool fromLoopback = false)
    {
        string request;
        using (var requestTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            requestTimeout.CancelAfter(RequestTimeout);
            request = await ReadRequestHeadAsync(stream, requestTimeout.Token).ConfigureAwait(false);
        }

        if (request.Length == 0)
        {
            return false;
        }

        string body;
        string status;
        string path = request.StartsWith("GET ", StringComparison.Ordinal) ? request[4..].Split([' ', '\r', '\n'], 2)[0] : "";
        // /stats (which runs full collections) and /bytes (large answers to small requests) are for tessera load on
        // the same machine: only clients on the loopback interface get them.
        if (stats is not null && fromLoopback && path == "/stats")
        {
            var text = Encoding.ASCII.GetBytes(stats.Describe());
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {text.Length}\r\nConnection: close\r\n\r\n"), cancellationToken).ConfigureAwait(false);
            await stream.WriteAsync(text, cancellationToken).ConfigureAwait(false);
            return true;
        }

        if (fromLoopback && path.StartsWith("/bytes/", StringComparison.Ordinal) && int.TryParse(path.AsSpan(7), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int count) && count <= MaxBytes)
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {count}\r\nConnection: close\r\n\r\n"), cancellationToken).ConfigureAwait(false);
            var chunk = new byte[Math.Min(count, 64 * 1024)];
            for (int sent = 0; sent < count; sent += chunk.Length)
            {
                await stream.WriteAsync(chunk.AsMemory(0, Math.Min(chunk.Length, count - sent)), cancellationToken).ConfigureAwait(false);
            }

            return true;
        }

        if (request.StartsWith("GET ", StringComparison.Ordinal))
        {
            status = "200 OK";
            body = Page(stream.Connection);
        }
        else
        {
            status = "400 Bad Request";
            body = "<html><body><p>Tessera s_server -www answers GET requests only.</p></body></html>\r\n";
        }

        var response = $"HTTP/1.0 {status}\r\nContent-Type: text/html\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}";
        await stream.WriteAsync(Encoding.UTF8.GetBytes(response), cancellationToken).ConfigureAwait(false);
        return true;
    }

    public static string Page(TlsConnection c)
    {
        var sb = new StringBuilder();
        sb.Append("<html><head><title>Tessera s_server</title></head><body>\r\n<pre>\r\n");
        sb.Append("Tessera s_server -www\r\n");
        foreach (var line in SessionReport.Lines(c, verification: null))
        {
            sb.Append(WebUtility.HtmlEncode(line)).Append("\r\n");
        }

        sb.Append("Client certificate: ").Append(WebUtility.HtmlEncode(c.PeerCertificateChain.Count > 0 ? SessionReport.Subject(c.PeerCertificateChain) : "(none)")).Append("\r\n");
        sb.Append("</pre>\r\n</body></html>\r\n");
        return sb.ToString();
    }

    private static async Task<string> ReadRequestHeadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxRequestHeader];
        int total = 0;
        while (total < buffer.Length)
        {
            int n;
            try
            {
                n = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false);
            }
            catch (IOException) when (total == 0)
            {
                return "";   // gone before asking anything: the transport ended without close_notify, or was reset
            }

            if (n == 0)
            {
                break;
            }

            total += n;
            var text = Encoding.Latin1.GetString(buffer, 0, total);
            if (text.Contains("\r\n\r\n", StringComparison.Ordinal) || text.Contains("\n\n", StringComparison.Ordinal))
            {
                return text;
            }
        }

        return Encoding.Latin1.GetString(buffer, 0, total);
    }
}
