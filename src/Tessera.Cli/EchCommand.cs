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
        var output = CliOptions.Create<string?>("out", "write the key file (PEM: PRIVATE KEY and ECHCONFIG) here; default: standard output");
        var keygen = new Command("keygen", "make an ECH key (X25519, HKDF-SHA256, AES-128-GCM / ChaCha20-Poly1305) and print its ECHConfigList in base64");
        foreach (var option in new Option[] { publicName, configId, maxNameLength, output })
        {
            keygen.Options.Add(option);
        }

        keygen.SetAction((parse, cancellationToken) => Program.Guarded(async () =>
        {
            var name = parse.GetValue(publicName)!;
            if (name.Length is 0 or > 255 || name.Any(c => c is < '!' or > '~'))
            {
                throw new CliException("--public-name: printable ASCII, 1 to 255 characters");
            }

            int? id = parse.GetValue(configId);
            int maxLength = parse.GetValue(maxNameLength) ?? 0;
            if (id is < 0 or > 255 || maxLength is < 0 or > 255)
            {
                throw new CliException("--config-id and --max-name-length take values from 0 to 255");
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
}
