using System.Text.RegularExpressions;

namespace Tessera.Interop;

/// <summary>
/// docs/cli and the <c>tessera</c> command agree: every command and subcommand that <c>--help</c> lists has a page
/// (docs/cli/COMMAND.md, or PARENT-SUBCOMMAND.md) titled with the command, every option name its <c>--help</c> lists
/// (aliases included) appears in that page, every page is about a command that exists, and docs/cli/README.md links
/// every page.
/// </summary>
public sealed partial class CliDocsTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private static readonly string Root = FindRoot();

    private static readonly string PagesDirectory = Path.Combine(Root, "docs", "cli");

    /// <summary>Every command path ("demo", "ca init", ...) with the option names its --help lists; read once for the class.</summary>
    private static readonly Lazy<IReadOnlyList<CommandHelp>> Commands = new(ReadCommandTree);

    [Fact]
    public void TheCliHasTheCommandsThisTestExpectsToFind()
    {
        // Guards the help parsing: were it to find nothing, the other tests would pass vacuously.
        var paths = Commands.Value.Select(c => c.Path).ToList();
        foreach (var expected in new[] { "demo", "s_client", "s_server", "verify", "ca", "ca init", "ca ocsp-serve", "scan", "trace", "ech keygen" })
        {
            Assert.Contains(expected, paths);
        }

        var sClient = Commands.Value.Single(c => c.Path == "s_client");
        Assert.Contains("-connect", sClient.Options);
        Assert.Contains("-curves", sClient.Options);
        Assert.Contains("-msg", sClient.Options);
    }

    [Fact]
    public void EveryCommandHasAPageTitledWithIt()
    {
        var problems = new List<string>();
        foreach (var command in Commands.Value)
        {
            string page = PagePath(command.Path);
            if (!File.Exists(page))
            {
                problems.Add($"'tessera {command.Path}' has no page: {Relative(page)} is missing");
                continue;
            }

            string title = File.ReadLines(page).FirstOrDefault() ?? "";
            if (title != $"# `tessera {command.Path}`")
            {
                problems.Add($"{Relative(page)} should start with the title \"# `tessera {command.Path}`\", not \"{title}\"");
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void EveryOptionTheHelpListsIsInItsCommandsPage()
    {
        var problems = new List<string>();
        foreach (var command in Commands.Value)
        {
            string page = PagePath(command.Path);
            if (!File.Exists(page))
            {
                problems.Add($"'tessera {command.Path}' has no page: {Relative(page)} is missing");
                continue;
            }

            string text = File.ReadAllText(page);
            foreach (var option in command.Options)
            {
                // The name as a whole word: -tls1 is not found inside -tls1_2, nor -key inside -key-type.
                if (!Regex.IsMatch(text, $@"(?<![\w-]){Regex.Escape(option)}(?![\w-])"))
                {
                    problems.Add($"{Relative(page)} does not mention {option} (listed by 'tessera {command.Path} --help')");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void EveryPageIsACommandAndTheIndexLinksEveryPage()
    {
        var expected = Commands.Value.Select(c => Path.GetFileName(PagePath(c.Path))).ToHashSet(StringComparer.Ordinal);
        var pages = Directory.GetFiles(PagesDirectory, "*.md").Select(Path.GetFileName).OfType<string>().Where(p => p != "README.md").ToList();
        var problems = pages.Where(p => !expected.Contains(p))
            .Select(p => $"docs/cli/{p} is about no command of 'tessera --help' (a command renamed or removed?)").ToList();

        string index = File.ReadAllText(Path.Combine(PagesDirectory, "README.md"));
        problems.AddRange(expected.Where(p => !index.Contains($"]({p})", StringComparison.Ordinal))
            .Select(p => $"docs/cli/README.md does not link {p}"));
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private sealed record CommandHelp(string Path, IReadOnlyList<string> Options);

    /// <summary>docs/cli/demo.md for "demo", docs/cli/ca-ocsp-serve.md for "ca ocsp-serve".</summary>
    private static string PagePath(string commandPath) => Path.Combine(PagesDirectory, commandPath.Replace(' ', '-') + ".md");

    private static string Relative(string path) => Path.GetRelativePath(Root, path).Replace('\\', '/');

    /// <summary>Walks the command tree from <c>tessera --help</c> down, reading each command's own --help.</summary>
    private static IReadOnlyList<CommandHelp> ReadCommandTree()
    {
        var found = new List<CommandHelp>();
        var pending = new Queue<string>(Section(Help([]), "Commands").Select(CommandName));
        while (pending.TryDequeue(out var path))
        {
            var help = Help(path.Split(' '));
            found.Add(new CommandHelp(path, [.. Section(help, "Options").SelectMany(OptionNames).Where(o => o is not ("-?" or "-h" or "--help" or "--version"))]));
            foreach (var child in Section(help, "Commands").Select(CommandName))
            {
                pending.Enqueue($"{path} {child}");
            }
        }

        return found;
    }

    private static string Help(string[] command)
    {
        using var tessera = PeerProcess.StartTessera([.. command, "--help"]);
        int exit = tessera.WaitForExit(Bound);
        Assert.True(exit == 0, $"tessera {string.Join(' ', command)} --help exited {exit}: {tessera.Stdout}{tessera.Stderr}");
        return tessera.Stdout;
    }

    /// <summary>The entries of one section of a help text ("Options:", "Commands:"): its indented lines.</summary>
    private static IEnumerable<string> Section(string help, string name) =>
        help.Split('\n').SkipWhile(l => l.TrimEnd() != name + ":").Skip(1).TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal))
            .Where(l => l.Trim().Length > 0);

    /// <summary>"  verify &lt;certificates&gt;  validate ..." → "verify".</summary>
    private static string CommandName(string entry) => entry.Trim().Split(' ')[0];

    /// <summary>"  -curves, -groups &lt;groups&gt;  colon-separated ..." → "-curves", "-groups".</summary>
    private static IEnumerable<string> OptionNames(string entry)
    {
        var column = FirstColumn().Match(entry).Groups[1].Value;
        return OptionName().Matches(column).Select(m => m.Value);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Tessera.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("not inside a checkout");
    }

    /// <summary>The option column: from the indentation to the first run of two spaces (or the end of the line).</summary>
    [GeneratedRegex(@"^\s+(\S.*?)(?:\s{2,}|$)")]
    private static partial Regex FirstColumn();

    [GeneratedRegex(@"(?<=^|,\s)--?[A-Za-z0-9?][\w-]*")]
    private static partial Regex OptionName();
}
