using System.Security.Cryptography;
using System.Text;
using Tessera.Sessions;

namespace Tessera.Cli;

/// <summary>Session files for -sess_out / -sess_in: PEM with the label "TESSERA TLS SESSION" (they hold the master secret).</summary>
internal static class SessionFiles
{
    private const string Label = "TESSERA TLS SESSION";

    public static void Write(string path, TlsSession session)
    {
        try
        {
            File.WriteAllText(path, PemEncoding.WriteString(Label, session.Export()) + "\n");
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"-sess_out: cannot write {path}: {ex.Message}");
        }
    }

    public static TlsSession Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path, Encoding.ASCII);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"-sess_in: cannot read {path}: {ex.Message}");
        }

        if (!PemEncoding.TryFind(text, out var fields) || text[fields.Label] != Label)
        {
            throw new CliException($"-sess_in: {path} is not a session written by tessera s_client -sess_out");
        }

        try
        {
            return TlsSession.Import(Convert.FromBase64String(text[fields.Base64Data]));
        }
        catch (FormatException)
        {
            throw new CliException($"-sess_in: {path} holds a damaged session");
        }
    }
}
