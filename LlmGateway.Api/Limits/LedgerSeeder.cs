using System.Collections.Concurrent;
using LlmGateway.Api.Data;
using LlmGateway.Api.Pricing;
using Microsoft.EntityFrameworkCore;
using StackExchange.Redis;

namespace LlmGateway.Api.Limits;

/// <summary>
/// Rebuilds a missing budget counter (a new window, or Redis lost its data) from the Postgres spend ledger,
/// so a Redis restart never hands a team its budget back. Also answers "spent this period" for the management API.
/// </summary>
public sealed class LedgerSeeder(IServiceScopeFactory scopes, IConnectionMultiplexer redis, ScriptBatcher batcher)
{
    /// <summary>Seeds in flight, by counter: the first burst of a new scope all find its counter missing at once.</summary>
    private readonly ConcurrentDictionary<string, Lazy<Task>> seeding = new(StringComparer.Ordinal);

    /// <summary>
    /// Seeds the scope's counter from the ledger. Concurrent callers for one counter share one ledger read and one SET
    /// per replica: 200 first requests of a new user or team would otherwise run 200 ledger queries at once, slow Redis
    /// and Postgres past their timeouts and send the burst to the per-replica fallback, over the budget.
    /// </summary>
    public Task SeedAsync(LimitScope scope, DateTimeOffset now, CancellationToken ct)
    {
        var key = scope.SpentKey;
        var seed = seeding.GetOrAdd(key, k => new Lazy<Task>(() => SeedOnceAsync(scope, now, k)));
        return seed.Value.WaitAsync(ct);
    }

    private async Task SeedOnceAsync(LimitScope scope, DateTimeOffset now, string key)
    {
        try
        {
            var spent = await LedgerSumAsync(scope, CancellationToken.None);
            // NX: a replica that seeded first (and may already have counted spend on top) wins.
            await redis.GetDatabase().StringSetAsync(key, Money.ToNanos(spent), TimeSpan.FromMilliseconds(scope.CounterTtlMs(now)), When.NotExists);
        }
        finally
        {
            seeding.TryRemove(key, out _);
        }
    }

    /// <summary>
    /// Spend of the scope's current window: the Redis counter when present, else the ledger. The settles waiting on this
    /// replica are sent first, so the spend includes every request it has answered.
    /// </summary>
    public async Task<decimal> CurrentSpendAsync(LimitScope scope, CancellationToken ct)
    {
        try
        {
            await batcher.FlushSettlesAsync();
            var value = await redis.GetDatabase().StringGetAsync(scope.SpentKey);
            if (value.HasValue && long.TryParse(value.ToString(), out var nanos))
            {
                return Money.FromNanos(nanos);
            }
        }
        catch (Exception ex) when (RedisFailures.IsTransient(ex))
        {
            // fall through to the ledger
        }

        return await LedgerSumAsync(scope, ct);
    }

    /// <summary>What the ledger has for the scope's current window.</summary>
    public async Task<decimal> LedgerSumAsync(LimitScope scope, CancellationToken ct)
    {
        await using var serviceScope = scopes.CreateAsyncScope();
        var db = serviceScope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var rows = db.SpendLogs.AsNoTracking().Where(s => s.StartTime >= scope.Window.Start && !s.IsHealthCheck);
        rows = scope.LedgerOrganizationId is { } org ? rows.Where(s => db.Teams.Any(t => t.OrganizationId == org && t.TeamId == s.TeamId))
            : scope is { LedgerUserId: { } member, LedgerTeamId: { } team } ? rows.Where(s => s.User == member && s.TeamId == team)
            : scope.LedgerKeyHash is { } hash ? rows.Where(s => s.ApiKey == hash)
            : scope.LedgerUserId is { } user ? rows.Where(s => s.User == user)
            : scope.LedgerEndUser is { } endUser ? rows.Where(s => s.EndUser == endUser)
            : scope.LedgerTag is { } tag ? rows.Where(s => s.RequestTags.Contains(tag))
            : rows.Where(s => s.TeamId == scope.LedgerTeamId);
        return await rows.SumAsync(s => (decimal?)s.Spend, ct) ?? 0m;
    }
}
