using System.Collections.Concurrent;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Providers;

namespace LlmGateway.Api.Routing;

/// <summary>
/// Where the router reports an <c>llm_exceptions</c> alert (a deployment cooled down). The alerting pipeline replaces
/// the default by registering its own implementation; calls must return quickly and never throw.
/// </summary>
public interface IDeploymentAlertSink
{
    void DeploymentCooledDown(DeploymentConfig deployment, ProviderFailure failure, TimeSpan cooldown);
}

/// <summary>The default sink: a warning in the log, at most once per deployment every 5 minutes.</summary>
public sealed class LoggingDeploymentAlertSink(TimeProvider clock, ILogger<LoggingDeploymentAlertSink> logger) : IDeploymentAlertSink
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMinutes(5);
    private readonly ConcurrentDictionary<string, DateTimeOffset> lastSent = new(StringComparer.Ordinal);

    public void DeploymentCooledDown(DeploymentConfig deployment, ProviderFailure failure, TimeSpan cooldown)
    {
        var now = clock.GetUtcNow();
        var previous = lastSent.GetValueOrDefault(deployment.Id, DateTimeOffset.MinValue);
        if (now - previous < Quiet || !lastSent.TryUpdate(deployment.Id, now, previous) && !lastSent.TryAdd(deployment.Id, now))
        {
            return;
        }

        logger.LogWarning("llm_exceptions: deployment {Deployment} of model group {Group} cooled down for {Seconds:0.#} s after {Kind} (HTTP {Status})",
            deployment.Id, deployment.ModelName, cooldown.TotalSeconds, failure.Kind, failure.StatusCode);
    }
}
