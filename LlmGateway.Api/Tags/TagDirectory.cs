using System.Collections.Frozen;
using LlmGateway.Api.Data;
using Microsoft.EntityFrameworkCore;
using StackExchange.Redis;

namespace LlmGateway.Api.Tags;

/// <summary>
/// The tag table in memory, so a request's tags cost no Postgres round trip. Reloaded at once on every replica when a tag
/// changes (Redis pub/sub), and every <see cref="TagOptions.RefreshSeconds"/> in case a message was missed. Only the tags
/// in it get limit scopes: a client naming tags of its own creates no counters.
/// </summary>
public sealed class TagDirectory(IServiceScopeFactory scopes, IConnectionMultiplexer redis, TagOptions options, GatewayReadiness readiness,
    ILogger<TagDirectory> logger) : BackgroundService
{
    private static readonly RedisChannel Channel = RedisKeys.Channel("tags:changed");
    private readonly TaskCompletionSource firstLoad = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim wake = new(0);
    private volatile FrozenDictionary<string, TagRecord> tags = FrozenDictionary<string, TagRecord>.Empty;

    public bool TryGet(string name, out TagRecord tag) => tags.TryGetValue(name, out tag!);

    /// <summary>Waits (at most 10 s) for the first load, so the first requests after a start are not admitted past a tag's budget.</summary>
    public async ValueTask<bool> LoadedAsync(CancellationToken ct)
    {
        if (!firstLoad.Task.IsCompleted)
        {
            await Task.WhenAny(firstLoad.Task, Task.Delay(TimeSpan.FromSeconds(10), ct));
            ct.ThrowIfCancellationRequested();
        }

        return firstLoad.Task.IsCompleted;
    }

    public async Task ReloadAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var rows = await db.Tags.AsNoTracking().ToListAsync(ct);
        tags = rows.ToFrozenDictionary(t => t.Name, TagRecord.From, StringComparer.Ordinal);
        firstLoad.TrySetResult();
    }

    /// <summary>Reloads here, and tells every other replica to reload.</summary>
    public async Task PublishChangeAsync(CancellationToken ct)
    {
        await ReloadAsync(ct);
        try
        {
            await redis.GetSubscriber().PublishAsync(Channel, "changed").WaitAsync(TimeSpan.FromSeconds(1), ct);
        }
        catch (Exception ex) when (RedisFailures.IsTransient(ex))
        {
            logger.LogWarning("Could not publish a tag change ({Error}); other replicas see it within {Seconds} s", ex.GetType().Name, options.RefreshSeconds);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await redis.GetSubscriber().SubscribeAsync(Channel, (_, _) => wake.Release());
        }
        catch (Exception ex) when (RedisFailures.IsTransient(ex))
        {
            logger.LogWarning("Could not subscribe to tag changes ({Error}); tags are reloaded every {Seconds} s", ex.GetType().Name, options.RefreshSeconds);
        }

        var period = TimeSpan.FromSeconds(Math.Max(1, options.RefreshSeconds));
        while (!stoppingToken.IsCancellationRequested)
        {
            var loaded = readiness.SchemaReady && await TryReloadAsync(stoppingToken);
            try
            {
                await wake.WaitAsync(loaded ? period : TimeSpan.FromSeconds(1), stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<bool> TryReloadAsync(CancellationToken ct)
    {
        try
        {
            await ReloadAsync(ct);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning("Could not load the tag table ({Error}); the last one loaded stays in force", ex.GetType().Name);
            return false;
        }
    }

    public override void Dispose()
    {
        wake.Dispose();
        base.Dispose();
    }
}
