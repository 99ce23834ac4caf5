namespace Tessera.Messages;

/// <summary>Record content types (RFC 8446 §5.1).</summary>
public enum ContentType : byte
{
    /// <summary>invalid (0).</summary>
    Invalid = 0,
    /// <summary>change_cipher_spec (20).</summary>
    ChangeCipherSpec = 20,
    /// <summary>alert (21).</summary>
    Alert = 21,
    /// <summary>handshake (22).</summary>
    Handshake = 22,
    /// <summary>application_data (23).</summary>
    ApplicationData = 23,
}
