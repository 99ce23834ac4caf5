using Tessera.Messages;

namespace Tessera.Fuzz.Targets;

/// <summary>
/// A whole <see cref="TlsConnection"/> in one role, driven deep into its state machines: an honest peer of the other
/// role runs a real handshake of the chosen <see cref="EngineScenario"/> for some steps, then each chunk of the input
/// is either raw bytes for the connection under test, or content the peer seals under its current keys as a record of
/// a chosen type (so encrypted handshake messages, alerts and application data reach the parsers behind the AEAD),
/// or one more honest exchange, or an action of the connection's own user (data, KeyUpdate, close).
/// <para>
/// Input: [scenario][honest steps] then chunks of [op][length][data]; op &amp; 7 = 0 raw bytes, 1 a sealed handshake
/// record, 2 a sealed alert, 3 sealed application data, 4 a ChangeCipherSpec record, 5 an honest exchange, 6 a user
/// action, 7 the data split across several raw deliveries.
/// </para>
/// Rules: the connection only ever throws <see cref="TlsException"/>, never internal_error for what a peer sent, is
/// failed once it has thrown, never waits on itself, and holds a bounded amount of memory.
/// </summary>
public sealed class EngineTarget : IFuzzTarget
{
    private const int MemoryBound = 512 * 1024;
    private readonly bool _server;

    /// <summary>A target for the server (<paramref name="server"/>) or the client.</summary>
    public EngineTarget(bool server) => _server = server;

    /// <inheritdoc />
    public string Name => _server ? "engine-server" : "engine-client";

    /// <inheritdoc />
    public string Description => $"the whole TLS 1.3/1.2 {(_server ? "server" : "client")} engine after an honest handshake prefix, fed raw and peer-sealed records";

    /// <summary>Op codes of the input's chunks.</summary>
    public enum Op : byte
    {
        /// <summary>Raw bytes for the connection under test.</summary>
        Raw = 0,

        /// <summary>The data as the body of a handshake record, sealed by the peer when it has keys.</summary>
        SealedHandshake = 1,

        /// <summary>The data as an alert record.</summary>
        SealedAlert = 2,

        /// <summary>The data as an application_data record.</summary>
        SealedApplicationData = 3,

        /// <summary>The data as a ChangeCipherSpec record.</summary>
        ChangeCipherSpec = 4,

        /// <summary>One honest exchange both ways.</summary>
        Honest = 5,

        /// <summary>The connection's own user acts: writes data, updates keys, closes, renegotiates.</summary>
        UserAction = 6,

        /// <summary>The data delivered raw in pieces of the first byte's size.</summary>
        RawInPieces = 7,
    }

    /// <inheritdoc />
    public void Run(ReadOnlySpan<byte> input)
    {
        var fuzz = new FuzzInput(input);
        var scenarios = EngineScenario.All;
        var scenario = scenarios[fuzz.NextByte() % scenarios.Count];
        int honestSteps = fuzz.NextByte() & 0x0F;
        using var client = TlsConnection.CreateClient(scenario.Client());
        using var server = TlsConnection.CreateServer(scenario.Server());
        var target = _server ? server : client;
        var peer = _server ? client : server;
        var run = new Conversation(target, peer);
        try
        {
            client.Start();
            for (int i = 0; i < honestSteps && run.HonestExchange(); i++)
            {
            }

            while (!run.TargetFailed && fuzz.TryNextChunk(out byte op, out var data))
            {
                run.Apply((Op)(op & 7), op, data);
                CheckMemory(target);   // at every step, not only at the end, when buffers may have been let go
            }
        }
        catch (TlsException ex) when (run.IsTargetsOwn(ex))
        {
            Expect.PeerInputAlert(ex);
            if (target.State != TlsConnectionState.Failed)
            {
                throw new FuzzFinding($"the connection threw {ex.Alert} but is {target.State}, not failed", ex);
            }
        }

        CheckMemory(target);
    }

    private static void CheckMemory(TlsConnection target)
    {
        if (target.BufferBytesHeld > MemoryBound)
        {
            throw new FuzzFinding($"the connection holds {target.BufferBytesHeld} bytes");
        }
    }

    private sealed class Conversation(TlsConnection target, TlsConnection peer)
    {
        private readonly byte[] _sink = new byte[16 * 1024];
        private bool _peerFailed;
        private TlsException? _targetError;

        public bool TargetFailed => _targetError is not null;

        public bool IsTargetsOwn(TlsException exception) => ReferenceEquals(exception, _targetError);

        /// <summary>Peer to target, then target to peer; false once nothing moves.</summary>
        public bool HonestExchange()
        {
            bool moved = ToTarget();
            moved |= ToPeer();
            return moved && !TargetFailed;
        }

        public void Apply(Op op, byte opByte, ReadOnlySpan<byte> data)
        {
            switch (op)
            {
                case Op.Raw:
                    Feed(data);
                    break;
                case Op.RawInPieces:
                    int piece = data.IsEmpty ? 1 : 1 + (data[0] & 0x1F);
                    for (int at = 0; at < data.Length && !TargetFailed; at += piece)
                    {
                        Feed(data[at..Math.Min(data.Length, at + piece)]);
                    }

                    break;
                case Op.SealedHandshake or Op.SealedAlert or Op.SealedApplicationData or Op.ChangeCipherSpec:
                    if (!_peerFailed)
                    {
                        var type = op switch
                        {
                            Op.SealedHandshake => ContentType.Handshake,
                            Op.SealedAlert => ContentType.Alert,
                            Op.SealedApplicationData => ContentType.ApplicationData,
                            _ => ContentType.ChangeCipherSpec,
                        };
                        ToTarget();   // what the peer had queued goes first, in order
                        peer.WriteRawRecord(type, data);
                        ToTarget();
                    }

                    break;
                case Op.Honest:
                    HonestExchange();
                    break;
                default:
                    UserAction(opByte >> 3, data);
                    break;
            }

            Drain();
        }

        private void UserAction(int action, ReadOnlySpan<byte> data)
        {
            if (!target.IsHandshakeComplete || target.IsWriteClosed)
            {
                return;
            }

            var payload = data.IsEmpty ? "ping"u8.ToArray() : data.ToArray();
            Guard(() =>
            {
                switch (action % 4)
                {
                    case 0:
                        target.WriteApplicationData(payload);
                        break;
                    case 1:
                        if (target.NegotiatedProtocol == TlsProtocolVersion.Tls13)
                        {
                            target.RequestKeyUpdate(requestPeerUpdate: (action & 4) != 0);
                        }

                        break;
                    case 2:
                        target.Close();
                        break;
                    default:
                        if (target.NegotiatedProtocol == TlsProtocolVersion.Tls12 && !target.IsRenegotiating)
                        {
                            try
                            {
                                target.Renegotiate();
                            }
                            catch (InvalidOperationException)
                            {
                                // Not allowed in this configuration: the API says so, which is right.
                            }
                        }

                        break;
                }
            });
            ToPeer();
        }

        private void Feed(ReadOnlySpan<byte> data)
        {
            if (TargetFailed)
            {
                return;
            }

            var copy = data.ToArray();
            Guard(() =>
            {
                target.ReceiveBytes(copy);
                EnginePump.FinishPending(target);
            });
        }

        private bool ToTarget()
        {
            if (TargetFailed || peer.PendingOutputLength == 0)
            {
                return false;
            }

            Guard(() => EnginePump.Deliver(peer, target));
            return true;
        }

        private bool ToPeer()
        {
            if (_peerFailed || target.PendingOutputLength == 0)
            {
                return false;
            }

            try
            {
                EnginePump.Deliver(target, peer);
            }
            catch (TlsException)
            {
                _peerFailed = true;   // the honest peer refused what the target sent after a fuzzed step: it stops taking part
            }

            return true;
        }

        private void Drain()
        {
            while (!TargetFailed && target.AvailableApplicationData > 0)
            {
                target.ReadApplicationData(_sink);
            }

            if (_peerFailed && target.PendingOutputLength > 0)
            {
                target.ConsumeOutput(target.PendingOutputLength);
            }
        }

        private void Guard(Action action)
        {
            try
            {
                action();
            }
            catch (TlsException ex)
            {
                _targetError = ex;
                throw;
            }
        }
    }
}
