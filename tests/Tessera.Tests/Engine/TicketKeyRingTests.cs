using Tessera.Sessions;

namespace Tessera.Tests.Engine;

/// <summary>The ticket key ring: sealing, rotation on a schedule (next → current → previous → destroyed), static keys from a file.</summary>
public sealed class TicketKeyRingTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("tessera-ticketkeys-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public void ATicketOpensUntilItsKeyIsRetiredTwoIntervalsLater()
    {
        var clock = new ManualClock();
        using var ring = new TicketKeyRing(TimeSpan.FromHours(1), clock);
        var ticket = ring.Seal("state"u8);
        Assert.Equal("state"u8.ToArray(), ring.Open(ticket));
        clock.Advance(TimeSpan.FromMinutes(61));
        var newer = ring.Seal("newer"u8);
        Assert.NotEqual(ticket[..TicketKeyRing.NameLength], newer[..TicketKeyRing.NameLength]);   // rotated
        Assert.Equal("state"u8.ToArray(), ring.Open(ticket));                                    // previous key still opens
        clock.Advance(TimeSpan.FromMinutes(61));
        Assert.Null(ring.Open(ticket));                                                         // retired and destroyed
        Assert.Equal("newer"u8.ToArray(), ring.Open(newer));
        clock.Advance(TimeSpan.FromHours(5));
        Assert.Null(ring.Open(newer));                                                          // a ring that slept retires both
    }

    [Fact]
    public void AlteredOrForeignTicketsDoNotOpen()
    {
        using var ring = new TicketKeyRing();
        using var other = new TicketKeyRing();
        var ticket = ring.Seal("state"u8);
        Assert.Null(other.Open(ticket));
        for (int i = 0; i < ticket.Length; i++)
        {
            var altered = (byte[])ticket.Clone();
            altered[i] ^= 0x40;
            Assert.Null(ring.Open(altered));
        }

        Assert.Null(ring.Open(ticket[..20]));
        ring.Dispose();
        Assert.Null(ring.Open(ticket));
        Assert.Throws<ObjectDisposedException>(() => ring.Seal("x"u8));
    }

    [Fact]
    public void AStaticFleetSharesKeysFromAFile()
    {
        var path = Path.Combine(_directory.FullName, "ticket.keys");
        var first = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48));
        var second = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48));
        File.WriteAllLines(path, ["# ticket keys", first, "", second]);
        using var nodeA = TicketKeyRing.Load(path);
        using var nodeB = TicketKeyRing.Load(path);
        Assert.Equal("shared"u8.ToArray(), nodeB.Open(nodeA.Seal("shared"u8)));

        // The operator rotates by putting a new key first; tickets under the old one still open.
        var oldTicket = nodeA.Seal("old"u8);
        File.WriteAllLines(path, [second, first]);
        using var rotated = TicketKeyRing.Load(path);
        Assert.Equal("old"u8.ToArray(), rotated.Open(oldTicket));
        Assert.Equal(second[..32], Convert.ToHexString(rotated.Seal("new"u8)[..16]));
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("zz00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000")]
    public void ABadKeyFileIsAFormatErrorThatShowsNoKey(string content)
    {
        var path = Path.Combine(_directory.FullName, "bad.keys");
        File.WriteAllText(path, content);
        var error = Assert.Throws<FormatException>(() => TicketKeyRing.Load(path));
        Assert.DoesNotContain(content.Length > 8 ? content : "\u0000", error.Message, StringComparison.Ordinal);
    }

    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset _now = DateTimeOffset.UtcNow;

        public void Advance(TimeSpan by) => _now += by;

        public override DateTimeOffset GetUtcNow() => _now;
    }
}
