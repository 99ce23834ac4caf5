using System.Net;
using System.Security.Cryptography;
using Tessera.Crypto;

namespace Tessera.Pki.X509;

/// <summary>
/// Tessera's own X.509 path validation (RFC 5280 §6 with the web PKI's stricter rules), the same on every OS:
/// builds paths from the end entity through the given intermediates to a trust anchor, trying every
/// candidate issuer (cross-signed roots, several issuers with one name) depth-first, loop-safe and with a
/// bound on the signatures it will check; then checks validity, basicConstraints and pathLenConstraint,
/// keyUsage, extendedKeyUsage, nameConstraints, critical extensions, algorithms and key sizes, and the
/// expected name. Trust anchors are taken as they are: their own validity and signature are not checked
/// (RFC 5280 §6.1.1), their name constraints are.
/// </summary>
public sealed class CertificateValidator
{
    private readonly List<Certificate> _anchors;
    private readonly ValidationPolicy _policy;
    private readonly VerifiedSignatureCache _verified = new();

    /// <summary>Creates a validator that trusts <paramref name="trustAnchors"/>.</summary>
    public CertificateValidator(IEnumerable<Certificate> trustAnchors, ValidationPolicy? policy = null)
    {
        ArgumentNullException.ThrowIfNull(trustAnchors);
        _anchors = [.. trustAnchors];
        _policy = policy ?? ValidationPolicy.Default;
    }

    /// <summary>The trust anchors.</summary>
    public IReadOnlyList<Certificate> TrustAnchors => _anchors;

    /// <summary>Validates <paramref name="leaf"/>, using <paramref name="intermediates"/> (in any order) to reach an anchor.</summary>
    public ValidationResult Validate(Certificate leaf, IEnumerable<Certificate> intermediates, ValidationContext context)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        ArgumentNullException.ThrowIfNull(intermediates);
        ArgumentNullException.ThrowIfNull(context);
        var pool = intermediates.Where(c => !c.Der.Span.SequenceEqual(leaf.Der.Span)).Take(64).ToList();

        if (CheckEndEntity(leaf, context) is { } leafFailure)
        {
            return leafFailure;
        }

        // A pinned end entity: the leaf itself is a trust anchor.
        if (_anchors.Any(a => a.Der.Span.SequenceEqual(leaf.Der.Span)))
        {
            return ValidationResult.Valid([leaf]);
        }

        var search = new Search(this, pool, context);
        return search.Run(leaf);
    }

    /// <summary>What only the end entity must satisfy: time, a usable key, no CA flag, its usage, its name.</summary>
    private ValidationResult? CheckEndEntity(Certificate leaf, ValidationContext context)
    {
        if (CheckCommon(leaf, 0, context) is { } failure)
        {
            return failure;
        }

        if (leaf.IsCa && !_anchors.Any(a => a.Der.Span.SequenceEqual(leaf.Der.Span)))
        {
            return ValidationResult.Fail(ValidationError.CaUsedAsEndEntity, 0, "a CA certificate is used as the end entity");
        }

        if (leaf.KeyUsage is { } usage && (usage & (KeyUsageFlags.DigitalSignature | KeyUsageFlags.KeyEncipherment | KeyUsageFlags.KeyAgreement)) == 0)
        {
            return ValidationResult.Fail(ValidationError.KeyUsage, 0, $"keyUsage ({usage}) allows no TLS use");
        }

        if (!AllowsUsage(leaf, context.Usage))
        {
            return ValidationResult.Fail(ValidationError.ExtendedKeyUsage, 0, $"extendedKeyUsage does not include {(context.Usage == CertificateUsage.Server ? "serverAuth" : "clientAuth")}");
        }

        if (context.ExpectedName is { Length: > 0 } name && !MatchesName(leaf, name))
        {
            var names = leaf.SubjectAltNames.Where(n => n.Kind is GeneralNameKind.Dns or GeneralNameKind.IpAddress).ToList();
            return ValidationResult.Fail(ValidationError.NameMismatch, 0,
                $"the certificate is not valid for '{name}' (it names {(names.Count == 0 ? "nothing in subjectAltName" : GeneralName.Describe(names))})");
        }

        return null;
    }

    /// <summary>What every certificate but the anchor must satisfy.</summary>
    private ValidationResult? CheckCommon(Certificate certificate, int depth, ValidationContext context)
    {
        if (context.Time < certificate.NotBefore)
        {
            return ValidationResult.Fail(ValidationError.NotYetValid, depth, $"not valid before {certificate.NotBefore:u}");
        }

        if (context.Time > certificate.NotAfter)
        {
            return ValidationResult.Fail(ValidationError.Expired, depth, $"expired at {certificate.NotAfter:u}");
        }

        if (certificate.UnhandledCriticalExtensions.Count > 0)
        {
            return ValidationResult.Fail(ValidationError.UnknownCriticalExtension, depth, $"unknown critical extension {certificate.UnhandledCriticalExtensions[0]}");
        }

        return KeyStrength(certificate) is { } weak ? ValidationResult.Fail(ValidationError.WeakKey, depth, weak) : null;
    }

    /// <summary>
    /// RSA of at least the policy's size, ECDSA on P-256/384/521, Ed25519; anything else is refused. Read from the
    /// encoding alone (importing a key costs a point check on every certificate); the signature checks import them.
    /// </summary>
    private string? KeyStrength(Certificate certificate)
    {
        try
        {
            var (oid, parameters, key) = SignatureVerifier.ParseSpki(certificate.SubjectPublicKeyInfo.Span);
            switch (oid)
            {
                case X509Oids.RsaEncryption or X509Oids.RsaPss:
                    // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } (RFC 8017 §A.1.1)
                    var rsaKey = new System.Formats.Asn1.AsnReader(key, System.Formats.Asn1.AsnEncodingRules.DER).ReadSequence();
                    var modulus = rsaKey.ReadIntegerBytes().Span;
                    var exponent = rsaKey.ReadIntegerBytes().Span;
                    rsaKey.ThrowIfNotEmpty();
                    if (modulus.Length < 2 || (modulus[0] & 0x80) != 0 || (exponent[0] & 0x80) != 0 || (exponent[^1] & 1) == 0 || (exponent.Length == 1 && exponent[0] < 3))
                    {
                        return "malformed RSA key";
                    }

                    int leadingZero = modulus[0] == 0 ? 1 : 0;
                    int bits = ((modulus.Length - leadingZero) * 8) - System.Numerics.BitOperations.LeadingZeroCount((uint)modulus[leadingZero]) + 24;
                    return bits < _policy.MinimumRsaKeyBits ? $"RSA key of {bits} bits (at least {_policy.MinimumRsaKeyBits} required)" : null;

                case X509Oids.EcPublicKey:
                    string curve = new System.Formats.Asn1.AsnReader(parameters, System.Formats.Asn1.AsnEncodingRules.DER).ReadObjectIdentifier();
                    int pointLength = curve switch
                    {
                        "1.2.840.10045.3.1.7" => 65,
                        "1.3.132.0.34" => 97,
                        "1.3.132.0.35" => 133,
                        _ => 0,
                    };
                    return pointLength == 0 ? "EC key on a curve other than P-256, P-384 or P-521"
                        : key.Length != pointLength || key[0] != 0x04 ? "malformed EC key" : null;

                case X509Oids.Ed25519:
                    return key.Length == 32 && parameters.IsEmpty ? null : "malformed Ed25519 key";
                default:
                    return $"unsupported public key algorithm {certificate.PublicKeyAlgorithmOid}";
            }
        }
        catch (Exception ex) when (ex is CryptographicException or System.Formats.Asn1.AsnContentException or ArgumentException or PlatformNotSupportedException)
        {
            return "the public key cannot be read";
        }
    }

    private static bool AllowsUsage(Certificate certificate, CertificateUsage usage) =>
        certificate.ExtendedKeyUsage is not { } purposes ||
        purposes.Contains(usage == CertificateUsage.Server ? X509Oids.ServerAuth : X509Oids.ClientAuth) ||
        purposes.Contains(X509Oids.AnyExtendedKeyUsage);

    /// <summary>RFC 6125/9525: dNSName (one leftmost wildcard label, case-insensitive, ASCII) or iPAddress; never the CN.</summary>
    public static bool MatchesName(Certificate certificate, string name)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(name);
        var literal = name.Trim('[', ']');
        if (IPAddress.TryParse(literal, out var ip))
        {
            var bytes = ip.GetAddressBytes();
            return certificate.SubjectAltNames.Any(n => n.Kind == GeneralNameKind.IpAddress && n.Bytes!.AsSpan().SequenceEqual(bytes));
        }

        return certificate.SubjectAltNames.Any(n => n.Kind == GeneralNameKind.Dns && HostNameMatcher.MatchesDnsName(n.Text!, name));
    }

    /// <summary>Checks <paramref name="subject"/>'s signature with <paramref name="issuer"/>'s key; null when it verifies.</summary>
    private (ValidationError Error, string Reason)? CheckSignature(Certificate subject, Certificate issuer)
    {
        var scheme = subject.TlsSignatureScheme;
        if (scheme is null)
        {
            return (ValidationError.WeakSignatureAlgorithm, $"signature algorithm {subject.SignatureAlgorithmOid} is not accepted");
        }

        if (scheme is SignatureScheme.rsa_pkcs1_sha1 or SignatureScheme.ecdsa_sha1 && !_policy.AllowSha1Signatures)
        {
            return (ValidationError.WeakSignatureAlgorithm, "signed with SHA-1");
        }

        if (_verified.Contains(subject, issuer))
        {
            return null;
        }

        if (!SignatureVerifier.VerifyCertificateSignature(scheme.Value, issuer.SubjectPublicKeyInfo.Span, subject.TbsDer.Span, subject.Signature))
        {
            return (ValidationError.BadSignature, $"the signature by {issuer.Subject} does not verify");
        }

        _verified.Add(subject, issuer);
        return null;
    }

    /// <summary>
    /// RFC 5280 §6.3 with complete CRLs: each certificate below the anchor against a CRL its issuer signed,
    /// current at the validation time and covering it (issuingDistributionPoint scope).
    /// </summary>
    private ValidationResult? CheckRevocation(List<Certificate> path, ValidationContext context)
    {
        for (int i = 0; i < (context.RevocationLeafOnly ? 1 : path.Count - 1); i++)
        {
            var certificate = path[i];
            var issuer = path[i + 1];
            bool covered = false;
            foreach (var crl in context.Crls.Where(c => c.Issuer.Equals(issuer.Subject)))
            {
                if (!IsUsable(crl, certificate, issuer, context))
                {
                    continue;
                }

                covered = true;
                if (crl.Find(certificate.SerialNumber) is { Reason: not RevocationReason.RemoveFromCrl } entry)
                {
                    return ValidationResult.Fail(ValidationError.Revoked, i, $"{certificate.Subject} was revoked on {entry.RevocationDate:u} ({entry.Reason})");
                }
            }

            foreach (var response in context.OcspResponses)
            {
                var single = response.StatusOf(certificate, issuer, context.Time, context.ClockSkew, out _);
                if (single is null || single.Status == OcspCertificateStatus.Unknown)
                {
                    continue;
                }

                if (single.Status == OcspCertificateStatus.Revoked)
                {
                    return ValidationResult.Fail(ValidationError.Revoked, i,
                        $"{certificate.Subject} was revoked on {single.RevocationTime:u} ({single.Reason ?? RevocationReason.Unspecified}), says OCSP");
                }

                covered = true;
            }

            if (!covered && context.Revocation == RevocationMode.HardFail)
            {
                return ValidationResult.Fail(ValidationError.RevocationUnknown, i, $"no current CRL or OCSP response from {issuer.Subject} covers {certificate.Subject}");
            }
        }

        return null;
    }

    private bool IsUsable(CertificateRevocationList crl, Certificate certificate, Certificate issuer, ValidationContext context)
    {
        if (crl.UnhandledCriticalExtensions.Count > 0 || crl.IsPartial ||
            (crl.OnlyUserCertificates && certificate.IsCa) || (crl.OnlyCaCertificates && !certificate.IsCa) ||
            crl.ThisUpdate > context.Time + context.ClockSkew || (crl.NextUpdate is { } next && next + context.ClockSkew < context.Time) ||
            (issuer.KeyUsage is { } usage && (usage & KeyUsageFlags.CrlSign) == 0))
        {
            return false;
        }

        var scheme = CertificateSignatureAlgorithm.FromAlgorithmIdentifier(crl.SignatureAlgorithm.Span);
        return scheme is not null && (scheme is not (SignatureScheme.rsa_pkcs1_sha1 or SignatureScheme.ecdsa_sha1) || _policy.AllowSha1Signatures) &&
            SignatureVerifier.VerifyCertificateSignature(scheme.Value, issuer.SubjectPublicKeyInfo.Span, crl.TbsDer.Span, crl.Signature);
    }

    /// <summary>One depth-first search for a path, with its work budget and the most telling failure so far.</summary>
    private sealed class Search(CertificateValidator owner, List<Certificate> pool, ValidationContext context)
    {
        private int _signatureChecks;
        private ValidationResult? _best;

        public ValidationResult Run(Certificate leaf)
        {
            var path = new List<Certificate> { leaf };
            return Extend(path) ?? _best ?? ValidationResult.Fail(ValidationError.UnknownIssuer, 0, $"no trusted issuer found for {leaf.Issuer}");
        }

        /// <summary>Tries to finish <paramref name="path"/> (whose last certificate is checked) at an anchor, or through one more intermediate.</summary>
        private ValidationResult? Extend(List<Certificate> path)
        {
            var child = path[^1];
            int depth = path.Count;

            foreach (var anchor in Candidates(owner._anchors, child))
            {
                if (TryIssuer(path, anchor, isAnchor: true) is { } done)
                {
                    return done;
                }
            }

            int maxDepth = context.MaxDepth ?? owner._policy.MaxDepth;
            if (path.Count + 1 >= maxDepth)
            {
                Remember(ValidationResult.Fail(ValidationError.UnknownIssuer, depth - 1, $"no trusted issuer within {maxDepth} certificates"));
                return null;
            }

            foreach (var intermediate in Candidates(pool, child))
            {
                if (path.Any(p => p.Der.Span.SequenceEqual(intermediate.Der.Span) || (p.Subject.Equals(intermediate.Subject) && p.SubjectPublicKeyInfo.Span.SequenceEqual(intermediate.SubjectPublicKeyInfo.Span))))
                {
                    continue;   // a loop, or the same CA again under another certificate
                }

                if (TryIssuer(path, intermediate, isAnchor: false) is { } done)
                {
                    return done;
                }

                if (_best?.Error == ValidationError.TooComplex)
                {
                    return _best;
                }
            }

            Remember(ValidationResult.Fail(ValidationError.UnknownIssuer, depth - 1, $"no trusted issuer found for {child.Issuer}"));
            return null;
        }

        /// <summary>Issuers by name, those whose subjectKeyIdentifier matches the child's authorityKeyIdentifier first.</summary>
        private static IEnumerable<Certificate> Candidates(List<Certificate> certificates, Certificate child) =>
            certificates.Where(c => c.Subject.Equals(child.Issuer))
                .OrderBy(c => child.AuthorityKeyIdentifier is { } aki && c.SubjectKeyIdentifier is { } ski && aki.AsSpan().SequenceEqual(ski) ? 0
                    : child.AuthorityKeyIdentifier is null || c.SubjectKeyIdentifier is null ? 1 : 2);

        private ValidationResult? TryIssuer(List<Certificate> path, Certificate issuer, bool isAnchor)
        {
            int depth = path.Count;
            var child = path[^1];
            if (!isAnchor)
            {
                if (owner.CheckCommon(issuer, depth, context) is { } failure)
                {
                    Remember(failure);
                    return null;
                }
            }

            if (CheckIssuerRole(path, issuer, depth) is { } roleFailure)
            {
                Remember(roleFailure);
                return null;
            }

            if (++_signatureChecks > owner._policy.MaxSignatureChecks)
            {
                Remember(ValidationResult.Fail(ValidationError.TooComplex, depth, $"path building gave up after {owner._policy.MaxSignatureChecks} signature checks"));
                return null;
            }

            if (owner.CheckSignature(child, issuer) is { } bad)
            {
                // An anchor that merely shares the issuer's name (another generation of a root) is not an issuer at all.
                Remember(isAnchor && bad.Error == ValidationError.BadSignature
                    ? ValidationResult.Fail(ValidationError.UnknownIssuer, depth - 1, $"no trusted issuer found for {child.Issuer} (a trust anchor of that name did not sign it)")
                    : ValidationResult.Fail(bad.Error, depth - 1, bad.Reason));
                return null;
            }

            path.Add(issuer);
            if (isAnchor)
            {
                if (context.Revocation != RevocationMode.Off && owner.CheckRevocation(path, context) is { } revoked)
                {
                    path.RemoveAt(path.Count - 1);
                    Remember(revoked);
                    return null;
                }

                return ValidationResult.Valid([.. path]);
            }

            var result = Extend(path);
            path.RemoveAt(path.Count - 1);
            return result;
        }

        /// <summary>The issuer may issue: a CA allowed to sign certificates, within its path length, usage and name constraints.</summary>
        private ValidationResult? CheckIssuerRole(List<Certificate> path, Certificate issuer, int depth)
        {
            // Version 1 anchors predate basicConstraints; anything else must say cA.
            if (!issuer.IsCa && !(issuer.Version == 1 && owner._anchors.Contains(issuer)))
            {
                return ValidationResult.Fail(ValidationError.NotACa, depth, $"{issuer.Subject} is not a CA (basicConstraints)");
            }

            if (issuer.KeyUsage is { } usage && (usage & KeyUsageFlags.KeyCertSign) == 0)
            {
                return ValidationResult.Fail(ValidationError.NotACa, depth, $"{issuer.Subject} may not sign certificates (keyUsage)");
            }

            // RFC 5280 §4.2.1.9: the intermediates below it, not counting self-issued ones (the leaf never counts).
            int below = path.Skip(1).Count(c => !c.IsSelfIssued);
            if (issuer.PathLengthConstraint is { } limit && below > limit)
            {
                return ValidationResult.Fail(ValidationError.PathLengthExceeded, depth, $"pathLenConstraint {limit} of {issuer.Subject} is exceeded ({below} below it)");
            }

            // The web PKI's reading of extendedKeyUsage on CAs: when present, it limits the whole path.
            if (!AllowsUsage(issuer, context.Usage))
            {
                return ValidationResult.Fail(ValidationError.ExtendedKeyUsage, depth, $"{issuer.Subject} is not allowed to issue for {context.Usage.ToString().ToLowerInvariant()} authentication (extendedKeyUsage)");
            }

            if (issuer.NameConstraints is { } constraints)
            {
                for (int i = 0; i < path.Count; i++)
                {
                    // Self-issued intermediates are exempt (RFC 5280 §6.1.3 (b)), the leaf never is.
                    if (i > 0 && path[i].IsSelfIssued)
                    {
                        continue;
                    }

                    if (NameConstraintChecker.FirstViolation(constraints, path[i]) is { } violation)
                    {
                        return ValidationResult.Fail(ValidationError.NameConstraint, i, $"{violation} by the name constraints of {issuer.Subject}");
                    }
                }
            }

            return null;
        }

        /// <summary>Keeps the failure that got furthest (the deepest), the first among equals.</summary>
        private void Remember(ValidationResult failure)
        {
            if (_best is null || failure.Error == ValidationError.TooComplex ||
                (_best.Error == ValidationError.UnknownIssuer && failure.Error != ValidationError.UnknownIssuer) ||
                (failure.FailingDepth > _best.FailingDepth && failure.Error != ValidationError.UnknownIssuer && _best.Error != ValidationError.TooComplex))
            {
                _best = failure;
            }
        }
    }
}
