using System.Text;

namespace Tessera.Messages;

/// <summary>server_name (RFC 6066 §3): one host_name entry.</summary>
internal static class ServerNameExtension
{
    private const byte HostNameType = 0;

    public static string Parse(ReadOnlySpan<byte> data)
    {
        var reader = new TlsReader(data);
        var list = new TlsReader(reader.ReadVector16());
        reader.EnsureEmpty("server_name");
        string? host = null;
        if (list.IsEmpty)
        {
            throw new TlsException(AlertDescription.DecodeError, "empty server_name list");
        }

        while (!list.IsEmpty)
        {
            byte type = list.ReadUInt8();
            var name = list.ReadVector16();
            if (type != HostNameType)
            {
                continue;
            }

            if (host is not null)
            {
                throw new TlsException(AlertDescription.IllegalParameter, "more than one host_name in server_name");
            }

            if (name.IsEmpty || name.Length > 255)
            {
                throw new TlsException(AlertDescription.DecodeError, "host_name must be 1..255 bytes");
            }

            foreach (byte b in name)
            {
                if (b is <= 0x20 or >= 0x7F)
                {
                    throw new TlsException(AlertDescription.DecodeError, "host_name holds a byte that is not printable ASCII");
                }
            }

            host = Encoding.ASCII.GetString(name);
        }

        return host ?? throw new TlsException(AlertDescription.DecodeError, "server_name has no host_name");
    }

    public static byte[] Encode(string hostName)
    {
        var name = Encoding.ASCII.GetBytes(hostName);
        var w = new TlsWriter();
        int list = w.BeginVector(2);
        w.WriteUInt8(HostNameType);
        w.WriteVector16(name);
        w.EndVector(list);
        return w.ToArray();
    }
}
