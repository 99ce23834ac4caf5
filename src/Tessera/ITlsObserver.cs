using Tessera.Messages;

namespace Tessera;

/// <summary>Direction of a record or message relative to this endpoint.</summary>
public enum TrafficDirection
{
    /// <summary>Received from the peer.</summary>
    Received,
    /// <summary>Sent to the peer.</summary>
    Sent,
}

/// <summary>
/// Watches a connection as a protocol analyzer would. Called synchronously from the engine; must not
/// throw or block. Never receives secret values, only the names of secrets.
/// </summary>
public interface ITlsObserver
{
    /// <summary>A record crossed the wire. <paramref name="protectedRecord"/> is true when it was encrypted.</summary>
    void OnRecord(TrafficDirection direction, ContentType outerType, ushort legacyVersion, int length, bool protectedRecord);

    /// <summary>A whole handshake message (header included) was sent or received.</summary>
    void OnHandshakeMessage(TrafficDirection direction, HandshakeType type, ReadOnlySpan<byte> message);

    /// <summary>A secret was derived (its label only, e.g. "c hs traffic").</summary>
    void OnSecretDerived(string label);

    /// <summary>Keys changed for one direction; <paramref name="description"/> names the new keys.</summary>
    void OnKeyChange(TrafficDirection direction, string description);

    /// <summary>An alert was sent or received.</summary>
    void OnAlert(TrafficDirection direction, AlertDescription alert);
}
