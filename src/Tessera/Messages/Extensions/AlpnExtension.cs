using System.Text;

namespace Tessera.Messages;

/// <summary>application_layer_protocol_negotiation (RFC 7301 §3.1).</summary>
internal static class AlpnExtension
{
    public static string[] Parse(ReadOnlySpan<byte> data)
    {
        var reader = new TlsReader(data);
        var list = new TlsReader(reader.ReadVector16());
        reader.EnsureEmpty("application_layer_protocol_negotiation");
        var names = new List<string>();
        while (!list.IsEmpty)
        {
            var name = list.ReadVector8();
            if (name.IsEmpty)
            {
                throw new TlsException(AlertDescription.DecodeError, "empty ALPN protocol name");
            }

            names.Add(Encoding.Latin1.GetString(name));
        }

        return names.Count > 0 ? [.. names] : throw new TlsException(AlertDescription.DecodeError, "empty ALPN protocol list");
    }

    public static byte[] Encode(IEnumerable<string> protocols)
    {
        var w = new TlsWriter();
        int list = w.BeginVector(2);
        foreach (var p in protocols)
        {
            w.WriteVector8(Encoding.Latin1.GetBytes(p));
        }

        w.EndVector(list);
        return w.ToArray();
    }
}
