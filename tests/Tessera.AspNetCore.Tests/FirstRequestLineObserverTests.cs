using System.Text;

namespace Tessera.AspNetCore.Tests;

/// <summary>Which connections' first request asks for HTTP/1.0 (whose response may end with the connection).</summary>
public sealed class FirstRequestLineObserverTests
{
    [Theory]
    [InlineData("GET / HTTP/1.0\r\nHost: a\r\n\r\n", 1000, true)]
    [InlineData("GET / HTTP/1.0\r\nHost: a\r\n\r\n", 1, true)]
    [InlineData("GET / HTTP/1.0\nHost: a\n\n", 3, true)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n\r\n", 1000, false)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.0\r\n\r\n", 5, false)]   // the first request decides
    [InlineData("GET /HTTP/1.0 HTTP/1.1\r\n\r\n", 7, false)]
    [InlineData("GET / HTTP/1.0", 1000, false)]   // no line yet
    public void TheFirstRequestLineIsRead_HoweverTheBytesArrive(string request, int chunk, bool http10)
    {
        var observer = new FirstRequestLineObserver(Stream.Null);
        var bytes = Encoding.ASCII.GetBytes(request);
        for (int i = 0; i < bytes.Length; i += chunk)
        {
            observer.Observe(bytes.AsSpan(i, Math.Min(chunk, bytes.Length - i)));
        }

        Assert.Equal(http10, observer.FirstRequestIsHttp10);
    }

    [Fact]
    public async Task BytesPassThroughUnchanged_AndALineLongerThanKestrelTakesStopsTheWatch()
    {
        var request = Encoding.ASCII.GetBytes("GET /" + new string('a', 10_000) + " HTTP/1.0\r\n\r\n");
        var observer = new FirstRequestLineObserver(new MemoryStream(request));
        using var copy = new MemoryStream();
        await observer.CopyToAsync(copy, 777);
        Assert.Equal(request, copy.ToArray());
        Assert.False(observer.FirstRequestIsHttp10);
    }
}
