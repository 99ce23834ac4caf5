using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.Logging;

namespace Tessera.AspNetCore;

/// <summary>
/// A Kestrel connection middleware: Tessera's server handshake over the accepted connection, then the rest of the
/// pipeline (HTTP/1.1 or HTTP/2, as ALPN chose) over the decrypted stream, with the TLS features set.
/// </summary>
internal sealed partial class TesseraConnectionMiddleware(ConnectionDelegate next, TlsServerOptions options, ILogger logger)
{
    private static readonly TimeSpan CloseNotifyTimeout = TimeSpan.FromSeconds(2);

    public async Task OnConnectionAsync(ConnectionContext context)
    {
        var transport = context.Transport;
        var tls = new TlsStream(new DuplexPipeStream(transport), leaveInnerStreamOpen: false);
        try
        {
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.ConnectionClosed))
            {
                timeout.CancelAfter(options.HandshakeTimeout);
                try
                {
                    await tls.AuthenticateAsServerAsync(options, timeout.Token).ConfigureAwait(false);
                }
                catch (TlsException ex)
                {
                    HandshakeFailed(logger, context.ConnectionId, ex.Message);
                    return;
                }
                catch (OperationCanceledException)
                {
                    HandshakeFailed(logger, context.ConnectionId, "the handshake did not complete in time, or the connection closed");
                    return;
                }
                catch (Exception ex) when (ex is IOException or TimeoutException)
                {
                    HandshakeFailed(logger, context.ConnectionId, ex.Message);
                    return;
                }
            }

            var features = new TesseraTlsFeatures(tls);
            context.Features.Set<ITlsConnectionFeature>(features);
            context.Features.Set<ITlsHandshakeFeature>(features);
            context.Features.Set<ITlsApplicationProtocolFeature>(features);
            context.Features.Set<ITesseraConnectionFeature>(features);
            HandshakeCompleted(logger, context.ConnectionId, tls.NegotiatedProtocol.ToDisplayName(), tls.NegotiatedCipherSuite?.ToString() ?? "?",
                tls.NegotiatedApplicationProtocol ?? "(none)", tls.Connection.IsResumed);

            var requests = new FirstRequestLineObserver(tls);
            var reader = PipeReader.Create(requests, new StreamPipeReaderOptions(leaveOpen: true));
            var writer = PipeWriter.Create(tls, new StreamPipeWriterOptions(leaveOpen: true));
            context.Transport = new DuplexPipe(reader, writer);
            try
            {
                await next(context).ConfigureAwait(false);
            }
            finally
            {
                await reader.CompleteAsync().ConfigureAwait(false);
                await writer.CompleteAsync().ConfigureAwait(false);
                context.Transport = transport;
            }

            // An HTTP/1.0 response may end where the connection ends; close_notify would then vouch for a body the
            // application may have failed halfway through, so that connection closes without it (as SslStream's does).
            if (!requests.FirstRequestIsHttp10)
            {
                await SendCloseNotifyAsync(tls, context).ConfigureAwait(false);
            }
        }
        finally
        {
            await tls.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Ends the TLS connection with close_notify (RFC 8446 §6.1) when Kestrel is done with it. HTTP/1.1 and HTTP/2 frame
    /// every response (length, chunks, END_STREAM), so a cut one is still seen as cut. Not when the connection is
    /// already gone; a peer that does not read gets two seconds.
    /// </summary>
    private static async Task SendCloseNotifyAsync(TlsStream tls, ConnectionContext context)
    {
        if (context.ConnectionClosed.IsCancellationRequested)
        {
            return;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.ConnectionClosed);
        timeout.CancelAfter(CloseNotifyTimeout);
        try
        {
            await tls.ShutdownAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or TlsException or ObjectDisposedException or InvalidOperationException)
        {
            // The peer went first or went away: nothing more to say to it.
        }
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Connection {ConnectionId}: TLS handshake failed: {Reason}")]
    private static partial void HandshakeFailed(ILogger logger, string connectionId, string reason);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "Connection {ConnectionId}: {Protocol}, {CipherSuite}, ALPN {Alpn}, resumed {Resumed}")]
    private static partial void HandshakeCompleted(ILogger logger, string connectionId, string protocol, string cipherSuite, string alpn, bool resumed);
}
