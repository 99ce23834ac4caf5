using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Tessera.Cli;

/// <summary>Options spelled the way OpenSSL spells them (<c>-connect</c>), with the GNU long form (<c>--connect</c>) too.</summary>
internal static class CliOptions
{
    /// <summary>
    /// An option named <c>-NAME</c>, the spelling <c>--help</c> shows, so that System.CommandLine's own messages
    /// ("Option '-pcap' is required.") use it too; <c>--NAME</c> and each extra alias (with its two-dash form) are aliases.
    /// Our own messages name options the same way: <c>-NAME</c>.
    /// </summary>
    public static Option<T> Create<T>(string name, string description, params string[] extraAliases)
    {
        var longForms = extraAliases.Where(a => a.StartsWith('-') && !a.StartsWith("--", StringComparison.Ordinal)).Select(a => "-" + a);
        var option = new Option<T>("-" + name, ["--" + name, .. extraAliases, .. longForms]) { Description = description };
        if (NumberParser<T>(name) is { } parser)
        {
            option.CustomParser = parser;
        }

        return option;
    }

    /// <summary>
    /// For a number option, a parser whose error reads "tessera: -NAME: 'x' is not a whole number" rather than the
    /// parser's own, which names a .NET type ("System.Nullable`1[System.Int32]").
    /// </summary>
    private static Func<ArgumentResult, T?>? NumberParser<T>(string name)
    {
        var type = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        if (type != typeof(int) && type != typeof(long) && type != typeof(double))
        {
            return null;
        }

        return result =>
        {
            if (result.Tokens.Count == 0)
            {
                return default;
            }

            var text = result.Tokens[^1].Value;
            object? value = type == typeof(int) ? (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i) ? i : null)
                : type == typeof(long) ? (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) ? l : null)
                : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? d : null;
            if (value is null)
            {
                result.AddError($"tessera: -{name}: '{text}' is not {(type == typeof(double) ? "a number" : "a whole number")}");
                return default;
            }

            return (T)value;
        };
    }

    public static Option<bool> Flag(string name, string description, params string[] extraAliases) => Create<bool>(name, description, extraAliases);
}

/// <summary>The options s_client and s_server share.</summary>
internal sealed class CommonTlsOptions
{
    public Option<string?> Cert { get; } = CliOptions.Create<string?>("cert", "certificate chain file (PEM)");
    public Option<string?> Key { get; } = CliOptions.Create<string?>("key", "private key file (PEM: PKCS#8, SEC1 or PKCS#1; RSA, EC or Ed25519)");
    public Option<string?> CaFile { get; } = CliOptions.Create<string?>("CAfile", "trusted root certificates (PEM)");
    public Option<string?> Alpn { get; } = CliOptions.Create<string?>("alpn", "comma-separated ALPN protocols, e.g. h2,http/1.1");
    public Option<string?> Groups { get; } = CliOptions.Create<string?>("groups", "colon-separated groups: X25519MLKEM768, X25519, P-256, P-384, SecP256r1MLKEM768, SecP384r1MLKEM1024, ffdhe2048..4096", "-curves");
    public Option<string?> CipherSuites { get; } = CliOptions.Create<string?>("ciphersuites", "colon-separated TLS 1.3 suites, e.g. TLS_AES_256_GCM_SHA384");
    public Option<string?> Cipher { get; } = CliOptions.Create<string?>("cipher", "colon-separated TLS 1.2 suites, OpenSSL or IANA names, e.g. ECDHE-RSA-AES128-GCM-SHA256");
    public Option<string?> SigAlgs { get; } = CliOptions.Create<string?>("sigalgs", "colon-separated signature schemes, e.g. ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256");
    public Option<bool> Tls13 { get; } = CliOptions.Flag("tls1_3", "use TLS 1.3 only");
    public Option<bool> Tls12 { get; } = CliOptions.Flag("tls1_2", "use TLS 1.2 only");
    public Option<bool> Tls11 { get; } = CliOptions.Flag("tls1_1", "use TLS 1.1 only (legacy: needs -legacy)");
    public Option<bool> Tls10 { get; } = CliOptions.Flag("tls1", "use TLS 1.0 only (legacy: needs -legacy)");
    public Option<bool> Quiet { get; } = CliOptions.Flag("quiet", "print no session information");
    public Option<bool> Brief { get; } = CliOptions.Flag("brief", "print a short session summary on stderr");
    public Option<string?> KeyLogFile { get; } = CliOptions.Create<string?>("keylogfile", "append TLS secrets in NSS key log format (also: SSLKEYLOGFILE)");
    public Option<bool> Trace { get; } = CliOptions.Flag("trace", "print every record and handshake message", "-msg");
    public Option<string?> Psk { get; } = CliOptions.Create<string?>("psk", "TLS 1.3 external PSK, in hex (at least 16 bytes); authenticates both sides without certificates");

    public Option<string?> PskIdentity { get; } = CliOptions.Create<string?>("psk_identity", "the external PSK's identity (default Client_identity, as openssl)");

    /// <summary>The external PSK named by -psk/-psk_identity, or null.</summary>
    public TlsExternalPsk? ExternalPsk(ParseResult parse)
    {
        if (parse.GetValue(Psk) is not { } hex)
        {
            return parse.GetValue(PskIdentity) is null ? null : throw new CliException("-psk_identity needs -psk");
        }

        try
        {
            return new TlsExternalPsk(System.Text.Encoding.UTF8.GetBytes(parse.GetValue(PskIdentity) ?? "Client_identity"), Convert.FromHexString(hex));
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            throw new CliException($"-psk: {(ex is FormatException ? "not hex" : ex.Message)}");
        }
    }

    public Option<bool> Legacy { get; } = CliOptions.Flag("legacy", "also allow the legacy set: CBC suites, RSA and DHE key exchange, TLS 1.0/1.1 (unsafe; for old peers only)");

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Cert, Key, CaFile, Alpn, Groups, CipherSuites, Cipher, SigAlgs, Tls13, Tls12, Tls11, Tls10, Quiet, Brief, KeyLogFile, Trace, Legacy, Psk, PskIdentity })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>Applies the shared settings; throws <see cref="CliException"/> for bad values.</summary>
    public void Apply(ParseResult parse, TlsOptions options, TextWriter traceOutput)
    {
        var pinned = new[] { (Tls13, TlsProtocolVersion.Tls13), (Tls12, TlsProtocolVersion.Tls12), (Tls11, TlsProtocolVersion.Tls11), (Tls10, TlsProtocolVersion.Tls10) }
            .Where(p => parse.GetValue(p.Item1)).Select(p => p.Item2).ToList();
        if (pinned.Count > 1)
        {
            throw new CliException("-tls1, -tls1_1, -tls1_2 and -tls1_3 exclude each other; give none to allow every enabled version");
        }

        bool legacy = parse.GetValue(Legacy);
        if (pinned is [var only])
        {
            if (only < TlsProtocolVersion.Tls12 && !legacy)
            {
                throw new CliException($"{only.ToDisplayName()} is a legacy protocol version; add -legacy to allow it");
            }

            options.MinProtocolVersion = options.MaxProtocolVersion = only;
        }
        else if (legacy)
        {
            options.MinProtocolVersion = TlsProtocolVersion.Tls10;
        }

        if (parse.GetValue(Alpn) is { } alpn)
        {
            options.ApplicationProtocols = [.. alpn.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
            if (options.ApplicationProtocols.Any(p => p.Length > 255))
            {
                throw new CliException("-alpn: a protocol name is longer than 255 bytes");
            }
        }

        if (parse.GetValue(Groups) is { } groups)
        {
            options.Groups = ParseList(groups, "-groups", NamedGroups.FromName, g => NamedGroups.Find(g)?.Implemented == true);
        }

        // As in OpenSSL: -ciphersuites sets the TLS 1.3 suites, -cipher the TLS 1.2 ones.
        var tls13 = parse.GetValue(CipherSuites) is { } suites
            ? ParseList(suites, "-ciphersuites", Tessera.CipherSuites.FromName, s => Tessera.CipherSuites.Find(s)?.Version == TlsProtocolVersion.Tls13, "is not a TLS 1.3 suite (TLS 1.2 suites go in -cipher)")
            : [.. Tessera.CipherSuites.Tls13Defaults];
        options.Legacy = legacy ? LegacyPolicy.All : LegacyPolicy.None;
        var tls12 = parse.GetValue(Cipher) is { } ciphers
            ? ParseList(ciphers, "-cipher", Tessera.CipherSuites.FromName, s => Tessera.CipherSuites.Find(s)?.Version == TlsProtocolVersion.Tls12, "is not a TLS 1.2 suite (TLS 1.3 suites go in -ciphersuites)")
            : [.. Tessera.CipherSuites.Tls12Defaults, .. Tessera.CipherSuites.Legacy];
        if (!legacy && parse.GetValue(Cipher) is not null && tls12.FirstOrDefault(s => Tessera.CipherSuites.Get(s).RequiredLegacy != LegacyPolicy.None) is var named && named != default)
        {
            throw new CliException($"-cipher: {Tessera.CipherSuites.Get(named).OpenSslName} is a legacy suite; add -legacy to allow it");
        }

        options.CipherSuites = [.. tls13, .. tls12];

        if (parse.GetValue(SigAlgs) is { } sigalgs)
        {
            options.SignatureSchemes = ParseList(sigalgs, "-sigalgs", SignatureSchemes.FromName, s => SignatureSchemes.Find(s)?.AllowedInTls13Handshake == true);
        }

        var keyLog = parse.GetValue(KeyLogFile) ?? Environment.GetEnvironmentVariable("SSLKEYLOGFILE");
        if (!string.IsNullOrEmpty(keyLog))
        {
            options.KeyLog = new Tessera.KeySchedule.FileKeyLogWriter(keyLog);
        }

        if (parse.GetValue(Trace))
        {
            options.Observer = options is TlsServerOptions
                ? new AnalyzerObserver(traceOutput, showRecords: true, local: "server", peer: "client")
                : new AnalyzerObserver(traceOutput, showRecords: true);
        }
    }

    private static List<T> ParseList<T>(string text, string option, Func<string, T?> parse, Func<T, bool> usable, string why = "is not supported by Tessera")
        where T : struct
    {
        var list = new List<T>();
        foreach (var name in text.Split(':', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var value = parse(name) ?? throw new CliException($"{option}: unknown name '{name}'");
            if (!usable(value))
            {
                throw new CliException($"{option}: '{name}' {why}");
            }

            list.Add(value);
        }

        return list.Count > 0 ? list : throw new CliException($"{option}: the list is empty");
    }
}

/// <summary>A user mistake or an environment problem, reported as one line.</summary>
internal sealed class CliException : Exception
{
    public CliException(string message) : base(message) { }

    public CliException() { }

    public CliException(string message, Exception inner) : base(message, inner) { }
}
