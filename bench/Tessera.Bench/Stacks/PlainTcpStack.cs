namespace Tessera.Bench.Stacks;

/// <summary>
/// No TLS at all: the transport's own streams handed straight back. A reference for what loopback TCP and the harness
/// cost by themselves (a "handshake" is then a TCP connection and one byte; bulk is the socket alone).
/// </summary>
public sealed class PlainTcpStackFactory : ITlsStackFactory
{
    /// <summary>The name in the report.</summary>
    public const string StackName = "TCP alone";

    /// <inheritdoc />
    public string Name => StackName;

    /// <inheritdoc />
    public string? Unsupported(Scenario scenario) => null;

    /// <inheritdoc />
    public ITlsStack Create(Scenario scenario, BenchCredentials credentials) => new PlainTcpStack();

    private sealed class PlainTcpStack : ITlsStack
    {
        public Task<TlsPair> ConnectAsync(Stream clientTransport, Stream serverTransport, CancellationToken cancellationToken) =>
            Task.FromResult(new TlsPair(clientTransport, serverTransport, null));

        public void Dispose()
        {
        }
    }
}
