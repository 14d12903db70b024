using LlmGateway.Api.Proxy;
using LlmGateway.Api.Telemetry;

namespace LlmGateway.Api.Shutdown;

/// <summary>
/// Proxy requests being served, counted so that shutdown can wait for them (and exported as a metric), and the work a
/// finished request left running (its settle and usage event, sent before the response ended and awaited off its path).
/// </summary>
public sealed class InFlightRequests
{
    private readonly Lock gate = new();
    private TaskCompletionSource? idle;
    private int count;

    public int Count => Volatile.Read(ref count);

    /// <summary>Completes when no proxy request is in flight (at once if none is).</summary>
    public Task WhenIdleAsync()
    {
        lock (gate)
        {
            if (count == 0)
            {
                return Task.CompletedTask;
            }

            idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return idle.Task;
        }
    }

    /// <summary>
    /// Work a request left running after it returned: counted (shutdown waits for it like a request) until it completes.
    /// The work must not throw; a fault is logged by its owner.
    /// </summary>
    public void Finishing(Task work)
    {
        if (work.IsCompleted)
        {
            return;
        }

        lock (gate)
        {
            count++;
        }

        work.ContinueWith(static (_, state) => ((InFlightRequests)state!).Finished(), this,
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void Finished()
    {
        TaskCompletionSource? done = null;
        lock (gate)
        {
            if (--count == 0)
            {
                (done, idle) = (idle, null);
            }
        }

        done?.TrySetResult();
    }

    /// <summary>A proxy request arrived: it is counted until <see cref="Exit"/>.</summary>
    public void Enter()
    {
        lock (gate)
        {
            count++;
        }

        ProxyMetrics.InFlight.Add(1);
    }

    /// <summary>A proxy request's pipeline (usage recorded) is done.</summary>
    public void Exit(HttpContext context)
    {
        ProxyMetrics.InFlight.Add(-1);
        ProxyMetrics.Count(context);
        Finished();
    }
}

/// <summary>The first filter of the proxy routes: the request is counted, and its stage timings start.</summary>
public sealed class InFlightFilter(InFlightRequests inFlight) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        context.HttpContext.Features.Set(new RequestTimings());
        inFlight.Enter();
        try
        {
            return await next(context);
        }
        finally
        {
            inFlight.Exit(context.HttpContext);
        }
    }
}
