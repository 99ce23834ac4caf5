using System.Formats.Asn1;
using System.Net.Sockets;
using System.Text;

namespace Tessera.Cli.Scan;

/// <summary>
/// The plain-text upgrade before TLS on mail, file and directory ports: SMTP STARTTLS (RFC 3207), IMAP STARTTLS and
/// POP3 STLS (RFC 2595), FTP AUTH TLS (RFC 4217), LDAP StartTLS extended operation (RFC 4511 §4.14).
/// </summary>
internal static class StartTls
{
    private const int MaxReply = 16 * 1024;

    public static async Task NegotiateAsync(NetworkStream stream, ScanTarget target, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(target.Timeout * 2);
        var ct = timeout.Token;
        var name = target.StartTls.ToString().ToUpperInvariant();
        try
        {
            switch (target.StartTls)
            {
                case StartTlsProtocol.Smtp:
                    await ExpectAsync(stream, "220", ct);
                    await SendLineAsync(stream, "EHLO tessera-scan", ct);
                    await ExpectAsync(stream, "250", ct);
                    await SendLineAsync(stream, "STARTTLS", ct);
                    await ExpectAsync(stream, "220", ct);
                    break;
                case StartTlsProtocol.Imap:
                    await ExpectAsync(stream, "* OK", ct);
                    await SendLineAsync(stream, "a1 STARTTLS", ct);
                    await ExpectAsync(stream, "a1 OK", ct, skipUntagged: true);
                    break;
                case StartTlsProtocol.Pop3:
                    await ExpectAsync(stream, "+OK", ct);
                    await SendLineAsync(stream, "STLS", ct);
                    await ExpectAsync(stream, "+OK", ct);
                    break;
                case StartTlsProtocol.Ftp:
                    await ExpectAsync(stream, "220", ct);
                    await SendLineAsync(stream, "AUTH TLS", ct);
                    await ExpectAsync(stream, "234", ct);
                    break;
                case StartTlsProtocol.Ldap:
                    await LdapStartTlsAsync(stream, ct);
                    break;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ScanException($"{target}: no {name} STARTTLS answer within {(target.Timeout * 2).TotalSeconds:0} s");
        }
        catch (IOException)
        {
            throw new ScanException($"{target}: the server closed the connection during {name} STARTTLS");
        }
        catch (ScanException ex)
        {
            throw new ScanException($"{target}: {name} STARTTLS refused: {ex.Message}");
        }
    }

    private static Task SendLineAsync(NetworkStream stream, string line, CancellationToken ct) =>
        stream.WriteAsync(Encoding.ASCII.GetBytes(line + "\r\n"), ct).AsTask();

    /// <summary>Reads reply lines until the last one of a reply (no "NNN-" continuation) and checks its start.</summary>
    private static async Task ExpectAsync(NetworkStream stream, string prefix, CancellationToken ct, bool skipUntagged = false)
    {
        int total = 0;
        while (true)
        {
            var line = await ReadLineAsync(stream, ct);
            total += line.Length;
            if (total > MaxReply)
            {
                throw new ScanException("reply too long");
            }

            bool continuation = line.Length >= 4 && char.IsDigit(line[0]) && line[3] == '-';
            if (continuation || (skipUntagged && line.StartsWith("* ", StringComparison.Ordinal)))
            {
                continue;
            }

            if (!line.StartsWith(prefix, StringComparison.Ordinal))
            {
                throw new ScanException($"\"{Trim(line)}\"");
            }

            return;
        }
    }

    private static async Task<string> ReadLineAsync(NetworkStream stream, CancellationToken ct)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (bytes.Count < MaxReply)
        {
            if (await stream.ReadAsync(one, ct) == 0)
            {
                throw new IOException("closed");
            }

            if (one[0] == '\n')
            {
                return Encoding.ASCII.GetString([.. bytes]).TrimEnd('\r');
            }

            bytes.Add(one[0]);
        }

        throw new ScanException("line too long");
    }

    private static string Trim(string line) => line.Length > 80 ? line[..80] + "…" : line;

    private static async Task LdapStartTlsAsync(NetworkStream stream, CancellationToken ct)
    {
        var writer = new AsnWriter(AsnEncodingRules.BER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(1);
            using (writer.PushSequence(new Asn1Tag(TagClass.Application, 23, isConstructed: true)))
            {
                writer.WriteOctetString(Encoding.ASCII.GetBytes("1.3.6.1.4.1.1466.20037"), new Asn1Tag(TagClass.ContextSpecific, 0));
            }
        }

        await stream.WriteAsync(writer.Encode(), ct);
        var header = new byte[2];
        await stream.ReadExactlyAsync(header, ct);
        if (header[0] != 0x30)
        {
            throw new ScanException("not an LDAP message");
        }

        int length = header[1];
        byte[] lengthBytes = [];
        if ((length & 0x80) != 0)
        {
            lengthBytes = new byte[length & 0x7F];
            if (lengthBytes.Length is 0 or > 3)
            {
                throw new ScanException("bad LDAP length");
            }

            await stream.ReadExactlyAsync(lengthBytes, ct);
            length = lengthBytes.Aggregate(0, (a, b) => (a << 8) | b);
        }

        if (length > MaxReply)
        {
            throw new ScanException("LDAP reply too long");
        }

        var body = new byte[length];
        await stream.ReadExactlyAsync(body, ct);
        try
        {
            var message = new AsnReader((byte[])[.. header, .. lengthBytes, .. body], AsnEncodingRules.BER).ReadSequence();
            message.ReadInteger();
            var response = message.ReadSequence(new Asn1Tag(TagClass.Application, 24, isConstructed: true));
            var resultCode = response.ReadEnumeratedBytes();
            if (resultCode.Length != 1 || resultCode.Span[0] != 0)
            {
                throw new ScanException($"LDAP resultCode {Convert.ToHexString(resultCode.Span)}");
            }
        }
        catch (AsnContentException)
        {
            throw new ScanException("malformed LDAP ExtendedResponse");
        }
    }
}
