using LlmGateway.Api.Configuration;
using LlmGateway.Api.Routing;

namespace LlmGateway.Api.Health;

/// <summary>
/// Probes every deployment each <c>general_settings.health_check_interval</c> (default 30 s, jittered ±10%). In a
/// cluster one replica probes per interval (a Redis lease); the others read the verdicts from Redis.
/// </summary>
public sealed class DeploymentHealthChecks(
    DeploymentProber prober, DeploymentStateStore store, RoutingPolicy policy, GatewayConfig config, ILogger<DeploymentHealthChecks> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (config.Deployments.Count == 0)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            var interval = policy.HealthCheckInterval;
            try
            {
                await Task.Delay(interval * (0.9 + (Random.Shared.NextDouble() * 0.2)), stoppingToken);
                if (await store.TryAcquireLeaseAsync("health-checks", interval * 0.8))
                {
                    var results = await prober.ProbeAllAsync(config.Deployments, stoppingToken);
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
