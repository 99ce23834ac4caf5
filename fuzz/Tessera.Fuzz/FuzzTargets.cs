using Tessera.Fuzz.Targets;

namespace Tessera.Fuzz;

/// <summary>Every fuzz target, by name.</summary>
public static class FuzzTargets
{
    /// <summary>The targets, in the order <c>list</c> prints them.</summary>
    public static IReadOnlyList<IFuzzTarget> All { get; } =
    [
        new RecordLayerTarget(),
        new HandshakeMessageTarget(),
        new ExtensionTarget(),
        new EngineTarget(server: true),
        new EngineTarget(server: false),
        new X509Target(),
        new CrlTarget(),
        new OcspTarget(),
        new PemTarget(),
        new SessionTarget(),
        new EchTarget(),
    ];

    /// <summary>The target called <paramref name="name"/>, or null.</summary>
    public static IFuzzTarget? Find(string name) => All.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase));
}
