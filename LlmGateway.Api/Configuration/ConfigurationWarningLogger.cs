namespace LlmGateway.Api.Configuration;

/// <summary>Logs the configuration warnings once, when the host starts; they name keys and paths, never values.</summary>
internal sealed partial class ConfigurationWarningLogger(GatewayConfigLoadResult result, ILoggerFactory loggerFactory) : IHostedService
{
    private readonly ILogger logger = loggerFactory.CreateLogger("LlmGateway.Configuration");

    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var warning in result.Warnings)
            LogWarning(logger, warning);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Configuration: {Warning}")]
    private static partial void LogWarning(ILogger logger, string warning);
}
