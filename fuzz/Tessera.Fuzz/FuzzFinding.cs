namespace Tessera.Fuzz;

/// <summary>Thrown by a target when Tessera broke a rule it must keep whatever the input (a hang, a wrong alert, memory held).</summary>
public sealed class FuzzFinding : Exception
{
    /// <summary>Creates the finding.</summary>
    public FuzzFinding(string message) : base(message) { }

    /// <summary>Creates the finding with the exception behind it.</summary>
    public FuzzFinding(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates an empty finding.</summary>
    public FuzzFinding() { }
}
