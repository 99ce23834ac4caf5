using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Tessera.AspNetCore;

/// <summary>Kestrel endpoints secured by Tessera instead of <c>UseHttps</c> (SslStream).</summary>
public static class TesseraListenOptionsExtensions
{
    /// <summary>
    /// Runs Tessera's TLS server on every connection of this endpoint. When the options name no ALPN protocols, the
    /// endpoint offers those of its <see cref="ListenOptions.Protocols"/> ("h2" before "http/1.1", as they stand when
    /// Kestrel binds), so HTTP/2 is negotiated as with <c>UseHttps</c>. Without a <see cref="TlsOptions.Logger"/> the
    /// endpoint logs to the host's "Tessera" logger. Those two are set on a copy: <paramref name="options"/> is not
    /// changed and may be shared by several endpoints.
    /// </summary>
    /// <param name="listenOptions">The endpoint.</param>
    /// <param name="options">The server's TLS settings: certificates (picked by SNI), versions, client certificates, ...</param>
    /// <returns>The endpoint, for chaining.</returns>
    /// <exception cref="ArgumentException">
    /// The options hold no certificate and no external PSK, or turn 0-RTT on (<see cref="TlsServerOptions.MaxEarlyDataSize"/>):
    /// Kestrel would serve early data as any other request, and the application could not tell a replayable one
    /// (RFC 8470) from the rest.
    /// </exception>
    public static ListenOptions UseTessera(this ListenOptions listenOptions, TlsServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(listenOptions);
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);

        // Kestrel calls this when it binds the endpoint, after ListenOptions.Protocols has its final value.
        listenOptions.Use(next =>
        {
            var endpointOptions = options.CopyForEndpoint();
            Validate(endpointOptions);   // again: the options may have changed between UseTessera and the bind
            if (endpointOptions.ApplicationProtocols.Count == 0)
            {
                endpointOptions.ApplicationProtocols =
                [
                    .. listenOptions.Protocols.HasFlag(HttpProtocols.Http2) ? ["h2"] : Array.Empty<string>(),
                    .. listenOptions.Protocols.HasFlag(HttpProtocols.Http1) ? ["http/1.1"] : Array.Empty<string>(),
                ];
            }

            var loggerFactory = listenOptions.ApplicationServices.GetService<ILoggerFactory>();
            var logger = loggerFactory?.CreateLogger("Tessera.AspNetCore") ?? NullLogger.Instance;
            endpointOptions.Logger ??= loggerFactory?.CreateLogger("Tessera");
            return new TesseraConnectionMiddleware(next, endpointOptions, logger).OnConnectionAsync;
        });
        return listenOptions;
    }

    private static void Validate(TlsServerOptions options)
    {
        if (options.Certificates.Count == 0 && options.ExternalPsks.Count == 0)
        {
            throw new ArgumentException("The TLS options hold no certificate (and no external PSK): no client could authenticate this endpoint.", nameof(options));
        }

        if (options.MaxEarlyDataSize > 0)
        {
            throw new ArgumentException(
                "0-RTT (MaxEarlyDataSize) is not available behind Kestrel: early data would be served as any other request, and the application could not tell a replayable one from the rest (RFC 8470).",
                nameof(options));
        }
    }

    /// <summary>Runs Tessera's TLS server on every connection of this endpoint, configured by <paramref name="configure"/>.</summary>
    /// <param name="listenOptions">The endpoint.</param>
    /// <param name="configure">Sets the TLS options (at least a certificate).</param>
    /// <returns>The endpoint, for chaining.</returns>
    public static ListenOptions UseTessera(this ListenOptions listenOptions, Action<TlsServerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var options = new TlsServerOptions();
        configure(options);
        return listenOptions.UseTessera(options);
    }
}
