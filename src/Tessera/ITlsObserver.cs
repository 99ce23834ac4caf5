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

/// <summary>What an observer learns about one record.</summary>
/// <param name="OuterType">The content type in the record header (application_data for every protected TLS 1.3 record).</param>
/// <param name="InnerType">The real content type (for protected records, from TLSInnerPlaintext).</param>
/// <param name="LegacyVersion">The legacy_record_version in the header.</param>
/// <param name="Length">The length field of the header (ciphertext length for protected records).</param>
/// <param name="ContentLength">The length of the content carried, without padding, type byte or tag.</param>
/// <param name="IsProtected">True when the record was encrypted.</param>
public readonly record struct TlsRecordInfo(ContentType OuterType, ContentType InnerType, ushort LegacyVersion, int Length, int ContentLength, bool IsProtected);

/// <summary>
/// Watches a connection as a protocol analyzer would. Called synchronously from the engine; must not
/// throw or block. Never receives secret values, only the names of secrets.
/// </summary>
public interface ITlsObserver
{
    /// <summary>A record crossed the wire (a received protected record is reported once it has authenticated).</summary>
    void OnRecord(TrafficDirection direction, in TlsRecordInfo record);

    /// <summary>A whole handshake message (header included) was sent or received.</summary>
    void OnHandshakeMessage(TrafficDirection direction, HandshakeType type, ReadOnlySpan<byte> message);

    /// <summary>A secret was derived (its label only, e.g. "c hs traffic").</summary>
    void OnSecretDerived(string label);

    /// <summary>Keys changed for one direction; <paramref name="description"/> names the new keys.</summary>
    void OnKeyChange(TrafficDirection direction, string description);

    /// <summary>An alert was sent or received.</summary>
    void OnAlert(TrafficDirection direction, AlertDescription alert);

    /// <summary>
    /// The inner ClientHello of Encrypted Client Hello (header included): the one the client encrypted into the outer
    /// hello it sent, or the one the server decrypted from the outer hello it received. Never on the wire in the clear.
    /// </summary>
    void OnEchInnerClientHello(TrafficDirection direction, ReadOnlySpan<byte> message)
    {
    }
}
