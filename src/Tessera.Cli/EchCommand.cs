using System.CommandLine;
using Tessera.Ech;

namespace Tessera.Cli;

/// <summary><c>tessera ech keygen</c>: a fresh ECH key and configuration for a server (s_server <c>-ech_key</c>), and its ECHConfigList for clients.</summary>
internal static class EchCommand
{
    public static Command Create()
    {
        var publicName = CliOptions.Create<string>("public-name", "the client-facing name the outer ClientHello shows (e.g. the CDN's name)");
        publicName.Required = true;
        var configId = CliOptions.Create<int?>("config-id", "config_id, 0 to 255 (default: random)");
        var maxNameLength = CliOptions.Create<int?>("max-name-length", "the longest inner server name clients should pad to, 0 to 255 (default 0: they pad to 32)");
        var output = CliOptions.Create<string?>("out", "write the key file here (readable by its owner only) and print only its ECHConfigList, in base64 on one line; default: the key file goes to standard output");
        // Without -out the key file is the output (as openssl genpkey): the private key has nowhere else to go, and the
        // file carries the ECHConfigList too (s_client -ech_config reads it). With -out, stdout is the one line clients need.
        var keygen = new Command("keygen", "make an ECH key (X25519, HKDF-SHA256, AES-128-GCM / ChaCha20-Poly1305): without -out, print the key file (PEM: PRIVATE KEY and ECHCONFIG); with -out, write it there and print its ECHConfigList in base64");
        foreach (var option in new Option[] { publicName, configId, maxNameLength, output })
        {
            keygen.Options.Add(option);
        }

        keygen.SetAction((parse, cancellationToken) => Program.Guarded(async () =>
        {
            var name = parse.GetValue(publicName)!;
            if (!EchConfig.IsValidPublicName(name))
            {
                // RFC 9849 §6.1.7: clients skip configurations whose public name is not a DNS name or reads as an IPv4 address.
                throw new CliException("-public-name: a DNS host name (letters, digits and hyphens in dot-separated labels), not an IP address");
            }

            int? id = parse.GetValue(configId);
            int maxLength = parse.GetValue(maxNameLength) ?? 0;
            if (id is < 0 or > 255 || maxLength is < 0 or > 255)
            {
                throw new CliException("-config-id and -max-name-length take values from 0 to 255");
            }

            using var key = EchServerKey.Generate(name, (byte?)id, (byte)maxLength);
            if (parse.GetValue(output) is { } path)
            {
                await File.WriteAllTextAsync(path, key.ToPem(), cancellationToken).ConfigureAwait(false);
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);   // it holds a private key
                }

                Console.Out.WriteLine(Convert.ToBase64String(key.ConfigList));
                await Console.Error.WriteLineAsync($"tessera ech: key and configuration (config_id {key.Config.ConfigId}, public name {name}) written to {path}; the ECHConfigList above goes to clients").ConfigureAwait(false);
            }
            else
            {
                Console.Out.Write(key.ToPem());
            }

            return 0;
        }));
        return new Command("ech", "Encrypted Client Hello tools") { keygen };
    }

    /// <summary>
    /// An ECHConfigList from s_client's -ech_config: base64 on the command line, or a file holding base64, the binary
    /// list, or PEM with an ECHCONFIG block (an s_server key file). Checked here, so a bad one is one clear line.
    /// </summary>
    public static byte[] ReadConfigList(string value)
    {
        byte[] list;
        if (File.Exists(value))
        {
            var bytes = File.ReadAllBytes(value);
            var text = System.Text.Encoding.ASCII.GetString(bytes);
            int begin = text.IndexOf("-----BEGIN ECHCONFIG-----", StringComparison.Ordinal);
            if (begin >= 0)
            {
                int start = begin + "-----BEGIN ECHCONFIG-----".Length;
                int end = text.IndexOf("-----END ECHCONFIG-----", start, StringComparison.Ordinal);
                list = end < 0 ? throw new CliException($"-ech_config: {value}: the ECHCONFIG block has no END line") : FromBase64(text[start..end], value);
            }
            else
            {
                list = bytes.Length > 1 && bytes[0] == 0 ? bytes : FromBase64(text, value);
            }
        }
        else
        {
            list = FromBase64(value, "the argument (neither a file nor base64)");
        }

        return CheckConfigList(list);
    }

    /// <summary>An ECHConfigList that parses and holds a usable configuration, or one clear line.</summary>
    public static byte[] CheckConfigList(byte[] list)
    {
        IReadOnlyList<EchConfig> configs;
        try
        {
            configs = EchConfigList.Parse(list);
        }
        catch (TlsException ex)
        {
            throw new CliException($"-ech_config: not an ECHConfigList: {ex.Reason}");
        }

        return configs.Any(c => c.IsUsable)
            ? list
            : throw new CliException("-ech_config: no configuration in the list is usable here (Tessera needs DHKEM(X25519) with AES-GCM or ChaCha20-Poly1305, and a DNS public name)");
    }

    private static byte[] FromBase64(string text, string source)
    {
        try
        {
            return Convert.FromBase64String(string.Concat(text.Where(c => !char.IsWhiteSpace(c))));
        }
        catch (FormatException)
        {
            throw new CliException($"-ech_config: {source}: not base64");
        }
    }
}
