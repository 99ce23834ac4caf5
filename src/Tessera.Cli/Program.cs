using System.CommandLine;

namespace Tessera.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        var root = new RootCommand("tessera: TLS client, server and tools built on the Tessera stack");
        return root.Parse(args).Invoke();
    }
}
