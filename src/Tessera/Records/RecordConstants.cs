namespace Tessera.Records;

/// <summary>Sizes and limits of TLS records (RFC 8446 §5.1, §5.2).</summary>
internal static class RecordConstants
{
    /// <summary>type(1) + legacy_record_version(2) + length(2).</summary>
    public const int HeaderLength = 5;

    /// <summary>2^14: the largest plaintext fragment.</summary>
    public const int MaxPlaintextLength = 1 << 14;

    /// <summary>2^14 + 256: the largest TLSCiphertext.encrypted_record a TLS 1.3 peer may send.</summary>
    public const int MaxCiphertextLength13 = MaxPlaintextLength + 256;

    /// <summary>The legacy_record_version written on every TLS 1.3 record after the first ClientHello.</summary>
    public const ushort LegacyRecordVersion = 0x0303;

    /// <summary>The legacy_record_version of the initial ClientHello record, for middlebox compatibility.</summary>
    public const ushort InitialClientHelloRecordVersion = 0x0301;
}
