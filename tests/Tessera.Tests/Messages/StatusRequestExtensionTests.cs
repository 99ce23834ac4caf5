using Tessera.Messages;
using Tessera.Tests.Engine;

namespace Tessera.Tests.Messages;

/// <summary>status_request (RFC 6066 §8): parsed and checked by the server, not yet answered.</summary>
public sealed class StatusRequestExtensionTests
{
    [Fact]
    public void AnOcspRequestParsesWithItsResponderIdsAndExtensions()
    {
        byte[] data = [1, 0, 7, 0, 2, 0xAA, 0xBB, 0, 1, 0xCC, 0, 3, 1, 2, 3];
        var request = StatusRequestExtension.Parse(data);
        Assert.Equal(StatusRequestExtension.Ocsp, request.StatusType);
        Assert.Equal([[0xAA, 0xBB], [0xCC]], request.ResponderIds);
        Assert.Equal([1, 2, 3], request.RequestExtensions);
        Assert.Equal([1, 0, 0, 0, 0], StatusRequestExtension.EncodeOcsp());
    }

    [Theory]
    [InlineData(new byte[] { })]                        // no status_type
    [InlineData(new byte[] { 1, 0 })]                   // truncated list length
    [InlineData(new byte[] { 1, 0, 2, 0, 0, 0, 0 })]    // an empty ResponderID
    [InlineData(new byte[] { 1, 0, 0, 0, 0, 9 })]       // trailing byte
    public void MalformedRequestsAreDecodeErrors(byte[] data) =>
        Assert.Equal(AlertDescription.DecodeError, Assert.Throws<TlsException>(() => StatusRequestExtension.Parse(data)).Alert);

    [Fact]
    public void AnUnknownStatusTypeIsIgnored() => Assert.Equal(2, StatusRequestExtension.Parse([2, 0xFF, 0xFF]).StatusType);

    [Theory]
    [InlineData(TlsProtocolVersion.Tls13)]
    [InlineData(TlsProtocolVersion.Tls12)]
    public void AServerWithoutAStapleAcceptsAStatusRequestAndDoesNotEchoIt(TlsProtocolVersion version)
    {
        using var loop = new Loopback(TestCerts.ClientOptions(o => o.MaxProtocolVersion = version), TestCerts.ServerOptions());
        loop.Client.Start();
        var hello = ClientHello.Parse(Wire.Split(Wire.TakeOutput(loop.Client))[0].Payload.AsSpan(4));
        Assert.NotNull(ExtensionBlock.Find(hello.Extensions, ExtensionType.StatusRequest));   // clients ask for a staple by default
        loop.Server.ReceiveBytes(Wire.PlaintextRecord(ContentType.Handshake, hello.ToMessageBytes(), 0x0301));
        var serverHello = ServerHello.Parse(Wire.Split(Wire.TakeOutput(loop.Server))[0].Payload.AsSpan(4));
        Assert.Null(ExtensionBlock.Find(serverHello.Extensions, ExtensionType.StatusRequest));
    }

    [Fact]
    public void AMalformedStatusRequestInAClientHelloIsDecodeError()
    {
        using var loop = new Loopback(TestCerts.ClientOptions(), TestCerts.ServerOptions());
        loop.Client.Start();
        var hello = ClientHello.Parse(Wire.Split(Wire.TakeOutput(loop.Client))[0].Payload.AsSpan(4));
        hello.Extensions = [.. hello.Extensions.Where(e => e.Type != (ushort)ExtensionType.StatusRequest), new TlsExtension((ushort)ExtensionType.StatusRequest, [1, 0, 5])];
        var error = Assert.Throws<TlsException>(() => loop.Server.ReceiveBytes(Wire.PlaintextRecord(ContentType.Handshake, hello.ToMessageBytes(), 0x0301)));
        Assert.Equal(AlertDescription.DecodeError, error.Alert);
    }
}
