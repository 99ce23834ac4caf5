using System.CommandLine;
using System.Net.Sockets;
using Tessera.Pki;

namespace Tessera.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        var root = new RootCommand("tessera: TLS client, server and tools built on the Tessera stack")
        {
            DemoCommand.Create(),
            SClientCommand.Create(),
            SServerCommand.Create(),
            VerifyCommand.Create(),
            CaCommand.Create(),
            BenchCommand.Create(),
            LoadCommand.Create(),
            ScanCommand.Create(),
            TraceCommand.Create(),
            EchCommand.Create(),
        };
        return root.Parse(args).Invoke();
    }

    /// <summary>Runs a command body and turns every expected failure into one line on stderr and exit code 1.</summary>
    internal static async Task<int> Guarded(Func<Task<int>> body)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is CliException or Scan.ScanException or PkiLoadException or TlsException or IOException or SocketException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"tessera: {Describe(ex)}").ConfigureAwait(false);
            return 1;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("tessera: interrupted").ConfigureAwait(false);
            return 130;
        }
    }

    internal static string Describe(Exception ex) => ex switch
    {
        TlsException tls => $"TLS handshake or connection failed: {tls.Message}",
        OperationCanceledException => "timed out or interrupted",
        _ => ex.Message,
    };
}
