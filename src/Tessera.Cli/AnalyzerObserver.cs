using Tessera.Messages;

namespace Tessera.Cli;

/// <summary>Prints a connection the way a protocol analyzer does: each record, each handshake message with its fields, key changes and alerts.</summary>
internal sealed class AnalyzerObserver(TextWriter output, bool showRecords, string local = "client", string peer = "server") : ITlsObserver
{
    private readonly Lock _gate = new();

    private string Arrow(TrafficDirection direction) => direction == TrafficDirection.Sent ? $"{local} → {peer}" : $"{peer} → {local}";

    public void OnRecord(TrafficDirection direction, in TlsRecordInfo record)
    {
        if (!showRecords)
        {
            return;
        }

        string what = !record.IsProtected ? Name(record.OuterType)
            : record.OuterType != record.InnerType ? $"{Name(record.OuterType)} (protected: {Name(record.InnerType)}, {record.ContentLength} bytes inside)"
            : $"{Name(record.OuterType)} (protected, {record.ContentLength} bytes inside)";
        Write($"[{Arrow(direction)}] record: {what}, legacy_record_version 0x{record.LegacyVersion:X4}, length {record.Length}");
    }

    private static string Name(ContentType type) => type switch
    {
        ContentType.ChangeCipherSpec => "change_cipher_spec",
        ContentType.Alert => "alert",
        ContentType.Handshake => "handshake",
        ContentType.ApplicationData => "application_data",
        _ => $"type {(byte)type}",
    };

    public void OnHandshakeMessage(TrafficDirection direction, HandshakeType type, ReadOnlySpan<byte> message)
    {
        var lines = HandshakeMessageDescriber.Describe(type, message[4..]);
        lock (_gate)
        {
            output.WriteLine($"[{Arrow(direction)}] {Name(type, message)} ({message.Length - 4} bytes)");
            foreach (var line in lines)
            {
                output.WriteLine("    " + line);
            }
        }
    }

    public void OnEchInnerClientHello(TrafficDirection direction, ReadOnlySpan<byte> message) =>
        InnerClientHello(direction == TrafficDirection.Sent
            ? $"{local}, encrypted into the next ClientHello's encrypted_client_hello"
            : $"{local}, decrypted from the ClientHello above", message);

    /// <summary>Prints an inner ClientHello under <paramref name="origin"/> (who sealed or opened it).</summary>
    public void InnerClientHello(string origin, ReadOnlySpan<byte> message)
    {
        var lines = HandshakeMessageDescriber.Describe(HandshakeType.ClientHello, message[4..]);
        lock (_gate)
        {
            output.WriteLine($"[{origin}] ClientHelloInner ({message.Length - 4} bytes)");
            foreach (var line in lines)
            {
                output.WriteLine("    " + line);
            }
        }
    }

    public void OnSecretDerived(string label) => Write($"        secret derived: \"{label}\"");

    public void OnKeyChange(TrafficDirection direction, string description) =>
        Write($"        {(direction == TrafficDirection.Sent ? "write" : "read")} keys now: {description}");

    public void OnAlert(TrafficDirection direction, AlertDescription alert) =>
        Write($"[{Arrow(direction)}] alert: {alert.ToRfcName()} ({(byte)alert})");

    private static string Name(HandshakeType type, ReadOnlySpan<byte> message) =>
        type == HandshakeType.ServerHello && message.Length >= 4 + 2 + 32 && message.Slice(6, 32).SequenceEqual(ServerHello.HelloRetryRequestRandom)
            ? "HelloRetryRequest"
            : type.ToString();

    private void Write(string line)
    {
        lock (_gate)
        {
            output.WriteLine(line);
        }
    }
}
