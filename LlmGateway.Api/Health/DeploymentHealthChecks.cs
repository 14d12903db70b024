using LlmGateway.Api.Configuration;
using LlmGateway.Api.Routing;

namespace LlmGateway.Api.Health;

/// <summary>
/// Probes every deployment each <c>general_settings.health_check_interval</c> (default 30 s, jittered ±10%). In a
/// cluster one replica probes per interval (a Redis lease); the others read the verdicts from Redis. Deployments added
/// at run time (<c>/model/new</c>) are probed from the next round.
/// </summary>
public sealed class DeploymentHealthChecks(
    DeploymentProber prober, DeploymentStateStore store, RoutingPolicy policy, GatewayConfig config, ModelCatalog catalog, ILogger<DeploymentHealthChecks> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (catalog.Deployments.Count == 0 && !config.StoreModelInDb)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            var interval = policy.HealthCheckInterval;
            try
            {
                await Task.Delay(interval * (0.9 + (Random.Shared.NextDouble() * 0.2)), stoppingToken);
                if (catalog.Serving is { Count: > 0 } deployments && await store.TryAcquireLeaseAsync("health-checks", interval * 0.8))
                {
                    var results = await prober.ProbeAllAsync(deployments, stoppingToken);
                    logger.LogDebug("Health checks: {Healthy} of {Count} deployments healthy", results.Count(r => r.Healthy), results.Count);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The loop must outlive any single bad round.
                logger.LogError(ex, "Health check round failed");
            }
        }
    }
}
