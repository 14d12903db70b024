using System.Security.Cryptography;
using System.Text.Json.Nodes;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Data;
using LlmGateway.Api.Data.Entities;
using LlmGateway.Api.Replication;
using Microsoft.EntityFrameworkCore;
using StackExchange.Redis;

namespace LlmGateway.Api.Models;

/// <summary>
/// Brings the deployments stored in Postgres into the <see cref="ModelCatalog"/>: read whole (the table is small), turned
/// into deployments as the config's entries are (secrets opened, <c>os.environ/</c> resolved), swapped in when anything
/// changed. A replicated table (<see cref="ReplicatedTable{T}"/>): a change made here is announced on <see cref="Channel"/>
/// so every replica reloads at once, and every <see cref="ModelsOptions.PollSeconds"/> covers a lost message.
/// </summary>
public sealed class StoredModels
{
    public static readonly RedisChannel Channel = RedisKeys.Channel("models:changed");

    private readonly IServiceScopeFactory scopes;
    private readonly ModelCatalog catalog;
    private readonly ModelSecrets secrets;
    private readonly ILogger<StoredModels> logger;

    public StoredModels(IServiceScopeFactory scopes, ModelCatalog catalog, ModelSecrets secrets, ReplicatedTables tables, ModelsOptions options,
        ILogger<StoredModels> logger)
    {
        this.scopes = scopes;
        this.catalog = catalog;
        this.secrets = secrets;
        this.logger = logger;
        Table = tables.Create<Loaded>("the stored models", Channel, new Loaded(StringComparer.Ordinal),
            TimeSpan.FromSeconds(Math.Max(0.1, options.PollSeconds)), LoadAsync);
    }

    /// <summary>This replica's copy of the stored models: each row's last update and its deployment.</summary>
    public ReplicatedTable<Loaded> Table { get; }

    /// <summary>Reads the table and swaps the stored deployments in when any row was added, changed or removed.</summary>
    public Task ReloadAsync(CancellationToken ct) => Table.ReloadAsync(ct);

    /// <summary>Tells every replica to reload; a lost message is caught up by their poll.</summary>
    public Task PublishAsync() => Table.AnnounceAsync();

    /// <summary>The rows read last, by model id.</summary>
    public sealed class Loaded(StringComparer comparer) : Dictionary<string, (DateTimeOffset UpdatedAt, DeploymentConfig? Deployment)>(comparer);

    // Unchanged rows keep their deployment object, so per-deployment caches (prices) are not rebuilt on every change.
    private async Task<Loaded> LoadAsync(Loaded loaded, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var rows = await db.ProxyModels.AsNoTracking().OrderBy(m => m.CreatedAt).ThenBy(m => m.ModelId).ToListAsync(ct);
        if (rows.Count == loaded.Count && rows.All(r => loaded.TryGetValue(r.ModelId, out var seen) && seen.UpdatedAt == r.UpdatedAt))
        {
            return loaded;
        }

        var next = new Loaded(StringComparer.Ordinal);
        var index = catalog.Deployments.Count - catalog.Stored.Count;
        foreach (var row in rows)
        {
            var deployment = loaded.TryGetValue(row.ModelId, out var seen) && seen.UpdatedAt == row.UpdatedAt && seen.Deployment?.Index == index
                ? seen.Deployment
                : ToDeployment(row, index);
            next[row.ModelId] = (row.UpdatedAt, deployment);
            index++;
        }

        catalog.Replace([.. next.Values.Select(v => v.Deployment).OfType<DeploymentConfig>()]);
        return next;
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
