using Microsoft.Extensions.Options;

namespace LlmGateway.Api.Shutdown;

/// <summary>Shutdown settings (section <c>Gateway</c>).</summary>
public sealed class ShutdownOptions
{
    /// <summary>How long SIGTERM waits for in-flight proxy requests (streams) to finish before the server stops (default 30 s).</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// On SIGTERM: readiness turns 503 at once, then — before Kestrel stops listening — the host waits up to
/// <see cref="ShutdownOptions.DrainTimeout"/> for in-flight proxy requests, whose usage is recorded before they count as done.
/// New requests during the drain are still served (a load balancer stops sending them once readiness is 503).
/// The spend writer then drains the usage stream on its own stop.
/// </summary>
public sealed class GracefulShutdown(
    GatewayReadiness readiness, InFlightRequests inFlight, IOptions<ShutdownOptions> options, IHostApplicationLifetime lifetime,
    ILogger<GracefulShutdown> logger) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStopping.Register(() => readiness.Draining = true);
        return Task.CompletedTask;
    }

    // Runs before any hosted service stops, Kestrel included: the server still answers (readiness 503) while streams finish.
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        readiness.Draining = true;
        var timeout = options.Value.DrainTimeout;
        if (inFlight.Count == 0 || timeout <= TimeSpan.Zero)
        {
            return;
        }

        logger.LogInformation("Draining: waiting up to {Timeout} for {Count} in-flight requests", timeout, inFlight.Count);
        try
        {
            await inFlight.WhenIdleAsync().WaitAsync(timeout, cancellationToken);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            logger.LogWarning("Drain period over with {Count} requests still in flight; the server now stops them", inFlight.Count);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
