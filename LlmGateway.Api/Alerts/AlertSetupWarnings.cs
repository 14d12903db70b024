namespace LlmGateway.Api.Alerts;

/// <summary>Says once at start-up which enabled alert channels cannot send (a missing URL or SMTP host), without secrets.</summary>
internal sealed class AlertSetupWarnings(AlertSetup setup, ILogger<AlertSetupWarnings> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var problem in setup.Problems())
        {
            logger.LogWarning("Alerts: {Problem}", problem);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
