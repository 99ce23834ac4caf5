using Tessera.Sessions;

namespace Tessera.Fuzz.Targets;

/// <summary>
/// <see cref="TlsSession.Import"/>: exported sessions come back from files and caches an attacker may write to, so
/// anything but a session it wrote must end in <see cref="FormatException"/>.
/// </summary>
public sealed class SessionTarget : IFuzzTarget
{
    /// <inheritdoc />
    public string Name => "session";

    /// <inheritdoc />
    public string Description => "exported session reader (TlsSession.Import)";

    /// <inheritdoc />
    public void Run(ReadOnlySpan<byte> input)
    {
        try
        {
            var session = TlsSession.Import(input);
            _ = session.Export();
        }
        catch (FormatException)
        {
        }
    }
}
