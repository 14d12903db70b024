using LlmGateway.Api.Data;
using LlmGateway.Api.Pricing;
using Microsoft.EntityFrameworkCore;
using StackExchange.Redis;

namespace LlmGateway.Api.Limits;

/// <summary>
/// Rebuilds a missing budget counter (a new window, or Redis lost its data) from the Postgres spend ledger,
/// so a Redis restart never hands a team its budget back. Also answers "spent this period" for the management API.
/// </summary>
public sealed class LedgerSeeder(IServiceScopeFactory scopes, IConnectionMultiplexer redis)
{
    public async Task SeedAsync(LimitScope scope, DateTimeOffset now, CancellationToken ct)
    {
        var spent = await LedgerSumAsync(scope, ct);
        // NX: a replica that seeded first (and may already have counted spend on top) wins.
        await redis.GetDatabase().StringSetAsync(scope.SpentKey, Money.ToNanos(spent),
            TimeSpan.FromMilliseconds(scope.CounterTtlMs(now)), When.NotExists);
    }

    /// <summary>Spend of the scope's current window: the Redis counter when present, else the ledger.</summary>
    public async Task<decimal> CurrentSpendAsync(LimitScope scope, CancellationToken ct)
    {
        try
        {
            var value = await redis.GetDatabase().StringGetAsync(scope.SpentKey);
            if (value.HasValue && long.TryParse(value.ToString(), out var nanos))
            {
                return Money.FromNanos(nanos);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // fall through to the ledger
        }

        return await LedgerSumAsync(scope, ct);
    }

    private async Task<decimal> LedgerSumAsync(LimitScope scope, CancellationToken ct)
    {
        await using var serviceScope = scopes.CreateAsyncScope();
        var db = serviceScope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var rows = db.SpendLogs.AsNoTracking().Where(s => s.StartTime >= scope.Window.Start && !s.IsHealthCheck);
        rows = scope.LedgerKeyHash is { } hash ? rows.Where(s => s.ApiKey == hash)
            : scope.LedgerUserId is { } user ? rows.Where(s => s.User == user)
            : rows.Where(s => s.TeamId == scope.LedgerTeamId);
        return await rows.SumAsync(s => (decimal?)s.Spend, ct) ?? 0m;
    }
}
