using System.Diagnostics;
using Tessera.Pki.X509;

namespace Tessera.Tests.Pki;

/// <summary>Every row of <see cref="ValidationTable"/> through Tessera's validator: the expected error (or none), in bounded time.</summary>
public sealed class ValidationTableTests
{
    [Theory]
    [MemberData(nameof(ValidationTable.Names), MemberType = typeof(ValidationTable))]
    public void EveryRowGetsItsExpectedVerdict(string name)
    {
        using var chain = ValidationTable.Build(name);
        var expected = ValidationTable.Rows[name].Expected;
        var clock = Stopwatch.StartNew();
        var result = chain.Validate();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        Assert.True(expected == result.Error, $"'{name}': expected {expected}, got {result.Error} ({result.Reason}) at depth {result.FailingDepth}");
        Assert.Equal(expected == ValidationError.None, result.IsValid);
        if (result.IsValid)
        {
            Assert.Equal(chain.Leaf.Parsed.Der.ToArray(), result.Path[0].Der.ToArray());
            Assert.Contains(chain.Anchors, a => a.Parsed.Der.Span.SequenceEqual(result.Path[^1].Der.Span));
        }
        else
        {
            Assert.NotEqual(AlertDescription.CloseNotify, result.Alert);
        }
    }
}
