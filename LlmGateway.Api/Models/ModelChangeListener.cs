using System.Threading.Channels;
using LlmGateway.Api.Configuration;
using StackExchange.Redis;

namespace LlmGateway.Api.Models;

/// <summary>
/// With <c>store_model_in_db</c>: loads the stored deployments once the schema is ready (the replica is not ready
/// before), then reloads them whenever another replica announces a change on <see cref="StoredModels.Channel"/>, and
/// every <see cref="ModelsOptions.PollSeconds"/> in case a message was lost (Redis down, a reconnect).
/// </summary>
internal sealed class ModelChangeListener(
    StoredModels models, GatewayConfig config, GatewayReadiness readiness, IConnectionMultiplexer redis, ModelsOptions options,
    ModelSecrets secrets, ILogger<ModelChangeListener> logger) : BackgroundService
{
    private readonly Channel<bool> wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

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

        while (!readiness.SchemaReady)
        {
            await Task.Delay(100, stoppingToken);
        }

        await SubscribeAsync();
        var poll = TimeSpan.FromSeconds(Math.Max(0.1, options.PollSeconds));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await models.ReloadAsync(stoppingToken);
                readiness.ModelsLoaded = true;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("Loading the stored models failed ({Error}); retrying", ex.GetType().Name);
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(readiness.ModelsLoaded ? poll : TimeSpan.FromMilliseconds(500));
            try
            {
                await wake.Reader.ReadAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
            }
        }
    }

    // StackExchange.Redis restores the subscription after a reconnect; until then the poll carries changes.
    private async Task SubscribeAsync()
    {
        try
        {
            await redis.GetSubscriber().SubscribeAsync(StoredModels.Channel, (_, _) => wake.Writer.TryWrite(true)).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (RedisFailures.IsTransient(ex) || ex is TimeoutException)
        {
            logger.LogWarning("Could not subscribe to model changes ({Error}); they arrive by the poll instead", ex.GetType().Name);
        }
    }
}
