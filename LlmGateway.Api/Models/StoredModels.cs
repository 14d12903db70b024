using System.Security.Cryptography;
using System.Text.Json.Nodes;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Data;
using LlmGateway.Api.Data.Entities;
using Microsoft.EntityFrameworkCore;
using StackExchange.Redis;

namespace LlmGateway.Api.Models;

/// <summary>
/// Brings the deployments stored in Postgres into the <see cref="ModelCatalog"/>: read whole (the table is small), turned
/// into deployments as the config's entries are (secrets opened, <c>os.environ/</c> resolved), swapped in when anything
/// changed. A change made here is announced on <see cref="Channel"/> so every replica reloads at once.
/// </summary>
public sealed class StoredModels(
    IServiceScopeFactory scopes, ModelCatalog catalog, ModelSecrets secrets, IConnectionMultiplexer redis, ILogger<StoredModels> logger)
{
    public static readonly RedisChannel Channel = RedisKeys.Channel("models:changed");

    private readonly SemaphoreSlim reloading = new(1, 1);
    // Unchanged rows keep their deployment object, so per-deployment caches (prices) are not rebuilt on every change.
    private Dictionary<string, (DateTimeOffset UpdatedAt, DeploymentConfig? Deployment)> loaded = new(StringComparer.Ordinal);

    /// <summary>Reads the table and swaps the stored deployments in when any row was added, changed or removed.</summary>
    public async Task ReloadAsync(CancellationToken ct)
    {
        await reloading.WaitAsync(ct);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
            var rows = await db.ProxyModels.AsNoTracking().OrderBy(m => m.CreatedAt).ThenBy(m => m.ModelId).ToListAsync(ct);
            if (rows.Count == loaded.Count && rows.All(r => loaded.TryGetValue(r.ModelId, out var seen) && seen.UpdatedAt == r.UpdatedAt))
            {
                return;
            }

            var next = new Dictionary<string, (DateTimeOffset, DeploymentConfig?)>(StringComparer.Ordinal);
            var index = catalog.Deployments.Count - catalog.Stored.Count;
            foreach (var row in rows)
            {
                var deployment = loaded.TryGetValue(row.ModelId, out var seen) && seen.UpdatedAt == row.UpdatedAt && seen.Deployment?.Index == index
                    ? seen.Deployment
                    : ToDeployment(row, index);
                next[row.ModelId] = (row.UpdatedAt, deployment);
                index++;
            }

            loaded = next;
            catalog.Replace([.. next.Values.Select(v => v.Item2).OfType<DeploymentConfig>()]);
        }
        finally
        {
            reloading.Release();
        }
    }

    /// <summary>Tells every replica to reload; a lost message is caught up by their poll.</summary>
    public async Task PublishAsync()
    {
        try
        {
            await redis.GetSubscriber().PublishAsync(Channel, "changed").WaitAsync(TimeSpan.FromSeconds(1));
        }
        catch (Exception ex) when (RedisFailures.IsTransient(ex) || ex is TimeoutException)
        {
            logger.LogWarning("Could not announce a model change ({Error}); other replicas see it at their next poll", ex.GetType().Name);
        }
    }

    /// <summary>The row as a deployment; null (and a warning) when it no longer reads, e.g. its secrets were sealed under another key.</summary>
    private DeploymentConfig? ToDeployment(ProxyModel row, int index)
    {
        try
        {
            var litellmParams = secrets.Join(row.LitellmParams, row.EncryptedSecrets);
            var info = JsonNode.Parse(row.ModelInfo) as JsonObject ?? [];
            info["id"] = row.ModelId;
            var deployment = JsonDeployment.Read(index, row.ModelName, litellmParams, info, Environment.GetEnvironmentVariable, out var warnings);
            foreach (var warning in warnings)
            {
                logger.LogWarning("Stored model {ModelId}: {Warning}", row.ModelId, warning);
            }

            return deployment;
        }
        catch (Exception ex) when (ex is GatewayConfigException or CryptographicException or System.Text.Json.JsonException)
        {
            logger.LogError("Stored model {ModelId} ({ModelName}) is left out: {Error}", row.ModelId, row.ModelName,
                ex is CryptographicException ? "its secrets do not open with the configured key (Gateway:ModelSecretsKey)" : ex.Message);
            return null;
        }
    }
}
