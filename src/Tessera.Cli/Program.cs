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
        // No POSIX bundling: as in OpenSSL, "-hrr" is one option, not "-h -r -r" (which showed the help).
        return Interrupts.Run(root.Parse(args, new ParserConfiguration { EnablePosixBundling = false }));
    }

    /// <summary>Runs a command body and turns every expected failure into one line on stderr and exit code 1.</summary>
    internal static async Task<int> Guarded(Func<Task<int>> body)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (Exception ex) when (Interrupts.Received && ex is OperationCanceledException or TlsException or IOException or SocketException)
        {
            return 130;   // SIGINT or SIGTERM, and what stopping broke off: quietly; Interrupts.Run sets the exit code (130 or 143)
        }
        catch (Exception ex) when (ex is CliException or Scan.ScanException or PkiLoadException or TlsException or IOException or SocketException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"tessera: {Describe(ex)}").ConfigureAwait(false);
            return 1;
        }
        catch (OperationCanceledException)
        {
            // Not a signal: a wait that ran out without saying so.
            await Console.Error.WriteLineAsync("tessera: timed out").ConfigureAwait(false);
            return 1;
        }
    }

    internal static string Describe(Exception ex) => ex switch
    {
        TlsException tls => $"TLS handshake or connection failed: {tls.Message}",
        OperationCanceledException => "timed out or interrupted",
        _ => ex.Message,
    };
}
