using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Numerics;
using System.Security.Cryptography;
using Tessera.Messages;

namespace Tessera.Interop.Scan;

/// <summary>
/// A fake TLS server on 127.0.0.1 that answers hellos from a script, to show the scanner the broken servers no
/// maintained peer here still is: SSL 2.0 and 3.0, RC4 / 3DES / export suites, compression, no RFC 5746, no
/// TLS_FALLBACK_SCSV, and, when asked, Heartbleed, CCS injection and a Bleichenbacher padding oracle. It speaks
/// only as far as a ServerHelloDone (RSA key transport); nothing it says is ever a real session.
/// </summary>
internal sealed class ScriptedTlsServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly RSA _key = RSA.Create(2048);
    private readonly byte[] _certificate;

    public sealed record Script
    {
        public bool Ssl2 { get; init; }

        public ushort MinVersion { get; init; } = 0x0300;

        public ushort MaxVersion { get; init; } = 0x0301;

        /// <summary>In the server's order of preference.</summary>
        public ushort[] Suites { get; init; } = [0x0005, 0x000A, 0x0003, 0x002F];

        public bool Compression { get; init; }

        public bool Heartbeat { get; init; }

        public bool Heartbleed { get; init; }

        public bool AcceptEarlyChangeCipherSpec { get; init; }

        public bool PaddingOracle { get; init; }

        public bool RenegotiationInfo { get; init; }
    }

    public ScriptedTlsServer(Script script)
    {
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=localhost", _key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using (var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30)))
        {
            _certificate = certificate.RawData;
        }

        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _loop = Task.Run(() => AcceptLoopAsync(script));
    }

    public int Port { get; }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _loop.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
        _key.Dispose();
    }

    private async Task AcceptLoopAsync(Script script)
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                using (client)
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                    timeout.CancelAfter(TimeSpan.FromSeconds(15));
                    try
                    {
                        await ServeAsync(client.GetStream(), script, timeout.Token);
                    }
                    catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or EndOfStreamException or TlsException or ArgumentException)
                    {
                    }
                }
            });
        }
    }

    private static async Task<(byte Type, ushort Version, byte[] Body)> ReadRecordAsync(NetworkStream stream, CancellationToken ct)
    {
        var header = new byte[5];
        await stream.ReadExactlyAsync(header, ct);
        var body = new byte[BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(3))];
        await stream.ReadExactlyAsync(body, ct);
        return (header[0], BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(1)), body);
    }

    private static Task SendAsync(NetworkStream stream, byte type, ushort version, ReadOnlySpan<byte> body, CancellationToken ct)
    {
        var record = new byte[5 + body.Length];
        record[0] = type;
        BinaryPrimitives.WriteUInt16BigEndian(record.AsSpan(1), version);
        BinaryPrimitives.WriteUInt16BigEndian(record.AsSpan(3), (ushort)body.Length);
        body.CopyTo(record.AsSpan(5));
        return stream.WriteAsync(record, ct).AsTask();
    }

    private static Task AlertAsync(NetworkStream stream, ushort version, AlertDescription alert, CancellationToken ct) =>
        SendAsync(stream, 21, version, [2, (byte)alert], ct);

    private async Task ServeAsync(NetworkStream stream, Script script, CancellationToken ct)
    {
        var first = new byte[2];
        await stream.ReadExactlyAsync(first, ct);
        if ((first[0] & 0x80) != 0)
        {
            if (script.Ssl2)
            {
                await Ssl2ServerHelloAsync(stream, first, ct);
            }

            return;
        }

        var rest = new byte[3];
        await stream.ReadExactlyAsync(rest, ct);
        var helloBody = new byte[BinaryPrimitives.ReadUInt16BigEndian(rest.AsSpan(1))];
        await stream.ReadExactlyAsync(helloBody, ct);
        var hello = ClientHello.Parse(helloBody.AsSpan(4));
        ushort version = Math.Min(hello.LegacyVersion, script.MaxVersion);
        if (version < script.MinVersion)
        {
            await AlertAsync(stream, script.MinVersion, AlertDescription.ProtocolVersion, ct);
            return;
        }

        ushort? suite = script.Suites.Cast<ushort?>().FirstOrDefault(s => hello.CipherSuites.Contains(s!.Value));
        if (suite is null)
        {
            await AlertAsync(stream, version, AlertDescription.HandshakeFailure, ct);
            return;
        }

        var extensions = new List<TlsExtension>();
        if (script.Heartbeat && ExtensionBlock.Find(hello.Extensions, ExtensionType.Heartbeat) is not null)
        {
            extensions.Add(new TlsExtension((ushort)ExtensionType.Heartbeat, [1]));
        }

        if (script.RenegotiationInfo && (ExtensionBlock.Find(hello.Extensions, ExtensionType.RenegotiationInfo) is not null || hello.CipherSuites.Contains((ushort)0x00FF)))
        {
            extensions.Add(new TlsExtension((ushort)ExtensionType.RenegotiationInfo, [0]));
        }

        var serverHello = new ServerHello
        {
            LegacyVersion = version,
            Random = RandomNumberGenerator.GetBytes(32),
            LegacySessionIdEcho = RandomNumberGenerator.GetBytes(32),
            CipherSuite = suite.Value,
            LegacyCompressionMethod = script.Compression && hello.LegacyCompressionMethods.Contains((byte)1) ? (byte)1 : (byte)0,
            Extensions = extensions,
        };
        var flight = new List<byte>(serverHello.ToMessageBytes());
        flight.AddRange(new Certificate12 { Certificates = [_certificate] }.ToMessageBytes());
        flight.AddRange(HandshakeFraming.Frame(HandshakeType.ServerHelloDone, []));
        await SendAsync(stream, 22, version, flight.ToArray(), ct);

        bool keyExchangeSeen = false;
        bool earlyCcsTaken = false;
        while (true)
        {
            var (type, _, body) = await ReadRecordAsync(stream, ct);
            switch (type)
            {
                case 24 when script.Heartbleed:
                    // A "leak": the claimed length, from bytes that were never sent (random here).
                    await SendAsync(stream, 24, version, [2, 0x40, 0x00, .. RandomNumberGenerator.GetBytes(16384)], ct);
                    break;
                case 24:
                    break;
                case 20 when !keyExchangeSeen && script.AcceptEarlyChangeCipherSpec:
                    earlyCcsTaken = true;
                    break;
                case 20 when !keyExchangeSeen:
                    await AlertAsync(stream, version, AlertDescription.UnexpectedMessage, ct);
                    return;
                case 20:
                    break;
                case 22 when !keyExchangeSeen && !earlyCcsTaken && body.Length > 4 && body[0] == (byte)HandshakeType.ClientKeyExchange:
                    keyExchangeSeen = true;
                    if (script.PaddingOracle && !PaddingLooksRight(body.AsSpan(6)))
                    {
                        await AlertAsync(stream, version, AlertDescription.DecryptError, ct);
                        return;
                    }

                    break;
                default:
                    // The Finished that cannot be right, or anything after a CCS taken too early: bad_record_mac.
                    await AlertAsync(stream, version, AlertDescription.BadRecordMac, ct);
                    return;
            }
        }
    }

    /// <summary>The oracle: PKCS #1 v1.5 type 2 with a zero separator and a 48-byte premaster secret, decided with the private key.</summary>
    private bool PaddingLooksRight(ReadOnlySpan<byte> ciphertext)
    {
        var p = _key.ExportParameters(includePrivateParameters: true);
        var m = BigInteger.ModPow(new BigInteger(ciphertext, isUnsigned: true, isBigEndian: true), new BigInteger(p.D, isUnsigned: true, isBigEndian: true),
            new BigInteger(p.Modulus, isUnsigned: true, isBigEndian: true)).ToByteArray(isUnsigned: true, isBigEndian: true);
        var padded = new byte[p.Modulus!.Length];
        m.CopyTo(padded, padded.Length - m.Length);
        int separator = Array.IndexOf(padded, (byte)0, 2);
        return padded[0] == 0 && padded[1] == 2 && separator == padded.Length - 49;
    }

    private async Task Ssl2ServerHelloAsync(NetworkStream stream, byte[] first, CancellationToken ct)
    {
        var body = new byte[((first[0] & 0x7F) << 8) | first[1]];
        await stream.ReadExactlyAsync(body, ct);
        byte[] specs = [0x01, 0x00, 0x80, 0x07, 0x00, 0xC0];
        int length = 11 + _certificate.Length + specs.Length + 16;
        var hello = new byte[2 + length];
        hello[0] = (byte)(0x80 | (length >> 8));
        hello[1] = (byte)length;
        hello[2] = 4;
        hello[4] = 1;       // X.509
        hello[5] = 0;
        hello[6] = 2;       // SSL 2.0
        BinaryPrimitives.WriteUInt16BigEndian(hello.AsSpan(7), (ushort)_certificate.Length);
        BinaryPrimitives.WriteUInt16BigEndian(hello.AsSpan(9), (ushort)specs.Length);
        BinaryPrimitives.WriteUInt16BigEndian(hello.AsSpan(11), 16);
        _certificate.CopyTo(hello, 13);
        specs.CopyTo(hello, 13 + _certificate.Length);
        await stream.WriteAsync(hello, ct);
    }
}
