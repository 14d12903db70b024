using System.Collections.Frozen;
using LlmGateway.Api.Data;
using LlmGateway.Api.Replication;
using Microsoft.EntityFrameworkCore;
using StackExchange.Redis;

namespace LlmGateway.Api.Tags;

/// <summary>
/// The tag table in memory, so a request's tags cost no Postgres round trip: a replicated table
/// (<see cref="ReplicatedTable{T}"/>), reloaded at once on every replica when a tag changes and every
/// <see cref="TagOptions.RefreshSeconds"/> in case a message was missed. Only the tags in it get limit scopes: a client
/// naming tags of its own creates no counters.
/// </summary>
public sealed class TagDirectory : BackgroundService
{
    private static readonly RedisChannel Channel = RedisKeys.Channel("tags:changed");
    private static readonly TimeSpan FirstLoadWait = TimeSpan.FromSeconds(10);
    private readonly IServiceScopeFactory scopes;

    public TagDirectory(IServiceScopeFactory scopes, ReplicatedTables tables, TagOptions options)
    {
        this.scopes = scopes;
        Table = tables.Create("the tag table", Channel, FrozenDictionary<string, TagRecord>.Empty,
            TimeSpan.FromSeconds(Math.Max(1, options.RefreshSeconds)), LoadAsync);
    }

    /// <summary>This replica's copy of the tag table.</summary>
    public ReplicatedTable<FrozenDictionary<string, TagRecord>> Table { get; }

    public bool TryGet(string name, out TagRecord tag) => Table.Current.TryGetValue(name, out tag!);

    /// <summary>
    /// Waits (at most 10 s, not at all once a load failed) for the first load, so the first requests after a start are not
    /// admitted past a tag's budget.
    /// </summary>
    public ValueTask<bool> LoadedAsync(CancellationToken ct) => Table.LoadedAsync(FirstLoadWait, ct);

    /// <summary>Reloads here, and tells every other replica to reload.</summary>
    public Task PublishChangeAsync(CancellationToken ct) => Table.PublishChangeAsync(ct);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Table.RunAsync(stoppingToken);

    private async Task<FrozenDictionary<string, TagRecord>> LoadAsync(FrozenDictionary<string, TagRecord> _, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var rows = await db.Tags.AsNoTracking().ToListAsync(ct);
        return rows.ToFrozenDictionary(t => t.Name, TagRecord.From, StringComparer.Ordinal);
    }
}
