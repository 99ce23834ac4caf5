using Tessera.Pki;
using Tessera.Sessions;

namespace Tessera.Bench.Stacks;

/// <summary>Tessera's <see cref="TlsStream"/> with its defaults, narrowed to the scenario's version, group and suite.</summary>
public sealed class TesseraStackFactory : ITlsStackFactory
{
    /// <inheritdoc />
    public string Name => "Tessera";

    /// <inheritdoc />
    public string? Unsupported(Scenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        return null;
    }

    /// <inheritdoc />
    public ITlsStack Create(Scenario scenario, BenchCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(credentials);
        return new TesseraStack(scenario, credentials);
    }

    /// <summary>Tessera's options for <paramref name="scenario"/>: the library's defaults narrowed to its version, groups and suite.</summary>
    public static (TlsClientOptions Client, TlsServerOptions Server) Options(Scenario scenario, BenchCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(credentials);
        bool resume = scenario.Resumption != Resumption.None;

        // TLS 1.2 (RFC 8422 §5.1): an ECDSA certificate's curve must be among the client's groups, whatever the key exchange uses.
        IReadOnlyList<NamedGroup> groups = scenario.Version == TlsProtocolVersion.Tls12 ? [.. new[] { scenario.Group, NamedGroup.Secp256r1 }.Distinct()] : [scenario.Group];
        var server = new TlsServerOptions
        {
            MinProtocolVersion = scenario.Version,
            MaxProtocolVersion = scenario.Version,
            Groups = groups,
            CipherSuites = [scenario.Suite],
            SessionCache = scenario.Resumption == Resumption.SessionId ? new TlsSessionCache() : null,
            TicketKeys = scenario.Resumption == Resumption.Ticket ? new TicketKeyRing() : null,
            SessionTicketCount = scenario.Resumption == Resumption.Ticket ? 2 : 0,
        };
        server.Certificates.Add(credentials.TesseraCertificate);
        var client = new TlsClientOptions
        {
            ServerName = BenchCredentials.ServerName,
            MinProtocolVersion = scenario.Version,
            MaxProtocolVersion = scenario.Version,
            Groups = groups,
            CipherSuites = [scenario.Suite],
            CertificateVerifier = new X509CertificateVerifier([credentials.RootDer]),
            SessionCache = resume ? new TlsClientSessionCache() : null,
            EnableSessionTickets = scenario.Resumption == Resumption.Ticket,
        };
        return (client, server);
    }

    private sealed class TesseraStack : ITlsStack
    {
        private readonly TlsServerOptions _server;
        private readonly TlsClientOptions _client;

        public TesseraStack(Scenario scenario, BenchCredentials credentials) => (_client, _server) = Options(scenario, credentials);

        public async Task<TlsPair> ConnectAsync(Stream clientTransport, Stream serverTransport, CancellationToken cancellationToken)
        {
            var client = new TlsStream(clientTransport);
            var server = new TlsStream(serverTransport);
            try
            {
                var serverSide = server.AuthenticateAsServerAsync(_server, cancellationToken);
                var clientSide = client.AuthenticateAsClientAsync(_client, cancellationToken);
                await BothOrNeither(clientSide, serverSide, client, server).ConfigureAwait(false);
                return new TlsPair(client, server, client.Connection.IsResumed);
            }
            catch
            {
                await client.DisposeAsync().ConfigureAwait(false);
                await server.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        public void Dispose() => (_server.TicketKeys as IDisposable)?.Dispose();
    }

    /// <summary>Waits for both handshakes; when one fails, closes both ends so the other cannot wait forever, and reports the first failure.</summary>
    internal static async Task BothOrNeither(Task client, Task server, IDisposable clientEnd, IDisposable serverEnd)
    {
        var first = await Task.WhenAny(client, server).ConfigureAwait(false);
        if (first.IsFaulted || first.IsCanceled)
        {
            clientEnd.Dispose();
            serverEnd.Dispose();
            var other = first == client ? server : client;
            await other.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
            await first.ConfigureAwait(false);   // rethrows the first failure
        }

        await Task.WhenAll(client, server).ConfigureAwait(false);
    }
}
