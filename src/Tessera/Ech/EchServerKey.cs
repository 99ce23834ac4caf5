using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Text;
using Tessera.Crypto;
using Tessera.Crypto.Hpke;
using Tessera.Pki;

namespace Tessera.Ech;

/// <summary>
/// A server's ECH key: the configuration it publishes and the HPKE private key that opens what clients encrypt to it.
/// Stored as a PEM file in OpenSSL's ECH layout: the X25519 private key (PKCS #8) and the ECHConfigList ("ECHCONFIG").
/// </summary>
public sealed class EchServerKey : IDisposable
{
    private const string X25519Oid = "1.3.101.110";

    private EchServerKey(EchConfig config, HpkeKeyPair keyPair)
    {
        Config = config;
        KeyPair = keyPair;
    }

    /// <summary>The configuration clients encrypt to.</summary>
    public EchConfig Config { get; }

    /// <summary>The HPKE key pair behind it.</summary>
    public HpkeKeyPair KeyPair { get; }

    /// <summary>The ECHConfigList holding just this configuration (what to publish, or give a client with -ech_config).</summary>
    public byte[] ConfigList => EchConfigList.Encode([Config]);

    /// <summary>
    /// A fresh key and configuration for <paramref name="publicName"/> (the client-facing name the outer ClientHello
    /// shows), offering HKDF-SHA256 with AES-128-GCM and ChaCha20-Poly1305.
    /// </summary>
    public static EchServerKey Generate(string publicName, byte? configId = null, byte maximumNameLength = 0)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(publicName);
        if (publicName.Length > 255 || publicName.Any(c => c is < '!' or > '~'))
        {
            throw new ArgumentException("the public name must be printable ASCII, 1 to 255 characters", nameof(publicName));
        }

        var keyPair = Hpke.GenerateKeyPair(HpkeKem.DhkemX25519HkdfSha256);
        var config = new EchConfig
        {
            ConfigId = configId ?? (byte)RandomNumberGenerator.GetInt32(256),
            Kem = HpkeKem.DhkemX25519HkdfSha256,
            PublicKey = keyPair.PublicKey,
            CipherSuites = [new EchCipherSuite(HpkeKdf.HkdfSha256, HpkeAead.Aes128Gcm), new EchCipherSuite(HpkeKdf.HkdfSha256, HpkeAead.ChaCha20Poly1305)],
            MaximumNameLength = maximumNameLength,
            PublicName = publicName,
        };
        return new EchServerKey(config, keyPair);
    }

    /// <summary>The PEM text: PRIVATE KEY (PKCS #8 X25519) then ECHCONFIG (the ECHConfigList).</summary>
    public string ToPem()
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(0);
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(X25519Oid);
            }

            var inner = new AsnWriter(AsnEncodingRules.DER);
            inner.WriteOctetString(KeyPair.PrivateKey);
            var curvePrivateKey = inner.Encode();
            writer.WriteOctetString(curvePrivateKey);
            CryptographicOperations.ZeroMemory(curvePrivateKey);
            inner.Reset();
        }

        var pkcs8 = writer.Encode();
        writer.Reset();
        try
        {
            return new string(PemEncoding.Write("PRIVATE KEY", pkcs8)) + "\n" + new string(PemEncoding.Write("ECHCONFIG", ConfigList)) + "\n";
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    /// <summary>Reads a key file written by <see cref="ToPem"/> (or OpenSSL's ECH tools); throws <see cref="PkiLoadException"/> naming what is wrong.</summary>
    public static EchServerKey Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path, Encoding.ASCII);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new PkiLoadException($"{path}: {ex.Message}", ex);
        }

        return Parse(text, path);
    }

    /// <summary>Parses the PEM text of an ECH key file.</summary>
    public static EchServerKey Parse(string pem, string source = "ECH key")
    {
        ArgumentNullException.ThrowIfNull(pem);
        byte[]? privateKey = null;
        IReadOnlyList<EchConfig>? configs = null;
        var rest = pem.AsSpan();
        while (PemEncoding.TryFind(rest, out var fields))
        {
            var label = rest[fields.Label].ToString();
            byte[] der;
            try
            {
                der = Convert.FromBase64String(rest[fields.Base64Data].ToString());
            }
            catch (FormatException ex)
            {
                Wipe(privateKey);
                throw new PkiLoadException($"{source}: the {label} block is not base64", ex);
            }

            try
            {
                if (label == "PRIVATE KEY")
                {
                    Wipe(privateKey);   // a second key replaces the first, which is wiped
                    privateKey = X25519PrivateKey(der, source);
                }
                else if (label == "ECHCONFIG")
                {
                    configs = EchConfigList.Parse(der);
                }
            }
            catch (TlsException ex)
            {
                Wipe(privateKey);
                throw new PkiLoadException($"{source}: malformed ECHCONFIG: {ex.Message}", ex);
            }
            catch (PkiLoadException)
            {
                Wipe(privateKey);
                throw;
            }
            finally
            {
                if (label == "PRIVATE KEY")
                {
                    CryptographicOperations.ZeroMemory(der);
                }
            }

            rest = rest[fields.Location.End..];
        }

        if (privateKey is null || configs is not { Count: > 0 })
        {
            Wipe(privateKey);
            throw new PkiLoadException($"{source}: an ECH key file needs a PRIVATE KEY (X25519) and an ECHCONFIG block");
        }

        var keyPair = HpkeKeyPair.FromPrivateKey(HpkeKem.DhkemX25519HkdfSha256, privateKey);
        CryptographicOperations.ZeroMemory(privateKey);
        var config = configs[0];
        if (!config.PublicKey.AsSpan().SequenceEqual(keyPair.PublicKey))
        {
            keyPair.Dispose();
            throw new PkiLoadException($"{source}: the ECHCONFIG's public key does not belong to the private key");
        }

        return new EchServerKey(config, keyPair);
    }

    private static byte[] X25519PrivateKey(byte[] pkcs8, string source)
    {
        try
        {
            var sequence = new AsnReader(pkcs8, AsnEncodingRules.DER).ReadSequence();
            sequence.ReadInteger();
            var algorithm = sequence.ReadSequence();
            if (algorithm.ReadObjectIdentifier() != X25519Oid)
            {
                throw new PkiLoadException($"{source}: the ECH private key is not an X25519 key");
            }

            var curvePrivateKey = sequence.ReadOctetString();
            var key = new AsnReader(curvePrivateKey, AsnEncodingRules.DER).ReadOctetString();
            CryptographicOperations.ZeroMemory(curvePrivateKey);
            if (key.Length != 32)
            {
                CryptographicOperations.ZeroMemory(key);
                throw new PkiLoadException($"{source}: an X25519 private key is 32 bytes");
            }

            return key;
        }
        catch (AsnContentException ex)
        {
            throw new PkiLoadException($"{source}: malformed PKCS #8 private key", ex);
        }
    }

    private static void Wipe(byte[]? secret)
    {
        if (secret is not null)
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <inheritdoc />
    public void Dispose() => KeyPair.Dispose();
}
