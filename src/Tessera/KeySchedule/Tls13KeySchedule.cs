using System.Security.Cryptography;
using Tessera.Crypto;

namespace Tessera.KeySchedule;

/// <summary>
/// The TLS 1.3 key schedule (RFC 8446 §7.1): Early Secret → Handshake Secret → Master Secret, and
/// the traffic, finished, exporter and resumption secrets derived from them. Each stage's secret is
/// zeroed as soon as the next stage replaces it.
/// </summary>
internal sealed class Tls13KeySchedule : IDisposable
{
    private readonly ICryptoProvider _crypto;
    private byte[] _currentSecret;
    private Stage _stage;

    private enum Stage { Early, Handshake, Master }

    /// <summary>Starts the schedule with the Early Secret = HKDF-Extract(0, PSK or 0).</summary>
    public Tls13KeySchedule(ICryptoProvider crypto, CipherSuiteInfo suite, ReadOnlySpan<byte> psk = default)
    {
        _crypto = crypto;
        Suite = suite;
        if (psk.IsEmpty)
        {
            // Without a PSK the Early Secret, and the "derived" secret that follows it, are constants of the hash.
            _currentSecret = (byte[])NoPskConstants(crypto, suite).EarlySecret.Clone();
            _noPsk = true;
        }
        else
        {
            Span<byte> zeros = stackalloc byte[suite.HashLength];
            zeros.Clear();
            _currentSecret = Extract(salt: zeros, ikm: psk);
        }

        _stage = Stage.Early;
    }

    private readonly bool _noPsk;

    /// <summary>Per hash: Hash(""), HKDF-Extract(0, 0) and Derive-Secret(that, "derived", "").</summary>
    private sealed record Constants(byte[] EmptyHash, byte[] EarlySecret, byte[] DerivedFromEarly);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<TlsHashAlgorithm, Constants> ConstantsByHash = new();

    private static Constants NoPskConstants(ICryptoProvider crypto, CipherSuiteInfo suite) => ConstantsByHash.GetOrAdd(suite.Hash, static (hash, state) =>
    {
        var (crypto, length) = state;
        var empty = new byte[length];
        crypto.Hash(hash, [], empty);
        var zeros = new byte[length];
        var early = new byte[length];
        crypto.HkdfExtract(hash, zeros, zeros, early);
        var derived = HkdfLabel.DeriveSecret(crypto, hash, early, "derived", empty);
        return new Constants(empty, early, derived);
    }, (crypto, suite.HashLength));

    /// <summary>The suite whose hash drives the schedule.</summary>
    public CipherSuiteInfo Suite { get; }

    /// <summary>Hash length in bytes.</summary>
    public int HashLength => Suite.HashLength;

    /// <summary>A copy of the current stage's secret (for vector tests).</summary>
    internal byte[] CurrentSecretForTesting => (byte[])_currentSecret.Clone();

    /// <summary>Handshake Secret = HKDF-Extract(Derive-Secret(Early Secret, "derived", ""), (EC)DHE).</summary>
    public void AdvanceToHandshakeSecret(ReadOnlySpan<byte> sharedSecret)
    {
        if (_stage != Stage.Early)
        {
            throw new InvalidOperationException("Key schedule is not at the early stage.");
        }

        AdvanceWith(sharedSecret);
        _stage = Stage.Handshake;
    }

    /// <summary>Master Secret = HKDF-Extract(Derive-Secret(Handshake Secret, "derived", ""), 0).</summary>
    public void AdvanceToMasterSecret()
    {
        if (_stage != Stage.Handshake)
        {
            throw new InvalidOperationException("Key schedule is not at the handshake stage.");
        }

        Span<byte> zeros = stackalloc byte[HashLength];
        zeros.Clear();
        AdvanceWith(zeros);
        _stage = Stage.Master;
    }

    /// <summary>Derive-Secret(current stage secret, label, transcript hash).</summary>
    public byte[] DeriveSecret(string label, ReadOnlySpan<byte> transcriptHash) =>
        HkdfLabel.Expand(CurrentExpander, label, transcriptHash, HashLength);

    /// <summary>One HMAC keyed with the current stage's secret for all its Derive-Secrets; replaced when the stage advances.</summary>
    private IHkdfExpander CurrentExpander => _expander ??= _crypto.CreateHkdfExpander(Suite.Hash, _currentSecret);

    private IHkdfExpander? _expander;

    /// <summary>binder_key = Derive-Secret(Early Secret, "res binder", "ext binder" or (RFC 9258) "imp binder", "") (§7.1).</summary>
    public byte[] BinderKey(PskBinderKind kind)
    {
        return DeriveAt(Stage.Early, kind switch { PskBinderKind.External => "ext binder", PskBinderKind.Imported => "imp binder", _ => "res binder" },
            NoPskConstants(_crypto, Suite).EmptyHash);
    }

    /// <summary>client_early_traffic_secret = Derive-Secret(Early Secret, "c e traffic", ClientHello).</summary>
    public byte[] ClientEarlyTrafficSecret(ReadOnlySpan<byte> transcriptHash) => DeriveAt(Stage.Early, "c e traffic", transcriptHash);

    /// <summary>The binder of a PSK offer: an HMAC, keyed from binder_key like a Finished, over the truncated ClientHello's transcript hash (§4.2.11.2).</summary>
    public byte[] ComputeBinder(ReadOnlySpan<byte> truncatedTranscriptHash, PskBinderKind kind = PskBinderKind.Resumption)
    {
        var binderKey = BinderKey(kind);
        try
        {
            return ComputeFinishedVerifyData(_crypto, Suite, binderKey, truncatedTranscriptHash);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(binderKey);
        }
    }

    /// <summary>The PSK a ticket stands for: HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, Hash.length) (§4.6.1).</summary>
    public static byte[] ResumptionPsk(ICryptoProvider crypto, CipherSuiteInfo suite, ReadOnlySpan<byte> resumptionMasterSecret, ReadOnlySpan<byte> ticketNonce) =>
        HkdfLabel.Expand(crypto, suite.Hash, resumptionMasterSecret, "resumption", ticketNonce, suite.HashLength);

    /// <summary>client_handshake_traffic_secret = Derive-Secret(HS, "c hs traffic", CH..SH).</summary>
    public byte[] ClientHandshakeTrafficSecret(ReadOnlySpan<byte> transcriptHash) => DeriveAt(Stage.Handshake, "c hs traffic", transcriptHash);

    /// <summary>server_handshake_traffic_secret = Derive-Secret(HS, "s hs traffic", CH..SH).</summary>
    public byte[] ServerHandshakeTrafficSecret(ReadOnlySpan<byte> transcriptHash) => DeriveAt(Stage.Handshake, "s hs traffic", transcriptHash);

    /// <summary>client_application_traffic_secret_0 = Derive-Secret(MS, "c ap traffic", CH..server Finished).</summary>
    public byte[] ClientApplicationTrafficSecret(ReadOnlySpan<byte> transcriptHash) => DeriveAt(Stage.Master, "c ap traffic", transcriptHash);

    /// <summary>server_application_traffic_secret_0 = Derive-Secret(MS, "s ap traffic", CH..server Finished).</summary>
    public byte[] ServerApplicationTrafficSecret(ReadOnlySpan<byte> transcriptHash) => DeriveAt(Stage.Master, "s ap traffic", transcriptHash);

    /// <summary>exporter_master_secret = Derive-Secret(MS, "exp master", CH..server Finished).</summary>
    public byte[] ExporterMasterSecret(ReadOnlySpan<byte> transcriptHash) => DeriveAt(Stage.Master, "exp master", transcriptHash);

    /// <summary>resumption_master_secret = Derive-Secret(MS, "res master", CH..client Finished).</summary>
    public byte[] ResumptionMasterSecret(ReadOnlySpan<byte> transcriptHash) => DeriveAt(Stage.Master, "res master", transcriptHash);

    /// <summary>finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length) (RFC 8446 §4.4.4).</summary>
    public static byte[] FinishedKey(ICryptoProvider crypto, CipherSuiteInfo suite, ReadOnlySpan<byte> baseKey) =>
        HkdfLabel.Expand(crypto, suite.Hash, baseKey, "finished", [], suite.HashLength);

    /// <summary>verify_data = HMAC(finished_key, Transcript-Hash(Handshake Context, Certificate*, CertificateVerify*)).</summary>
    public static byte[] ComputeFinishedVerifyData(ICryptoProvider crypto, CipherSuiteInfo suite, ReadOnlySpan<byte> baseKey, ReadOnlySpan<byte> transcriptHash)
    {
        var finishedKey = FinishedKey(crypto, suite, baseKey);
        try
        {
            var verifyData = new byte[suite.HashLength];
            crypto.Hmac(suite.Hash, finishedKey, transcriptHash, verifyData);
            return verifyData;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(finishedKey);
        }
    }

    /// <summary>application_traffic_secret_N+1 = HKDF-Expand-Label(application_traffic_secret_N, "traffic upd", "", Hash.length) (§7.2).</summary>
    public static byte[] NextApplicationTrafficSecret(ICryptoProvider crypto, CipherSuiteInfo suite, ReadOnlySpan<byte> current) =>
        HkdfLabel.Expand(crypto, suite.Hash, current, "traffic upd", [], suite.HashLength);

    /// <summary>Zeroes the current secret.</summary>
    public void Dispose()
    {
        _expander?.Dispose();
        _expander = null;
        CryptographicOperations.ZeroMemory(_currentSecret);
    }

    private byte[] DeriveAt(Stage stage, string label, ReadOnlySpan<byte> transcriptHash)
    {
        if (_stage != stage)
        {
            throw new InvalidOperationException($"Secret '{label}' is not available at this stage of the key schedule.");
        }

        return DeriveSecret(label, transcriptHash);
    }

    private void AdvanceWith(ReadOnlySpan<byte> ikm)
    {
        var constants = NoPskConstants(_crypto, Suite);
        var derived = _stage == Stage.Early && _noPsk
            ? (byte[])constants.DerivedFromEarly.Clone()
            : HkdfLabel.Expand(CurrentExpander, "derived", constants.EmptyHash, HashLength);
        try
        {
            var next = Extract(salt: derived, ikm: ikm);
            _expander?.Dispose();
            _expander = null;
            CryptographicOperations.ZeroMemory(_currentSecret);
            _currentSecret = next;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(derived);
        }
    }

    private byte[] Extract(ReadOnlySpan<byte> salt, ReadOnlySpan<byte> ikm)
    {
        var prk = new byte[HashLength];
        _crypto.HkdfExtract(Suite.Hash, ikm, salt, prk);
        return prk;
    }
}
