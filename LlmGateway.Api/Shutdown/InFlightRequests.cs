using LlmGateway.Api.Telemetry;

namespace LlmGateway.Api.Shutdown;

/// <summary>Proxy requests being served, counted so that shutdown can wait for them (and exported as a metric).</summary>
public sealed class InFlightRequests
{
    private static readonly string[] ProxyPaths = ["/v1/chat/completions", "/chat/completions", "/v1/messages", "/v1/embeddings", "/embeddings"];
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

    public static bool IsProxyPath(PathString path) => ProxyPaths.Any(p => path.Equals(p, StringComparison.OrdinalIgnoreCase));

    /// <summary>Middleware: counts proxy requests from arrival until the pipeline (usage recorded) is done.</summary>
    public async Task TrackAsync(HttpContext context, Func<Task> next)
    {
        if (!HttpMethods.IsPost(context.Request.Method) || !IsProxyPath(context.Request.Path))
        {
            await next();
            return;
        }

        lock (gate)
        {
            count++;
        }

        GatewayMetrics.InFlight.Add(1);
        try
        {
            await next();
        }
        finally
        {
            GatewayMetrics.InFlight.Add(-1);
            GatewayMetrics.Count(context);
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
    }
}

/// <summary>Puts <see cref="InFlightRequests"/> first in the pipeline without touching Program.cs.</summary>
internal sealed class InFlightStartupFilter(InFlightRequests inFlight) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) => inFlight.TrackAsync(context, () => nextMiddleware(context)));
        next(app);
    };
}
