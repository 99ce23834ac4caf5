using System.CommandLine;
using System.Runtime.InteropServices;

namespace Tessera.Cli;

/// <summary>
/// SIGINT (Ctrl+C) and SIGTERM, handled the same way by every command. The command's cancellation token fires and the
/// command stops cleanly: a server stops accepting and closes its connections, <c>load</c> stops the server it started,
/// files are closed. Nothing is printed, and the exit code is the one a shell reports for a program the signal ended,
/// which is what <c>openssl s_server</c> gives (it has no handler): 130 for SIGINT, 143 for SIGTERM. A command still
/// running <see cref="GracePeriod"/> after the signal is abandoned with the same code; a second signal ends the process
/// at once.
/// </summary>
internal static class Interrupts
{
    /// <summary>How long a command has to stop after the signal (System.CommandLine's own default).</summary>
    public static readonly TimeSpan GracePeriod = TimeSpan.FromSeconds(2);

    private static int _signal;

    /// <summary>True once SIGINT or SIGTERM has come: a cancellation then is the user's, not a timeout.</summary>
    public static bool Received => Volatile.Read(ref _signal) != 0;

    /// <summary>Runs the parsed command line; the exit code is the command's, or 128 + the signal's number after a signal.</summary>
    public static int Run(ParseResult parse)
    {
        using var stop = new CancellationTokenSource();
        var signalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnSignal(PosixSignalContext context)
        {
            if (Interlocked.CompareExchange(ref _signal, context.Signal == PosixSignal.SIGINT ? 2 : 15, 0) != 0)
            {
                return;   // the second signal: its default action ends the process
            }

            context.Cancel = true;
            signalled.TrySetResult();
            stop.Cancel();
        }

        using var sigint = Register(PosixSignal.SIGINT, OnSignal);
        using var sigterm = Register(PosixSignal.SIGTERM, OnSignal);

        // System.CommandLine's own handler (ProcessTerminationTimeout) is off: it would let a command that returns in
        // time choose its exit code, so SIGTERM gave 0 from s_server and 130 from ca ocsp-serve.
        var invocation = parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, stop.Token);
        var deadline = signalled.Task.ContinueWith(_ => Task.Delay(GracePeriod), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
        bool finished = Task.WhenAny(invocation, deadline).GetAwaiter().GetResult() == invocation;
        int code = finished ? invocation.GetAwaiter().GetResult() : 0;
        return Received ? 128 + Volatile.Read(ref _signal) : code;
    }

    private static PosixSignalRegistration? Register(PosixSignal signal, Action<PosixSignalContext> handler)
    {
        try
        {
            return PosixSignalRegistration.Create(signal, handler);
        }
        catch (PlatformNotSupportedException)
        {
            return null;
        }
    }
}
