using System.Text;
using Tessera.Fuzz.Targets;
using Tessera.Messages;
using Tessera.Pki;
using Tessera.Pki.X509;

namespace Tessera.Fuzz;

/// <summary>
/// Seed inputs for every target, taken from real handshakes of every <see cref="EngineScenario"/> (the records and
/// handshake messages each side sent, in the clear as the engine saw them), from a development CA's certificates, CRL
/// and OCSP response, from the system's trusted roots, and from whatever captures of other stacks
/// (<c>fuzz/captures/*.bin</c>, e.g. openssl's and gnutls's ClientHellos) are in the repository.
/// </summary>
public static class Seeds
{
    /// <summary>Writes the seeds into <paramref name="folder"/>/TARGET/; returns 0.</summary>
    public static int Write(string folder, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var added = new Dictionary<string, int>();
        void Add(string target, byte[] input)
        {
            if (Corpus.Add(Path.Combine(folder, target), input))
            {
                added[target] = added.GetValueOrDefault(target) + 1;
            }
        }

        for (int s = 0; s < EngineScenario.All.Count; s++)
        {
            AddConversation(s, EngineScenario.All[s], Add);
        }

        AddPki(Add);
        foreach (var seed in EchTarget.Seeds())
        {
            Add("ech", seed);
        }

        AddForeign(Add, output);
        foreach (var target in FuzzTargets.All)
        {
            output.WriteLine($"{target.Name,-15} {added.GetValueOrDefault(target.Name)} new seeds");
        }

        return 0;
    }

    private static void AddConversation(int index, EngineScenario scenario, Action<string, byte[]> add)
    {
        var clientLog = new Recorder();
        var serverLog = new Recorder();
        var clientOptions = scenario.Client();
        var serverOptions = scenario.Server();
        clientOptions.Observer = clientLog;
        serverOptions.Observer = serverLog;
        using var client = TlsConnection.CreateClient(clientOptions);
        using var server = TlsConnection.CreateServer(serverOptions);
        var clientFlights = new List<byte[]>();
        var serverFlights = new List<byte[]>();
        client.Start();
        for (int round = 0; round < 8; round++)
        {
            Capture(client, server, clientFlights);
            Capture(server, client, serverFlights);
        }

        if (client.IsHandshakeComplete)
        {
            client.WriteApplicationData("GET / HTTP/1.1\r\nHost: fuzz.test\r\n\r\n"u8);
            Capture(client, server, clientFlights);
            server.WriteApplicationData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"u8);
            Capture(server, client, serverFlights);
            if (client.NegotiatedProtocol == TlsProtocolVersion.Tls13)
            {
                client.RequestKeyUpdate(requestPeerUpdate: true);
                Capture(client, server, clientFlights);
                Capture(server, client, serverFlights);
            }

            client.Close();
            Capture(client, server, clientFlights);
            Capture(server, client, serverFlights);
            add("session", client.Session?.Export() ?? []);
        }

        // The record layer: each flight as it went on the wire, and the plaintext records.
        foreach (var flight in clientFlights.Concat(serverFlights))
        {
            var input = new List<byte> { 0 };
            FuzzInput.WriteChunk(input, 0, flight);
            add("record", [.. input]);
        }

        foreach (var (protection, message) in new[] { 1, 3, 5, 6 }.SelectMany(p => clientLog.Messages.Take(3).Select(m => (p, m.Message))))
        {
            var input = new List<byte> { (byte)protection };
            FuzzInput.WriteChunk(input, 1 | (byte)ContentType.Handshake << 1, message);
            FuzzInput.WriteChunk(input, 1 | (byte)ContentType.ApplicationData << 1 | 0x20, "data"u8);
            add("record", [.. input]);
        }

        // Each handshake message and each extension, in the form its parser takes.
        bool tls12 = client.NegotiatedProtocol == TlsProtocolVersion.Tls12;
        foreach (var (direction, type, message) in clientLog.Messages.Concat(serverLog.Messages))
        {
            var body = message.AsSpan(4);
            add("handshake", [HandshakeMessageTarget.SelectorFor(type, tls12 && type != HandshakeType.ClientHello && type != HandshakeType.ServerHello), .. body]);
            foreach (var (extensionType, data, block) in Extensions(type, body))
            {
                bool serverForm = type != HandshakeType.ClientHello;
                add("extension", [ExtensionTarget.SelectorFor((ExtensionType)extensionType, serverForm), .. data]);
                add("extension", [ExtensionTarget.Block, .. block]);
            }
        }

        // The engines: the honest prefix alone at every depth, then the next flight raw, and each message the peer
        // sent, sealed.
        for (int steps = 0; steps < 6; steps++)
        {
            add("engine-server", [(byte)index, (byte)steps]);
            add("engine-client", [(byte)index, (byte)steps]);
        }

        AddEngineSeeds("engine-server", index, clientFlights, clientLog.Messages.Where(m => m.Direction == TrafficDirection.Sent), add);
        AddEngineSeeds("engine-client", index, serverFlights, serverLog.Messages.Where(m => m.Direction == TrafficDirection.Sent), add);
    }

    /// <summary>Other stacks' first flights (openssl's and gnutls's, where installed): their ClientHellos for the server side, their answers to ours for the client side.</summary>
    private static void AddForeign(Action<string, byte[]> add, TextWriter output)
    {
        foreach (var (source, record) in ForeignCaptures.ClientHellos())
        {
            output.WriteLine($"captured a ClientHello of {record.Length} bytes from {source}");
            AddRecordSeeds(record, add);
            foreach (int scenario in new[] { 0, 1, 2, 3, 9 })
            {
                var input = new List<byte> { (byte)scenario, 0 };
                FuzzInput.WriteChunk(input, (byte)EngineTarget.Op.Raw, record);
                add("engine-server", [.. input]);
            }
        }

        var ours = new List<(int Scenario, byte[] Hello)>();
        foreach (int scenario in new[] { 0, 1 })
        {
            using var client = TlsConnection.CreateClient(EngineScenario.All[scenario].Client());
            client.Start();
            ours.Add((scenario, client.PeekOutput().ToArray()));
        }

        foreach (var (scenario, hello) in ours)
        {
            foreach (var (source, flight) in ForeignCaptures.ServerFlights([hello]))
            {
                output.WriteLine($"captured {flight.Length} bytes from {source}");
                AddRecordSeeds(flight, add);
                var input = new List<byte> { (byte)scenario, 0 };
                FuzzInput.WriteChunk(input, (byte)EngineTarget.Op.Raw, flight);
                add("engine-client", [.. input]);
            }
        }
    }

    /// <summary>Records as they came: for the record layer, and their plaintext handshake messages for the parsers.</summary>
    private static void AddRecordSeeds(byte[] records, Action<string, byte[]> add)
    {
        var input = new List<byte> { 0 };
        FuzzInput.WriteChunk(input, 0, records);
        add("record", [.. input]);
        for (int at = 0; at + 5 <= records.Length;)
        {
            int length = (records[at + 3] << 8) | records[at + 4];
            if (at + 5 + length > records.Length)
            {
                break;
            }

            var fragment = records.AsSpan(at + 5, length);
            if (records[at] == (byte)ContentType.Handshake && fragment.Length >= 4)
            {
                var type = (HandshakeType)fragment[0];
                int messageLength = (fragment[1] << 16) | (fragment[2] << 8) | fragment[3];
                var body = fragment[4..Math.Min(fragment.Length, 4 + messageLength)];
                add("handshake", [HandshakeMessageTarget.SelectorFor(type, tls12: false), .. body]);
                foreach (var (extensionType, data, block) in Extensions(type, body))
                {
                    add("extension", [ExtensionTarget.SelectorFor((ExtensionType)extensionType, type != HandshakeType.ClientHello), .. data]);
                    add("extension", [ExtensionTarget.Block, .. block]);
                }
            }

            at += 5 + length;
        }
    }

    private static void AddEngineSeeds(string target, int scenario, List<byte[]> peerFlights, IEnumerable<(TrafficDirection Direction, HandshakeType Type, byte[] Message)> peerMessages,
        Action<string, byte[]> add)
    {
        for (int i = 0; i < peerFlights.Count; i++)
        {
            // i honest exchanges, then the peer's flight i again (a replay), raw.
            var input = new List<byte> { (byte)scenario, (byte)i };
            FuzzInput.WriteChunk(input, (byte)EngineTarget.Op.Raw, peerFlights[i]);
            add(target, [.. input]);
        }

        var messages = peerMessages.ToList();
        for (int i = 0; i < messages.Count; i++)
        {
            // Honest up to the message's flight, then the message again, sealed: a duplicate where the state machine
            // expects something else, and then a user's data and close.
            for (int steps = 1; steps < 4; steps++)
            {
                var input = new List<byte> { (byte)scenario, (byte)steps };
                FuzzInput.WriteChunk(input, (byte)EngineTarget.Op.SealedHandshake, messages[i].Message);
                FuzzInput.WriteChunk(input, (byte)EngineTarget.Op.Honest, []);
                FuzzInput.WriteChunk(input, (byte)EngineTarget.Op.UserAction, "hello"u8);
                add(target, [.. input]);
            }
        }

        foreach (byte[] alert in new byte[][] { [1, 0], [2, 40], [1, 90], [2, 20] })
        {
            var input = new List<byte> { (byte)scenario, 4 };
            FuzzInput.WriteChunk(input, (byte)EngineTarget.Op.SealedApplicationData, "data"u8);
            FuzzInput.WriteChunk(input, (byte)EngineTarget.Op.SealedAlert, alert);
            add(target, [.. input]);
        }
    }

    private static List<(ushort Type, byte[] Data, byte[] Block)> Extensions(HandshakeType type, ReadOnlySpan<byte> body)
    {
        List<TlsExtension> extensions;
        try
        {
            extensions = type switch
            {
                HandshakeType.ClientHello => ClientHello.Parse(body).Extensions,
                HandshakeType.ServerHello => ServerHello.Parse(body).Extensions,
                HandshakeType.EncryptedExtensions => EncryptedExtensions.Parse(body).Extensions,
                _ => [],
            };
        }
        catch (TlsException)
        {
            return [];
        }

        var writer = new TlsWriter();
        ExtensionBlock.Write(writer, extensions);
        var block = writer.ToArray();
        return [.. extensions.Select(e => (e.Type, e.Data, block))];
    }

    private static void Capture(TlsConnection from, TlsConnection to, List<byte[]> flights)
    {
        if (from.PendingOutputLength > 0)
        {
            flights.Add(from.PeekOutput().ToArray());
            EnginePump.Deliver(from, to);
        }
    }

    private static void AddPki(Action<string, byte[]> add)
    {
        var folder = Directory.CreateTempSubdirectory("tessera-fuzz-ca-");
        try
        {
            foreach (var keyType in new[] { CertificateKeyType.EcdsaP256, CertificateKeyType.Rsa2048, CertificateKeyType.Ed25519 })
            {
                var ca = FileCertificateAuthority.Init(Path.Combine(folder.FullName, keyType.ToString()), keyType, "Fuzz Root " + keyType, TimeSpan.FromDays(30));
                var leaf = ca.Issue(IssuedCertificateKind.Server, "fuzz.test", ["fuzz.test", "*.fuzz.test", "127.0.0.1"], keyType, TimeSpan.FromDays(7),
                    mustStaple: true, ocspUrl: "http://127.0.0.1/ocsp", crlUrl: "http://127.0.0.1/crl");
                var intermediate = ca.Issue(IssuedCertificateKind.Intermediate, "Fuzz Intermediate", [], keyType, TimeSpan.FromDays(7));
                var leafDer = PemFiles.ParseCertificates(Encoding.ASCII.GetBytes(leaf.CertificateChainPem), "leaf")[0];
                var rootDer = PemFiles.ParseCertificates(Encoding.ASCII.GetBytes(ca.CertificatePem), "root")[0];
                add("x509", leafDer);
                add("x509", rootDer);
                add("x509", PemFiles.ParseCertificates(Encoding.ASCII.GetBytes(intermediate.CertificateChainPem), "intermediate")[0]);
                add("pem", Encoding.ASCII.GetBytes(leaf.CertificateChainPem));
                add("pem", Encoding.ASCII.GetBytes(leaf.PrivateKeyPem));
                add("pem", leafDer);
                var request = OcspCertificateId.For(Certificate.Parse(leafDer), Certificate.Parse(rootDer)).ToRequest();
                add("ocsp", ca.CreateOcspResponse(request, TimeSpan.FromDays(1)));
                add("ocsp", request);
                add("crl", ca.CreateCrl(TimeSpan.FromDays(1)));
                ca.Revoke(leafDer, System.Security.Cryptography.X509Certificates.X509RevocationReason.KeyCompromise);
                add("ocsp", ca.CreateOcspResponse(request, TimeSpan.FromDays(1)));
                add("crl", ca.CreateCrl(TimeSpan.FromDays(1)));
                var intermediateDer = PemFiles.ParseCertificates(Encoding.ASCII.GetBytes(intermediate.CertificateChainPem), "intermediate")[0];
                ca.Revoke(intermediateDer, System.Security.Cryptography.X509Certificates.X509RevocationReason.CACompromise);
                add("crl", ca.CreateCrl(TimeSpan.FromDays(2)));
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }

        // Real-world roots: a few dozen of the system's, for the variety of encodings found in the wild.
        const string SystemBundle = "/etc/ssl/certs/ca-certificates.crt";
        if (File.Exists(SystemBundle))
        {
            foreach (var der in PemFiles.ParseCertificates(File.ReadAllBytes(SystemBundle), SystemBundle).Where((_, i) => i % 5 == 0).Take(30))
            {
                add("x509", der);
            }
        }
    }

    private sealed class Recorder : ITlsObserver
    {
        public List<(TrafficDirection Direction, HandshakeType Type, byte[] Message)> Messages { get; } = [];

        public void OnRecord(TrafficDirection direction, in TlsRecordInfo record)
        {
        }

        public void OnHandshakeMessage(TrafficDirection direction, HandshakeType type, ReadOnlySpan<byte> message) => Messages.Add((direction, type, message.ToArray()));

        public void OnSecretDerived(string label)
        {
        }

        public void OnKeyChange(TrafficDirection direction, string description)
        {
        }

        public void OnAlert(TrafficDirection direction, AlertDescription alert)
        {
        }
    }
}
