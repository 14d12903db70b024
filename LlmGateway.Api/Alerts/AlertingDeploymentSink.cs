using LlmGateway.Api.Configuration;
using LlmGateway.Api.Data.Entities;
using LlmGateway.Api.Providers;
using LlmGateway.Api.Routing;

namespace LlmGateway.Api.Alerts;

/// <summary>
/// <c>llm_exceptions</c>: a deployment cooled down. Queued (the router's call returns at once), recorded by the
/// delivery worker at most once per deployment per <see cref="AlertOptions.ExceptionQuietPeriod"/> slot across
/// replicas (the unique index), then delivered like every alert. The log line of the default sink stays.
/// </summary>
internal sealed class AlertingDeploymentSink(AlertSetup setup, AlertQueue queue, AlertDelivery delivery, TimeProvider clock, ILoggerFactory loggers)
    : IDeploymentAlertSink
{
    private readonly LoggingDeploymentAlertSink log = new(clock, loggers.CreateLogger<LoggingDeploymentAlertSink>());

    public void DeploymentCooledDown(DeploymentConfig deployment, ProviderFailure failure, TimeSpan cooldown)
    {
        try
        {
            log.DeploymentCooledDown(deployment, failure, cooldown);
            if (!setup.Sends(AlertTypes.LlmExceptions))
            {
                return;
            }

            var now = clock.GetUtcNow().ToUniversalTime();
            var quiet = setup.Options.ExceptionQuietPeriod.Ticks;
            var slot = new DateTimeOffset(now.UtcTicks / quiet * quiet, TimeSpan.Zero);
            var alert = new Alert
            {
                Id = Guid.CreateVersion7(now),
                Type = AlertTypes.LlmExceptions,
                Severity = "critical",
                Scope = "deployment",
                ScopeId = deployment.Id,
                Name = deployment.Id,
                PeriodStart = slot,
                ResetsAt = slot + setup.Options.ExceptionQuietPeriod,
                // The failure class only: a provider's message can quote the request.
                Message = $"Deployment '{deployment.Id}' of model group '{deployment.ModelName}' cooled down for {cooldown.TotalSeconds:0.#} s after {failure.Kind} (HTTP {failure.StatusCode}).",
                CreatedAt = now,
            };
            delivery.Prepare(alert, now);
            queue.TryEnqueue(alert);
        }
        catch (Exception)
        {
            // The router's contract: never throw from an alert sink.
        }
    }
}
