namespace Tessera;

/// <summary>What became of Encrypted Client Hello on a connection (RFC 9849).</summary>
public enum TlsEchStatus
{
    /// <summary>No encrypted_client_hello extension was sent (client) or received (server).</summary>
    NotOffered,

    /// <summary>The client sent a GREASE extension: it looks like ECH on the wire but hides nothing.</summary>
    Grease,

    /// <summary>The server decrypted the inner ClientHello and the handshake used it: the real server name was never in the clear.</summary>
    Accepted,

    /// <summary>
    /// The server used the outer ClientHello (it holds no key for the config, or a GREASE extension came). A client
    /// that offered ECH then fails with ech_required and, when the server sent them, retry configurations.
    /// </summary>
    Rejected,
}
