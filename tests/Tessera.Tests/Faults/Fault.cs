namespace Tessera.Tests.Faults;

/// <summary>What a faulty transport does to the bytes going one way.</summary>
public enum FaultKind
{
    /// <summary>Bytes [offset, offset + length) never arrive.</summary>
    Drop,

    /// <summary>The connection closes after offset bytes (in the middle of a record, mostly).</summary>
    CloseAt,

    /// <summary>Bytes [offset, offset + length) arrive twice.</summary>
    Duplicate,

    /// <summary>Bytes [offset, offset + length) arrive after the next length bytes.</summary>
    Reorder,

    /// <summary>One bit of the byte at offset is flipped.</summary>
    FlipBit,

    /// <summary>Bytes from offset on are held back a while, then delivered intact: must change nothing.</summary>
    Delay,
}

/// <summary>One fault, on one direction of a connection, at a byte offset of that direction's traffic.</summary>
public sealed record Fault(FaultKind Kind, bool ClientToServer, int Offset, int Length = 7)
{
    /// <inheritdoc />
    public override string ToString() => $"{Kind} {(ClientToServer ? "client→server" : "server→client")} at {Offset}" + (Kind is FaultKind.FlipBit or FaultKind.CloseAt or FaultKind.Delay ? "" : $" ({Length} bytes)");
}
