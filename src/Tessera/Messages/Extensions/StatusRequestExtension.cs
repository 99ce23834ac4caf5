namespace Tessera.Messages;

/// <summary>
/// status_request (RFC 6066 §8): CertificateStatusRequest { status_type; OCSPStatusRequest { responder_id_list,
/// request_extensions } }. Parsed and checked now; answering it (OCSP stapling) comes with the PKI work.
/// </summary>
internal sealed record StatusRequestExtension(byte StatusType, IReadOnlyList<byte[]> ResponderIds, byte[] RequestExtensions)
{
    public const byte Ocsp = 1;

    /// <summary>Parses a ClientHello's status_request. Unknown status types are kept, with their data unread (the server ignores them).</summary>
    public static StatusRequestExtension Parse(ReadOnlySpan<byte> data)
    {
        var reader = new TlsReader(data);
        byte type = reader.ReadUInt8();
        if (type != Ocsp)
        {
            return new StatusRequestExtension(type, [], []);
        }

        var ids = new List<byte[]>();
        var list = new TlsReader(reader.ReadVector16());
        while (!list.IsEmpty)
        {
            var id = list.ReadVector16();
            if (id.IsEmpty)
            {
                throw new TlsException(AlertDescription.DecodeError, "status_request has an empty ResponderID");
            }

            ids.Add(id.ToArray());
        }

        var extensions = reader.ReadVector16().ToArray();
        reader.EnsureEmpty("status_request");
        return new StatusRequestExtension(type, ids, extensions);
    }

    public static byte[] EncodeOcsp()
    {
        var w = new TlsWriter(5);
        w.WriteUInt8(Ocsp);
        w.WriteVector16([]);
        w.WriteVector16([]);
        return w.ToArray();
    }
}
