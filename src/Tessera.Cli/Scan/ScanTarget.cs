namespace Tessera.Cli.Scan;

/// <summary>The protocols whose plain-text STARTTLS command a scan can send before TLS (RFC 3207, 2595, 4217, 4511).</summary>
internal enum StartTlsProtocol
{
    None,
    Smtp,
    Imap,
    Pop3,
    Ftp,
    Ldap,
}

/// <summary>What to scan and how patiently.</summary>
/// <param name="Host">Host name or address to connect to.</param>
/// <param name="Port">TCP port.</param>
/// <param name="ServerName">The SNI name (null: none, e.g. for an IP address).</param>
/// <param name="StartTls">A plain-text protocol to upgrade first.</param>
/// <param name="Timeout">Bound on each connect and each wait for an answer.</param>
internal sealed record ScanTarget(string Host, int Port, string? ServerName, StartTlsProtocol StartTls, TimeSpan Timeout)
{
    /// <summary>The name the certificate must carry: the SNI name, or the host (a name, or an address) when no SNI goes out.</summary>
    public string ReferenceName => ServerName ?? Host;

    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}

/// <summary>A scan cannot go on: nothing listening, not TLS, gone mid-answer. The message is one line for the user.</summary>
internal sealed class ScanException(string message) : Exception(message)
{
    public ScanException() : this("scan failed")
    {
    }

    public ScanException(string message, Exception inner) : this(message + ": " + inner.Message)
    {
    }
}
