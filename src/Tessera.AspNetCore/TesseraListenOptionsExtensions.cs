using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Tessera.AspNetCore;

/// <summary>Kestrel endpoints secured by Tessera instead of <c>UseHttps</c> (SslStream).</summary>
public static class TesseraListenOptionsExtensions
{
    /// <summary>
    /// Runs Tessera's TLS server on every connection of this endpoint. When the options name no ALPN protocols, they
    /// become those of the endpoint's <see cref="ListenOptions.Protocols"/> ("h2" before "http/1.1"), so HTTP/2 is
    /// negotiated as with <c>UseHttps</c>. Without a <see cref="TlsOptions.Logger"/> the options get the host's
    /// "Tessera" logger.
    /// </summary>
    /// <param name="listenOptions">The endpoint.</param>
    /// <param name="options">The server's TLS settings: certificates (picked by SNI), versions, client certificates, ...</param>
    /// <returns>The endpoint, for chaining.</returns>
    public static ListenOptions UseTessera(this ListenOptions listenOptions, TlsServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(listenOptions);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Certificates.Count == 0 && options.ExternalPsks.Count == 0)
        {
            throw new ArgumentException("The TLS options hold no certificate (and no external PSK): no client could authenticate this endpoint.", nameof(options));
        }

        if (options.ApplicationProtocols.Count == 0)
        {
            options.ApplicationProtocols =
            [
                .. listenOptions.Protocols.HasFlag(HttpProtocols.Http2) ? ["h2"] : Array.Empty<string>(),
                .. listenOptions.Protocols.HasFlag(HttpProtocols.Http1) ? ["http/1.1"] : Array.Empty<string>(),
            ];
        }

        var loggerFactory = listenOptions.ApplicationServices.GetService<ILoggerFactory>();
        var logger = loggerFactory?.CreateLogger("Tessera.AspNetCore") ?? NullLogger.Instance;
        options.Logger ??= loggerFactory?.CreateLogger("Tessera");
        listenOptions.Use(next => new TesseraConnectionMiddleware(next, options, logger).OnConnectionAsync);
        return listenOptions;
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
