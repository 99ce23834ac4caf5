namespace Tessera.Fuzz;

/// <summary>
/// One fuzz target: code of Tessera's that takes bytes from a peer or a file. <see cref="Run"/> returns normally for
/// any input Tessera handles the way it should (accepted, or refused with the library's own exception); anything
/// else escapes it and is a finding.
/// </summary>
public interface IFuzzTarget
{
    /// <summary>The name used on the command line and as the corpus folder.</summary>
    string Name { get; }

    /// <summary>One line on what the target covers.</summary>
    string Description { get; }

    /// <summary>Runs one input.</summary>
    void Run(ReadOnlySpan<byte> input);
}
