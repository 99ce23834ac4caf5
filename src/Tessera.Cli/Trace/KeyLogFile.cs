using System.Globalization;

namespace Tessera.Cli.Trace;

/// <summary>An NSS key log (SSLKEYLOGFILE): <c>LABEL client_random_hex secret_hex</c> lines; comments and unknown lines skipped.</summary>
internal sealed class KeyLogFile
{
    private readonly Dictionary<(string Label, string ClientRandom), byte[]> _secrets = [];

    public int Count => _secrets.Count;

    public static KeyLogFile Load(string path)
    {
        var file = new KeyLogFile();
        foreach (var line in File.ReadLines(path))
        {
            var parts = line.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 3 || parts[0].StartsWith('#') || parts[1].Length != 64)
            {
                continue;
            }

            try
            {
                file._secrets[(parts[0], parts[1].ToLowerInvariant())] = Convert.FromHexString(parts[2]);
            }
            catch (FormatException)
            {
                // not a key log line
            }
        }

        return file;
    }

    public byte[]? Find(string label, ReadOnlySpan<byte> clientRandom) =>
        _secrets.GetValueOrDefault((label, Convert.ToHexString(clientRandom).ToLower(CultureInfo.InvariantCulture)));
}
