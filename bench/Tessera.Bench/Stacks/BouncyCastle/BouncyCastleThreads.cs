namespace Tessera.Bench.Stacks;

/// <summary>
/// Dedicated threads for BouncyCastle's blocking calls (handshakes, reads, writes), reused once idle and never
/// retired. Blocking calls on the thread pool would starve it (a handshake holds two threads that wait on each
/// other); here a call only waits for the network.
/// </summary>
internal static class BouncyCastleThreads
{
    private static readonly Lock s_lock = new();
    private static readonly Stack<Worker> s_idle = new();
    private static int s_started;

    public static Task Run(Action work)
    {
        var job = new Job<bool>(() =>
        {
            work();
            return true;
        });
        Dispatch(job);
        return job.Task;
    }

    public static Task<T> Run<T>(Func<T> work)
    {
        var job = new Job<T>(work);
        Dispatch(job);
        return job.Task;
    }

    private static void Dispatch(IJob job)
    {
        Worker? worker;
        lock (s_lock)
            s_idle.TryPop(out worker);
        if (worker is not null)
            worker.Assign(job);
        else
            _ = new Worker(job);
    }

    private interface IJob
    {
        void Execute();
    }

    /// <summary>A call and the task that reports it; continuations run on the thread pool, not here.</summary>
    private sealed class Job<T>(Func<T> work) : IJob
    {
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<T> Task => _completion.Task;

        public void Execute()
        {
            try
            {
                _completion.SetResult(work());
            }
            catch (Exception ex)
            {
                _completion.SetException(ex);
            }
        }
    }

    private sealed class Worker
    {
        private readonly object _gate = new(); // a monitor: Wait/Pulse
        private IJob? _job;

        public Worker(IJob first)
        {
            _job = first;
            var thread = new Thread(Loop)
            {
                IsBackground = true,
                Name = $"BouncyCastle TLS {Interlocked.Increment(ref s_started)}",
            };
            thread.Start();
        }

        public void Assign(IJob job)
        {
            lock (_gate)
            {
                _job = job;
                Monitor.Pulse(_gate);
            }
        }

        private void Loop()
        {
            while (true)
            {
                IJob job;
                lock (_gate)
                {
                    while (_job is null)
                        Monitor.Wait(_gate);
                    job = _job;
                    _job = null;
                }
                job.Execute();
                lock (s_lock)
                    s_idle.Push(this);
            }
        }
    }
}
