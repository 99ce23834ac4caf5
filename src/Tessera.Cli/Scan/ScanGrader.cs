namespace Tessera.Cli.Scan;

/// <summary>
/// The grade: a score from protocols (30 %), key exchange (30 %) and cipher strength (40 %), then the caps of the
/// findings, as the SSL Labs rating guide does. The rules are written out in docs/scan-grading.md.
/// </summary>
internal static class ScanGrader
{
    /// <summary>Grades from best to worst.</summary>
    public static IReadOnlyList<string> Order { get; } = ["A+", "A", "A-", "B", "C", "D", "E", "F"];

    public static int Rank(string grade) => Order.ToList().IndexOf(grade) is var i and >= 0 ? i : throw new ArgumentException($"unknown grade '{grade}' (A+, A, A-, B, C, D, E or F)");

    public static void Grade(ScanReport r)
    {
        r.Score.Protocol = ProtocolScore(r);
        r.Score.KeyExchange = KeyExchangeScore(r);
        r.Score.Cipher = CipherScore(r);
        r.Score.Total = (int)Math.Round((0.3 * r.Score.Protocol) + (0.3 * r.Score.KeyExchange) + (0.4 * r.Score.Cipher), MidpointRounding.AwayFromZero);
        string grade = r.Score.Total switch
        {
            >= 80 => "A",
            >= 65 => "B",
            >= 50 => "C",
            >= 35 => "D",
            >= 20 => "E",
            _ => "F",
        };
        r.GradeReasons.Add($"score {r.Score.Total} (protocol {r.Score.Protocol}, key exchange {r.Score.KeyExchange}, cipher {r.Score.Cipher}) → {grade}");
        foreach (var finding in r.Findings.Where(f => f.Cap is not null).OrderByDescending(f => Rank(f.Cap!)))
        {
            if (Rank(finding.Cap!) > Rank(grade))
            {
                grade = finding.Cap!;
                r.GradeReasons.Add($"{finding.Title} → capped at {finding.Cap}");
            }
        }

        if (grade == "A" && r.Features.HstsMaxAge >= 15_552_000)
        {
            grade = "A+";
            r.GradeReasons.Add("no warnings and HSTS with max-age ≥ 180 days → A+");
        }

        r.Grade = grade;
    }

    private static int VersionScore(string name) => name switch
    {
        "SSL 2.0" => 0,
        "SSL 3.0" => 80,
        "TLS 1.0" => 90,
        "TLS 1.1" => 95,
        _ => 100,
    };

    private static int ProtocolScore(ScanReport r)
    {
        var scores = r.Protocols.Where(p => p.Supported).Select(p => VersionScore(p.Name)).ToList();
        return scores.Count == 0 ? 0 : (scores.Max() + scores.Min()) / 2;
    }

    /// <summary>By the weakest key exchange a client can be given: the certificate's key, the DH prime, the ECDHE curve (in RSA-equivalent bits).</summary>
    private static int KeyExchangeScore(ScanReport r)
    {
        var suites = r.AllSuites.Select(s => CipherSuiteCatalog.Find(Convert.ToUInt16(s.Code, 16))!).ToList();
        if (suites.Any(s => s.Export || s.Anonymous))
        {
            return 0;
        }

        var strengths = new List<int>();
        if (r.Certificate?.Chain.FirstOrDefault() is { } leaf)
        {
            strengths.Add(leaf.KeyType switch
            {
                "ECDSA" => leaf.KeyBits >= 384 ? 7680 : leaf.KeyBits >= 256 ? 3072 : 2048,
                "Ed25519" => 3072,
                "Ed448" => 7680,
                _ => leaf.KeyBits,
            });
        }

        if (r.Groups.DhBits is { } dh)
        {
            strengths.Add(dh);
        }

        foreach (var curve in r.Groups.Tls12.Concat(r.Groups.Tls13))
        {
            strengths.Add(curve switch
            {
                "secp384r1" or "secp521r1" or "x448" or "brainpoolP384r1" or "brainpoolP512r1" => 7680,
                "secp224r1" => 2048,
                _ when curve.StartsWith("ffdhe", StringComparison.Ordinal) => int.Parse(curve[5..], System.Globalization.CultureInfo.InvariantCulture),
                _ => 3072,
            });
        }

        if (strengths.Count == 0)
        {
            return 0;
        }

        return strengths.Min() switch
        {
            < 512 => 20,
            < 1024 => 40,
            < 2048 => 80,
            < 4096 => 90,
            _ => 100,
        };
    }

    private static int CipherScore(ScanReport r)
    {
        var bits = r.AllSuites.Select(s => s.Bits).ToList();
        if (bits.Count == 0)
        {
            return 0;
        }

        static int Score(int b) => b switch
        {
            0 => 0,
            < 128 => 20,
            < 256 => 80,
            _ => 100,
        };
        return (Score(bits.Max()) + Score(bits.Min())) / 2;
    }
}
