namespace Tessera;

/// <summary>What a server knows when it decides whether to take a client's 0-RTT data (<see cref="TlsServerOptions.AcceptEarlyData"/>).</summary>
/// <param name="ServerName">The SNI name, if any.</param>
/// <param name="ApplicationProtocol">The ALPN protocol chosen, if any (the same as the ticket's).</param>
/// <param name="PeerCertificateChain">The client certificate of the original connection, if it sent one.</param>
public sealed record TlsEarlyDataRequest(string? ServerName, string? ApplicationProtocol, IReadOnlyList<byte[]> PeerCertificateChain);
