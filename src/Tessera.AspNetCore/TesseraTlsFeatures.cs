using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Tessera.AspNetCore;

/// <summary>
/// What ASP.NET Core reads about a connection's TLS, from a <see cref="TlsStream"/> that finished its handshake:
/// the client certificate (<c>HttpContext.Connection.ClientCertificate</c>), the protocol and suite, the SNI name, and
/// the ALPN protocol (Kestrel picks HTTP/2 when it is "h2").
/// </summary>
internal sealed class TesseraTlsFeatures : ITlsConnectionFeature, ITlsHandshakeFeature, ITlsApplicationProtocolFeature, ITesseraConnectionFeature
{
    private readonly TlsStream _tls;
    private X509Certificate2? _clientCertificate;
    private bool _clientCertificateLoaded;

    public TesseraTlsFeatures(TlsStream tls)
    {
        _tls = tls;
        ApplicationProtocol = tls.NegotiatedApplicationProtocol is { } alpn ? System.Text.Encoding.ASCII.GetBytes(alpn) : ReadOnlyMemory<byte>.Empty;
    }

    public X509Certificate2? ClientCertificate
    {
        get
        {
            if (!_clientCertificateLoaded)
            {
                _clientCertificateLoaded = true;
                _clientCertificate = _tls.PeerCertificateChain is [var leaf, ..] ? X509CertificateLoader.LoadCertificate(leaf) : null;
            }

            return _clientCertificate;
        }

        set
        {
            _clientCertificate = value;
            _clientCertificateLoaded = true;
        }
    }

    public Task<X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellationToken) => Task.FromResult(ClientCertificate);

    public SslProtocols Protocol => _tls.NegotiatedProtocol switch
    {
        TlsProtocolVersion.Tls13 => SslProtocols.Tls13,
        TlsProtocolVersion.Tls12 => SslProtocols.Tls12,
        TlsProtocolVersion.Tls11 => (SslProtocols)0x300,   // SslProtocols.Tls11, marked obsolete in the BCL
        TlsProtocolVersion.Tls10 => (SslProtocols)0xC0,    // SslProtocols.Tls
        _ => SslProtocols.None,
    };

    /// <summary>The IANA code of the suite, which is also <see cref="TlsCipherSuite"/>'s value.</summary>
    public TlsCipherSuite? NegotiatedCipherSuite => _tls.NegotiatedCipherSuite is { } suite ? (TlsCipherSuite)(ushort)suite : null;

    public string HostName => _tls.ServerName ?? string.Empty;

#pragma warning disable SYSLIB0058 // the interface still has the pre-TlsCipherSuite members; they say nothing here
    public CipherAlgorithmType CipherAlgorithm => CipherAlgorithmType.None;

    public int CipherStrength => 0;

    public HashAlgorithmType HashAlgorithm => HashAlgorithmType.None;

    public int HashStrength => 0;

    public ExchangeAlgorithmType KeyExchangeAlgorithm => ExchangeAlgorithmType.None;

    public int KeyExchangeStrength => 0;
#pragma warning restore SYSLIB0058

    public ReadOnlyMemory<byte> ApplicationProtocol { get; }

    public TlsConnection Connection => _tls.Connection;
}
