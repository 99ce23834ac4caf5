using System.Reflection;
using System.Security.Cryptography;
using Tessera.Crypto;
using Tessera.KeySchedule;
using Tessera.Messages;
using Tessera.Tests.Engine;

namespace Tessera.Tests.Security;

/// <summary>
/// Key material is wiped when it is retired (the buffers themselves are inspected, not copies), and no secret shows up
/// in an exception message, a ToString() or a trace.
/// </summary>
public sealed class SecretHygieneTests
{
    private static byte[] Field(object owner, string name) =>
        (byte[])(owner.GetType().GetField(name, BindingFlags.NonPublic | BindingFlags.Instance)?.GetValue(owner)
            ?? throw new InvalidOperationException($"{owner.GetType().Name}.{name} is not set"));

    private static bool IsZero(byte[] buffer) => buffer.AsSpan().IndexOfAnyExcept((byte)0) < 0;

    [Fact]
    public void Tls13TrafficSecretsAreWipedOnKeyUpdateAndEverySecretOnDispose()
    {
        var loop = new Loopback(TestCerts.ClientOptions(), TestCerts.ServerOptions());
        loop.Handshake();
        var clientWrite = Field(loop.Client, "_writeApplicationSecret");
        var serverRead = Field(loop.Server, "_readApplicationSecret");
        Assert.False(IsZero(clientWrite));
        Assert.Equal(clientWrite, serverRead);

        loop.Client.RequestKeyUpdate(requestPeerUpdate: false);
        loop.Pump();
        Assert.True(IsZero(clientWrite), "the client's retired write secret");
        Assert.True(IsZero(serverRead), "the server's retired read secret");
        Assert.False(IsZero(Field(loop.Client, "_writeApplicationSecret")));

        var held = new[] { "_readApplicationSecret", "_writeApplicationSecret", "_exporterSecret", "_resumptionSecret" }
            .SelectMany(name => new[] { Field(loop.Client, name), Field(loop.Server, name) }).ToList();
        Assert.All(held, secret => Assert.False(IsZero(secret)));
        loop.Dispose();
        Assert.All(held, secret => Assert.True(IsZero(secret)));
    }

    [Fact]
    public void TheTls12MasterSecretIsWipedOnDispose()
    {
        var loop = new Loopback(TestCerts.ClientOptions(o => o.MaxProtocolVersion = TlsProtocolVersion.Tls12), TestCerts.ServerOptions());
        loop.Handshake();
        var secrets = new[] { Field(loop.Client, "_tls12MasterSecret"), Field(loop.Server, "_tls12MasterSecret") };
        Assert.All(secrets, s => Assert.False(IsZero(s)));
        loop.Dispose();
        Assert.All(secrets, s => Assert.True(IsZero(s)));
    }

    [Fact]
    public void KeyExchangePrivateKeysAndTheKeyScheduleAreWiped()
    {
        var x25519 = X25519KeyExchange.Instance;
        var client = x25519.GenerateClientShare();
        var privateKey = Field(client, "_privateKey");
        var server = x25519.Encapsulate(client.PublicShare.Span);
        Assert.Equal(server.SharedSecret, client.Decapsulate(server.ServerShare));
        Assert.False(IsZero(privateKey));
        client.Dispose();
        Assert.True(IsZero(privateKey));

        var schedule = new Tls13KeySchedule(DefaultCryptoProvider.Instance, CipherSuites.Get(CipherSuite.TLS_AES_128_GCM_SHA256));
        schedule.AdvanceToHandshakeSecret(server.SharedSecret);
        var current = Field(schedule, "_currentSecret");
        Assert.False(IsZero(current));
        schedule.AdvanceToMasterSecret();
        Assert.True(IsZero(current), "the handshake secret, once the master secret is derived");
        current = Field(schedule, "_currentSecret");
        schedule.Dispose();
        Assert.True(IsZero(current), "the master secret, on dispose");
    }

    [Fact]
    public void NoSecretAppearsInExceptionsToStringsOrTraces()
    {
        var keyLog = new KeyLogCollector();
        var trace = new StringWriter();
        using var loop = new Loopback(
            TestCerts.ClientOptions(o => { o.KeyLog = keyLog; o.Observer = new TextTrace(trace); }),
            TestCerts.ServerOptions(configure: o => o.KeyLog = keyLog));
        loop.Handshake();
        loop.Client.RequestKeyUpdate(requestPeerUpdate: true);
        loop.Pump();

        // A failure with keys in place: a record the server cannot open.
        loop.Client.WriteApplicationData("data"u8);
        var wire = new byte[loop.Client.PendingOutputLength];
        loop.Client.ReadOutput(wire);
        wire[^1] ^= 1;
        var error = Assert.Throws<TlsException>(() => loop.Server.ReceiveBytes(wire));

        var secrets = keyLog.Secrets;
        Assert.True(secrets.Count >= 8, $"{secrets.Count} secrets logged");
        var texts = new[]
        {
            error.ToString(), loop.Client.ToString()!, loop.Server.ToString()!, loop.Client.Session?.ToString() ?? "", trace.ToString(),
            TestCerts.Server().ToString()!,
        };
        foreach (var secret in secrets)
        {
            string hex = Convert.ToHexString(secret), lower = Convert.ToHexStringLower(secret), base64 = Convert.ToBase64String(secret);
            foreach (var text in texts)
            {
                Assert.DoesNotContain(hex, text, StringComparison.Ordinal);
                Assert.DoesNotContain(lower, text, StringComparison.Ordinal);
                Assert.DoesNotContain(base64, text, StringComparison.Ordinal);
            }
        }
    }

    private sealed class KeyLogCollector : IKeyLogWriter
    {
        private readonly List<byte[]> _secrets = [];

        public IReadOnlyList<byte[]> Secrets
        {
            get
            {
                lock (_secrets)
                {
                    return [.. _secrets];
                }
            }
        }

        public void WriteLine(string line)
        {
            // LABEL client_random_hex secret_hex
            var secret = Convert.FromHexString(line.Split(' ')[2]);
            lock (_secrets)
            {
                _secrets.Add(secret);
            }
        }
    }

    private sealed class TextTrace(TextWriter output) : ITlsObserver
    {
        public void OnRecord(TrafficDirection direction, in TlsRecordInfo record) => output.WriteLine($"{direction} {record}");

        public void OnHandshakeMessage(TrafficDirection direction, HandshakeType type, ReadOnlySpan<byte> message) =>
            output.WriteLine($"{direction} {type} {Convert.ToHexString(message)}");

        public void OnSecretDerived(string label) => output.WriteLine($"secret {label}");

        public void OnKeyChange(TrafficDirection direction, string description) => output.WriteLine($"{direction} keys {description}");

        public void OnAlert(TrafficDirection direction, AlertDescription alert) => output.WriteLine($"{direction} alert {alert}");
    }
}
