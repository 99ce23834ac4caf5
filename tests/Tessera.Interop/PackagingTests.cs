using System.IO.Compression;
using System.Xml.Linq;

namespace Tessera.Interop;

/// <summary>
/// <c>dotnet pack</c> of the four packages (from the build the tests run on, no rebuild): each carries its README, the
/// licence, XML docs (libraries), symbols and the commit for SourceLink; the tool package installs with
/// <c>dotnet tool install</c> and the installed <c>tessera</c> runs.
/// </summary>
public sealed class PackagingTests : IDisposable
{
    private static readonly string[] Libraries = ["Tessera", "Tessera.Redis", "Tessera.AspNetCore"];
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("tessera-pack-");

    public void Dispose() => _directory.Delete(recursive: true);

    private static string Root()
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

    private static string Configuration() => new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

    private static XElement Metadata(ZipArchive package, string id)
    {
        using var nuspec = package.GetEntry($"{id}.nuspec")!.Open();
        var document = XDocument.Load(nuspec);
        return document.Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    private static string? Value(XElement metadata, string name) => metadata.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;

    [Fact]
    public void PackagesCarryReadmeLicenceDocsAndSymbols_AndTheToolInstallsAndRuns()
    {
        var root = Root();
        var output = _directory.CreateSubdirectory("packages").FullName;
        foreach (var project in new[] { "Tessera", "Tessera.Redis", "Tessera.AspNetCore", "Tessera.Cli" })
        {
            using var pack = PeerProcess.Start("dotnet",
                ["pack", Path.Combine(root, "src", project, project + ".csproj"), "-c", Configuration(), "--no-build", "--nologo", "-o", output]);
            Assert.True(pack.WaitForExit(TimeSpan.FromMinutes(3)) == 0, pack.Stdout + pack.Stderr);
        }

        foreach (var id in Libraries.Append("Tessera.Cli"))
        {
            var file = Directory.GetFiles(output, $"{id}.*.nupkg").Single(f => System.Text.RegularExpressions.Regex.IsMatch(Path.GetFileName(f), $@"^{id.Replace(".", @"\.", StringComparison.Ordinal)}\.\d"));
            Assert.True(File.Exists(Path.ChangeExtension(file, ".snupkg")), $"no symbols for {id}");
            using var package = ZipFile.OpenRead(file);
            var metadata = Metadata(package, id);
            Assert.Equal("MIT", Value(metadata, "license"));
            Assert.Equal("README.md", Value(metadata, "readme"));
            Assert.NotNull(package.GetEntry("README.md"));
            Assert.False(string.IsNullOrWhiteSpace(Value(metadata, "description")));
            var repository = metadata.Elements().Single(e => e.Name.LocalName == "repository");
            Assert.Matches("^[0-9a-f]{40}$", repository.Attribute("commit")?.Value ?? "");

            if (id == "Tessera.Cli")
            {
                using var settings = package.GetEntry("tools/net10.0/any/DotnetToolSettings.xml")!.Open();
                Assert.Equal("tessera", XDocument.Load(settings).Descendants("Command").Single().Attribute("Name")?.Value);
            }
            else
            {
                Assert.NotNull(package.GetEntry($"lib/net10.0/{id}.dll"));
                using var docs = package.GetEntry($"lib/net10.0/{id}.xml")!.Open();
                Assert.NotEmpty(XDocument.Load(docs).Descendants("member"));
            }
        }

        // The tool installs from the package folder and runs: its version, a real command, and a user mistake.
        var tools = _directory.CreateSubdirectory("tools").FullName;
        using (var install = PeerProcess.Start("dotnet", ["tool", "install", "--tool-path", tools, "--add-source", output, "Tessera.Cli", "--prerelease"]))
        {
            Assert.True(install.WaitForExit(TimeSpan.FromMinutes(3)) == 0, install.Stdout + install.Stderr);
        }

        var tessera = Path.Combine(tools, "tessera");
        using (var version = PeerProcess.Start(tessera, ["--version"]))
        {
            Assert.Equal(0, version.WaitForExit(TimeSpan.FromMinutes(1)));
            Assert.Matches(@"^\d+\.\d+\.\d+", version.Stdout.Trim());
        }

        using (var demo = PeerProcess.Start(tessera, ["demo"]))
        {
            Assert.True(demo.WaitForExit(TimeSpan.FromMinutes(1)) == 0, demo.Stderr);
            Assert.Contains("TLSv1.3", demo.Stdout, StringComparison.Ordinal);
        }

        using var mistake = PeerProcess.Start(tessera, ["s_client", "-connect", "no-port-here"]);
        Assert.NotEqual(0, mistake.WaitForExit(TimeSpan.FromMinutes(1)));
        Assert.Single(mistake.Stderr.Trim().Split('\n'));
    }
}
