namespace Tessera.Tests;

internal static class Hex
{
    /// <summary>Parses hex with any whitespace, as RFC traces print it.</summary>
    public static byte[] Parse(string hex) =>
        Convert.FromHexString(string.Concat(hex.Where(c => !char.IsWhiteSpace(c))));
}
