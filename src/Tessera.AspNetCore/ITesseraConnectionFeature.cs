namespace Tessera.AspNetCore;

/// <summary>
/// The Tessera connection under an ASP.NET Core connection (<c>HttpContext.Features.Get&lt;ITesseraConnectionFeature&gt;()</c>):
/// what <c>ITlsHandshakeFeature</c> does not say, such as the key-exchange group, resumption or Encrypted Client Hello.
/// </summary>
public interface ITesseraConnectionFeature
{
    /// <summary>The connection, with its handshake complete.</summary>
    TlsConnection Connection { get; }
}
