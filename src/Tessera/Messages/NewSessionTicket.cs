namespace Tessera.Messages;

/// <summary>NewSessionTicket (RFC 8446 §4.6.1).</summary>
internal sealed class NewSessionTicket
{
    public uint TicketLifetime { get; set; }

    public uint TicketAgeAdd { get; set; }

    public byte[] TicketNonce { get; set; } = [];

    public byte[] Ticket { get; set; } = [];

    public List<TlsExtension> Extensions { get; set; } = [];

    public static NewSessionTicket Parse(ReadOnlySpan<byte> body)
    {
        var reader = new TlsReader(body);
        var ticket = new NewSessionTicket
        {
            TicketLifetime = reader.ReadUInt32(),
            TicketAgeAdd = reader.ReadUInt32(),
            TicketNonce = reader.ReadVector8().ToArray(),
            Ticket = reader.ReadVector16().ToArray(),
        };
        if (ticket.Ticket.Length == 0)
        {
            throw new TlsException(AlertDescription.DecodeError, "empty session ticket");
        }

        ticket.Extensions = ExtensionBlock.Read(ref reader);
        reader.EnsureEmpty("NewSessionTicket");
        return ticket;
    }

    public byte[] ToMessageBytes()
    {
        var w = new TlsWriter(Ticket.Length + 32);
        w.WriteUInt32(TicketLifetime);
        w.WriteUInt32(TicketAgeAdd);
        w.WriteVector8(TicketNonce);
        w.WriteVector16(Ticket);
        ExtensionBlock.Write(w, Extensions);
        return HandshakeFraming.Frame(HandshakeType.NewSessionTicket, w);
    }
}
