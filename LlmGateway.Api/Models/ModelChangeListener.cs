using LlmGateway.Api.Configuration;

namespace LlmGateway.Api.Models;

/// <summary>
/// With <c>store_model_in_db</c>: keeps the stored deployments' replicated table running (<see cref="StoredModels.Table"/>):
/// loaded once the schema is ready (the replica is not ready before), reloaded on every change announced on
/// <see cref="StoredModels.Channel"/> and every <see cref="ModelsOptions.PollSeconds"/> in case a message was lost.
/// </summary>
internal sealed class ModelChangeListener(StoredModels models, GatewayConfig config, GatewayReadiness readiness, ModelSecrets secrets,
    ILogger<ModelChangeListener> logger) : BackgroundService
{
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (config.StoreModelInDb)
        {
            readiness.ModelsLoaded = false;
        }

        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!config.StoreModelInDb)
        {
            return;
        }

        if (!secrets.HasKey || secrets.Source == ModelSecrets.MasterKeySource)
        {
            logger.LogWarning("store_model_in_db is on and stored model secrets are sealed under {Source}: set Gateway:ModelSecretsKey, " +
                "or rotating the master key makes them unreadable", secrets.HasKey ? secrets.Source : "no key at all");
        }

        _ = models.Table.FirstLoad.ContinueWith(_ => readiness.ModelsLoaded = true, stoppingToken, TaskContinuationOptions.OnlyOnRanToCompletion,
            TaskScheduler.Default);
        await models.Table.RunAsync(stoppingToken);
    }
}
