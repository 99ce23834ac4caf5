namespace Tessera;

/// <summary>What became of 0-RTT early data (RFC 8446 §2.3, §4.2.10) on a connection.</summary>
public enum TlsEarlyDataStatus
{
    /// <summary>None was offered (or none could be: no ticket that allows it).</summary>
    NotOffered,

    /// <summary>The server took it: it was delivered once, before the handshake finished.</summary>
    Accepted,

    /// <summary>The server declined it (or asked for another ClientHello); it was not delivered, and may be sent again as ordinary data.</summary>
    Rejected,
}
