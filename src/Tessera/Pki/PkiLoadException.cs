namespace Tessera.Pki;

/// <summary>A certificate or key file could not be used; the message names the file and the cause.</summary>
public sealed class PkiLoadException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PkiLoadException() { }

    /// <summary>Creates the exception with a message.</summary>
    public PkiLoadException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public PkiLoadException(string message, Exception innerException) : base(message, innerException) { }
}
