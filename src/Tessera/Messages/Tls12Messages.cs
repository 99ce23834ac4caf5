namespace Tessera.Messages;

/// <summary>TLS 1.2 Certificate (RFC 5246 §7.4.2): a plain list of DER certificates, no context or per-entry extensions.</summary>
internal sealed class Certificate12
{
    public List<byte[]> Certificates { get; set; } = [];

    public static Certificate12 Parse(ReadOnlySpan<byte> body)
    {
        var reader = new TlsReader(body);
        var list = new TlsReader(reader.ReadVector24());
        reader.EnsureEmpty("Certificate");
        var message = new Certificate12();
        while (!list.IsEmpty)
        {
            var der = list.ReadVector24();
            if (der.IsEmpty)
            {
                throw new TlsException(AlertDescription.DecodeError, "empty certificate in the certificate_list");
            }

            message.Certificates.Add(der.ToArray());
        }

        return message;
    }

    public byte[] ToMessageBytes()
    {
        var w = new TlsWriter(4096);
        int list = w.BeginVector(3);
        foreach (var der in Certificates)
        {
            w.WriteVector24(der);
        }

        w.EndVector(list);
        return HandshakeFraming.Frame(HandshakeType.Certificate, w);
    }
}

/// <summary>
/// ServerKeyExchange for ECDHE (RFC 8422 §5.4): ECParameters (named_curve), the server's public
/// point, and a signature over client_random + server_random + those parameters.
/// </summary>
internal sealed class ServerKeyExchangeEcdhe : IServerKeyExchange
{
    public bool HasSignatureAlgorithm { get; set; } = true;

    private const byte NamedCurveType = 3;

    public ushort Group { get; set; }

    public byte[] PublicKey { get; set; } = [];

    public ushort SignatureAlgorithm { get; set; }

    public byte[] Signature { get; set; } = [];

    /// <summary>The ServerECDHParams bytes, which the signature covers (after the two randoms).</summary>
    public byte[] ParamsBytes()
    {
        var w = new TlsWriter(PublicKey.Length + 8);
        w.WriteUInt8(NamedCurveType);
        w.WriteUInt16(Group);
        w.WriteVector8(PublicKey);
        return w.ToArray();
    }

    public static ServerKeyExchangeEcdhe Parse(ReadOnlySpan<byte> body, bool withSignatureAlgorithm = true)
    {
        var reader = new TlsReader(body);
        byte curveType = reader.ReadUInt8();
        if (curveType != NamedCurveType)
        {
            throw new TlsException(AlertDescription.IllegalParameter, $"ServerKeyExchange curve_type {curveType} is not named_curve");
        }

        var message = new ServerKeyExchangeEcdhe { Group = reader.ReadUInt16(), PublicKey = reader.ReadVector8().ToArray() };
        if (message.PublicKey.Length == 0)
        {
            throw new TlsException(AlertDescription.DecodeError, "empty ECDH public key");
        }

        message.HasSignatureAlgorithm = withSignatureAlgorithm;
        message.SignatureAlgorithm = withSignatureAlgorithm ? reader.ReadUInt16() : (ushort)0;
        message.Signature = reader.ReadVector16().ToArray();
        reader.EnsureEmpty("ServerKeyExchange");
        return message;
    }

    public byte[] ToMessageBytes()
    {
        var w = new TlsWriter(PublicKey.Length + Signature.Length + 16);
        w.WriteBytes(ParamsBytes());
        if (HasSignatureAlgorithm)
        {
            w.WriteUInt16(SignatureAlgorithm);
        }

        w.WriteVector16(Signature);
        return HandshakeFraming.Frame(HandshakeType.ServerKeyExchange, w);
    }
}

/// <summary>A signed ServerKeyExchange: its parameters and the signature over randoms + parameters.</summary>
internal interface IServerKeyExchange
{
    /// <summary>False in TLS 1.0/1.1, whose digitally-signed struct has no algorithm field (RFC 4346 §4.7).</summary>
    bool HasSignatureAlgorithm { get; set; }

    ushort SignatureAlgorithm { get; set; }

    byte[] Signature { get; set; }

    /// <summary>The parameter bytes the signature covers (after client_random and server_random).</summary>
    byte[] ParamsBytes();

    byte[] ToMessageBytes();
}

/// <summary>TLS 1.2 ServerKeyExchange for DHE (RFC 5246 §7.4.3): ServerDHParams (p, g, Ys) and the signature.</summary>
internal sealed class ServerKeyExchangeDhe : IServerKeyExchange
{
    public bool HasSignatureAlgorithm { get; set; } = true;

    public byte[] Prime { get; set; } = [];

    public byte[] Generator { get; set; } = [];

    public byte[] PublicKey { get; set; } = [];

    public ushort SignatureAlgorithm { get; set; }

    public byte[] Signature { get; set; } = [];

    public byte[] ParamsBytes()
    {
        var w = new TlsWriter(Prime.Length + Generator.Length + PublicKey.Length + 6);
        w.WriteVector16(Prime);
        w.WriteVector16(Generator);
        w.WriteVector16(PublicKey);
        return w.ToArray();
    }

    public static ServerKeyExchangeDhe Parse(ReadOnlySpan<byte> body, bool withSignatureAlgorithm = true)
    {
        var reader = new TlsReader(body);
        var message = new ServerKeyExchangeDhe
        {
            Prime = reader.ReadVector16().ToArray(),
            Generator = reader.ReadVector16().ToArray(),
            PublicKey = reader.ReadVector16().ToArray(),
        };
        if (message.Prime.Length == 0 || message.Generator.Length == 0 || message.PublicKey.Length == 0)
        {
            throw new TlsException(AlertDescription.DecodeError, "empty DH parameter");
        }

        message.HasSignatureAlgorithm = withSignatureAlgorithm;
        message.SignatureAlgorithm = withSignatureAlgorithm ? reader.ReadUInt16() : (ushort)0;
        message.Signature = reader.ReadVector16().ToArray();
        reader.EnsureEmpty("ServerKeyExchange");
        return message;
    }

    public byte[] ToMessageBytes()
    {
        var w = new TlsWriter(Prime.Length + PublicKey.Length + Signature.Length + 16);
        w.WriteBytes(ParamsBytes());
        if (HasSignatureAlgorithm)
        {
            w.WriteUInt16(SignatureAlgorithm);
        }

        w.WriteVector16(Signature);
        return HandshakeFraming.Frame(HandshakeType.ServerKeyExchange, w);
    }
}

/// <summary>ClientKeyExchange for DHE (RFC 5246 §7.4.7.2): the client's public value Yc.</summary>
internal sealed class ClientKeyExchangeDhe
{
    public byte[] PublicKey { get; set; } = [];

    public static ClientKeyExchangeDhe Parse(ReadOnlySpan<byte> body)
    {
        var reader = new TlsReader(body);
        var key = reader.ReadVector16();
        reader.EnsureEmpty("ClientKeyExchange");
        return key.IsEmpty ? throw new TlsException(AlertDescription.DecodeError, "empty DH public value") : new ClientKeyExchangeDhe { PublicKey = key.ToArray() };
    }

    public byte[] ToMessageBytes()
    {
        var w = new TlsWriter(PublicKey.Length + 2);
        w.WriteVector16(PublicKey);
        return HandshakeFraming.Frame(HandshakeType.ClientKeyExchange, w);
    }
}

/// <summary>ClientKeyExchange for ECDHE (RFC 8422 §5.7): the client's public point.</summary>
internal sealed class ClientKeyExchangeEcdhe
{
    public byte[] PublicKey { get; set; } = [];

    public static ClientKeyExchangeEcdhe Parse(ReadOnlySpan<byte> body)
    {
        var reader = new TlsReader(body);
        var key = reader.ReadVector8();
        reader.EnsureEmpty("ClientKeyExchange");
        return key.IsEmpty ? throw new TlsException(AlertDescription.DecodeError, "empty ECDH public key") : new ClientKeyExchangeEcdhe { PublicKey = key.ToArray() };
    }

    public byte[] ToMessageBytes()
    {
        var w = new TlsWriter(PublicKey.Length + 1);
        w.WriteVector8(PublicKey);
        return HandshakeFraming.Frame(HandshakeType.ClientKeyExchange, w);
    }
}

/// <summary>TLS 1.2 ClientKeyExchange for RSA key exchange (RFC 5246 §7.4.7.1): the encrypted premaster secret.</summary>
internal sealed class ClientKeyExchangeRsa
{
    public byte[] EncryptedPreMasterSecret { get; set; } = [];

    public static ClientKeyExchangeRsa Parse(ReadOnlySpan<byte> body)
    {
        var reader = new TlsReader(body);
        var encrypted = reader.ReadVector16();
        reader.EnsureEmpty("ClientKeyExchange");
        return encrypted.IsEmpty ? throw new TlsException(AlertDescription.DecodeError, "empty encrypted premaster secret") : new ClientKeyExchangeRsa { EncryptedPreMasterSecret = encrypted.ToArray() };
    }

    public byte[] ToMessageBytes()
    {
        var w = new TlsWriter(EncryptedPreMasterSecret.Length + 2);
        w.WriteVector16(EncryptedPreMasterSecret);
        return HandshakeFraming.Frame(HandshakeType.ClientKeyExchange, w);
    }
}

/// <summary>TLS 1.2 CertificateRequest (RFC 5246 §7.4.4).</summary>
internal sealed class CertificateRequest12
{
    public byte[] CertificateTypes { get; set; } = [];

    public ushort[] SignatureAlgorithms { get; set; } = [];

    public List<byte[]> CertificateAuthorities { get; set; } = [];

    /// <summary>False in TLS 1.0/1.1, whose CertificateRequest has no supported_signature_algorithms.</summary>
    public bool HasSignatureAlgorithms { get; set; } = true;

    public static CertificateRequest12 Parse(byte[] body) => Parse(body.AsSpan());

    public static CertificateRequest12 Parse(ReadOnlySpan<byte> body, bool withSignatureAlgorithms = true)
    {
        var reader = new TlsReader(body);
        var request = new CertificateRequest12 { CertificateTypes = reader.ReadVector8().ToArray(), HasSignatureAlgorithms = withSignatureAlgorithms };
        if (request.CertificateTypes.Length == 0)
        {
            throw new TlsException(AlertDescription.DecodeError, "empty certificate_types");
        }

        if (withSignatureAlgorithms)
        {
            request.SignatureAlgorithms = U16List.Parse(reader.ReadVector16(), "supported_signature_algorithms");
        }

        var authorities = new TlsReader(reader.ReadVector16());
        reader.EnsureEmpty("CertificateRequest");
        while (!authorities.IsEmpty)
        {
            request.CertificateAuthorities.Add(authorities.ReadVector16().ToArray());
        }

        return request;
    }

    public byte[] ToMessageBytes()
    {
        var w = new TlsWriter();
        w.WriteVector8(CertificateTypes);
        if (HasSignatureAlgorithms)
        {
            int algorithms = w.BeginVector(2);
            foreach (var a in SignatureAlgorithms)
            {
                w.WriteUInt16(a);
            }

            w.EndVector(algorithms);
        }

        int list = w.BeginVector(2);
        foreach (var dn in CertificateAuthorities)
        {
            w.WriteVector16(dn);
        }

        w.EndVector(list);
        return HandshakeFraming.Frame(HandshakeType.CertificateRequest, w);
    }
}

/// <summary>Handshake messages with an empty body: ServerHelloDone, HelloRequest, EndOfEarlyData.</summary>
internal static class EmptyHandshakeMessage
{
    public static void Parse(ReadOnlySpan<byte> body, HandshakeType type)
    {
        if (!body.IsEmpty)
        {
            throw new TlsException(AlertDescription.DecodeError, $"{type} must be empty");
        }
    }

    public static byte[] ToMessageBytes(HandshakeType type) => HandshakeFraming.Frame(type, []);
}

/// <summary>TLS 1.2 NewSessionTicket (RFC 5077 §3.3): ticket_lifetime_hint and the opaque ticket.</summary>
internal sealed class NewSessionTicket12
{
    public uint LifetimeHint { get; set; }

    public byte[] Ticket { get; set; } = [];

    public static NewSessionTicket12 Parse(ReadOnlySpan<byte> body)
    {
        var reader = new TlsReader(body);
        var message = new NewSessionTicket12 { LifetimeHint = reader.ReadUInt32(), Ticket = reader.ReadVector16().ToArray() };
        reader.EnsureEmpty("NewSessionTicket");
        return message;
    }

    public byte[] ToMessageBytes()
    {
        var w = new TlsWriter(Ticket.Length + 8);
        w.WriteUInt32(LifetimeHint);
        w.WriteVector16(Ticket);
        return HandshakeFraming.Frame(HandshakeType.NewSessionTicket, w);
    }
}
