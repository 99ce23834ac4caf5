using Tessera.Pki;
using Tessera.Pki.X509;

namespace Tessera.Fuzz;

/// <summary>The rules every refusal of bad input must keep.</summary>
public static class Expect
{
    /// <summary>
    /// A refusal of a peer's bytes names what was wrong with them: internal_error would mean that a bug (an index out
    /// of range, a null) was caught and papered over as an alert. (The peer may of course send internal_error itself.)
    /// </summary>
    public static void PeerInputAlert(TlsException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (exception.Alert == AlertDescription.InternalError && exception.AlertSource == AlertSource.Local)
        {
            throw new FuzzFinding($"internal_error on peer input: {exception.Message}", exception);
        }
    }

    /// <summary>Runs a parser of files or DER: it may refuse the input only with the library's own exception types.</summary>
    public static void OnlyFormatErrors(Action parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        try
        {
            parse();
        }
        catch (CertificateFormatException)
        {
        }
        catch (PkiLoadException)
        {
        }
        catch (TlsException ex)
        {
            PeerInputAlert(ex);
        }
    }
}
