using Tessera.Ech;
using Tessera.Messages;
using Tessera.Tests.Engine;

namespace Tessera.Tests.Ech;

/// <summary>
/// A client offering Encrypted Client Hello against a tampered server flight (RFC 9849 §6.1.4, §6.1.5): a bad
/// HelloRetryRequest extension is decode_error, a ServerHello that withdraws an acceptance the HelloRetryRequest
/// confirmed is illegal_parameter, and a forged confirmation never yields a connection.
/// </summary>
public sealed class EchClientNegativeTests
{
    /// <summary>Runs client and server, letting <paramref name="tamper"/> rewrite the server's plaintext ServerHello/HRR messages.</summary>
    private static TlsException Tampered(bool helloRetryRequest, Func<ServerHello, ServerHello?> tamper, Action<byte[]>? tamperBytes = null)
    {
        using var key = EchServerKey.Generate(EchHandshakeTests.PublicName);
        using var client = TlsConnection.CreateClient(EchHandshakeTests.Client(key.ConfigList, o => o.Groups = [NamedGroup.X25519, NamedGroup.Secp256r1]));
        using var server = TlsConnection.CreateServer(EchHandshakeTests.Server([key], o => o.Groups = [helloRetryRequest ? NamedGroup.Secp256r1 : NamedGroup.X25519]));
        client.Start();
        for (int round = 0; round < 8; round++)
        {
            if (client.PendingOutputLength > 0)
            {
                server.ReceiveBytes(Wire.TakeOutput(client));
            }

            var records = Wire.Split(Wire.TakeOutput(server));
            for (int i = 0; i < records.Count; i++)
            {
                if (records[i].Type == ContentType.Handshake && records[i].Payload[0] == (byte)HandshakeType.ServerHello)
                {
                    var hello = ServerHello.Parse(records[i].Payload.AsSpan(4));
                    var bytes = (tamper(hello) ?? hello).ToMessageBytes();
                    if (!hello.IsHelloRetryRequest)
                    {
                        tamperBytes?.Invoke(bytes);
                    }

                    records[i] = new Wire.Record(ContentType.Handshake, Wire.PlaintextRecord(ContentType.Handshake, bytes));
                }
            }

            try
            {
                client.ReceiveBytes(Wire.Concat(records));
            }
            catch (TlsException ex)
            {
                return ex;
            }
        }

        throw new InvalidOperationException("the client did not fail");
    }

    [Fact]
    public void ASecondHelloRetryRequestIsUnexpectedMessage()
    {
        using var key = EchServerKey.Generate(EchHandshakeTests.PublicName);
        using var client = TlsConnection.CreateClient(EchHandshakeTests.Client(key.ConfigList, o => o.Groups = [NamedGroup.X25519, NamedGroup.Secp256r1]));
        using var server = TlsConnection.CreateServer(EchHandshakeTests.Server([key], o => o.Groups = [NamedGroup.Secp256r1]));
        client.Start();
        server.ReceiveBytes(Wire.TakeOutput(client));
        var hrr = Wire.Split(Wire.TakeOutput(server)).First(r => r.Type == ContentType.Handshake);
        client.ReceiveBytes(hrr.Bytes);
        Assert.Equal(TlsEchStatus.Accepted, client.EchStatus);
        _ = Wire.TakeOutput(client);
        // The same HelloRetryRequest again, without its ECH extension (which would otherwise read as a rejection).
        var again = ServerHello.Parse(hrr.Payload.AsSpan(4));
        again = again.WithExtensions([.. again.Extensions.Where(e => e.Type != (ushort)ExtensionType.EncryptedClientHello)]);
        var error = Assert.Throws<TlsException>(() => client.ReceiveBytes(Wire.PlaintextRecord(ContentType.Handshake, again.ToMessageBytes())));
        Assert.Equal(AlertDescription.UnexpectedMessage, error.Alert);
        Assert.Equal(TlsConnectionState.Failed, client.State);
    }

    [Fact]
    public void AHelloRetryRequestConfirmationOfTheWrongLengthIsDecodeError()
    {
        var error = Tampered(helloRetryRequest: true, hrr => hrr.IsHelloRetryRequest
            ? hrr.WithExtensions([.. hrr.Extensions.Select(e => e.Type == (ushort)ExtensionType.EncryptedClientHello ? new TlsExtension(e.Type, new byte[7]) : e)])
            : null);
        Assert.Equal(AlertDescription.DecodeError, error.Alert);
    }

    [Fact]
    public void AServerHelloWithdrawingTheHelloRetryRequestsAcceptanceIsIllegalParameter()
    {
        var error = Tampered(helloRetryRequest: true, _ => null, bytes => bytes[EchAcceptance.ServerHelloOffset] ^= 1);
        Assert.Equal(AlertDescription.IllegalParameter, error.Alert);
        Assert.Contains("does not confirm", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AForgedConfirmationNeverYieldsAConnection()
    {
        // The client takes the outer transcript; the server used the inner one: the server's flight cannot be read.
        var error = Tampered(helloRetryRequest: false, _ => null, bytes => bytes[EchAcceptance.ServerHelloOffset + 7] ^= 0x80);
        Assert.Equal(AlertDescription.BadRecordMac, error.Alert);
    }

    [Fact]
    public void AWithoutTheHelloRetryRequestConfirmationTheClientGoesOnWithTheOuterHello()
    {
        // An HRR without the extension means rejection (§6.1.4): the client's transcript is now the outer one while the
        // server (which accepted, and still opens the second hello) keeps the inner one: the server's flight cannot be read.
        var error = Tampered(helloRetryRequest: true, hrr => hrr.IsHelloRetryRequest
            ? hrr.WithExtensions([.. hrr.Extensions.Where(e => e.Type != (ushort)ExtensionType.EncryptedClientHello)])
            : null);
        Assert.Equal(AlertDescription.BadRecordMac, error.Alert);
    }
}
