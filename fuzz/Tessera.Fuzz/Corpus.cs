using System.Security.Cryptography;

namespace Tessera.Fuzz;

/// <summary>
/// The corpora in the repository: <c>fuzz/corpus/TARGET/</c> holds seeds and what fuzzing found worth keeping,
/// <c>fuzz/findings/TARGET/</c> every input that once broke a rule (kept after the fix, replayed by the tests).
/// Files are named by the SHA-1 of their content, as libFuzzer names them.
/// </summary>
public static class Corpus
{
    /// <summary>The repository's <c>fuzz</c> folder, found from <paramref name="start"/> upwards (null when not inside a checkout).</summary>
    public static string? FindFuzzFolder(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Tessera.slnx")))
            {
                return Path.Combine(dir.FullName, "fuzz");
            }
        }

        return null;
    }

    /// <summary>Every input file under <paramref name="paths"/> (files as they are, folders recursively), in a stable order.</summary>
    public static IEnumerable<string> Files(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                foreach (var file in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Where(f => !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal))
                {
                    yield return file;
                }
            }
            else if (File.Exists(path))
            {
                yield return path;
            }
        }
    }

    /// <summary>Writes <paramref name="input"/> into <paramref name="folder"/> under its SHA-1; false when it was there already.</summary>
    public static bool Add(string folder, ReadOnlySpan<byte> input)
    {
        ArgumentNullException.ThrowIfNull(folder);
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, Convert.ToHexStringLower(SHA1.HashData(input)));
        if (File.Exists(path))
        {
            return false;
        }

        File.WriteAllBytes(path, input.ToArray());
        return true;
    }
}
