using StackExchange.Redis;

namespace LlmGateway.Api.Limits;

/// <summary>
/// What an admin's change does to a scope's Redis counters when it changes which counters the scope uses. A key's counters
/// are named after its team (their hash tag), a budget's after its window; and a scope without a budget counts no spend
/// (<c>settle.lua</c> adds to a spent counter only for a scope with one). So moving a key to another team and back, setting
/// a budget again after lifting it, or changing a budget's period would reuse a counter left from before (stale: it missed
/// what was spent meanwhile) or start one from the ledger: the first is what these methods prevent (TimeAndAdminChangeAttackTests).
/// </summary>
public sealed class ScopeCounters(IConnectionMultiplexer redis, ILogger<ScopeCounters> logger)
{
    /// <summary>
    /// The scope's spent counter is rebuilt from the ledger at its next admission (<see cref="LedgerSeeder"/>) instead of
    /// used as it is: dropped here. A settle of a request in flight does not recreate it (<c>settle.lua</c> counts only into a
    /// counter that exists); its ledger row is in the seed when it was written before it.
    /// </summary>
    public async Task RecountAsync(LimitScope scope)
    {
        try
        {
            await redis.GetDatabase().KeyDeleteAsync(scope.SpentKey);
        }
        catch (Exception ex) when (RedisFailures.IsTransient(ex))
        {
            logger.LogWarning("The spent counter of {Scope} was not dropped ({Error}): it may be out of date until its window ends",
                scope.DisplayName, ex.GetType().Name);
        }
    }

    /// <summary>
    /// A key moved to another team: its requests of the last minutes (rpm window, tpm buckets) are carried to the counters
    /// named after the new team, added to what is there, so the move does not give the key a fresh minute.
    /// </summary>
    public async Task CarryWindowsAsync(LimitScope from, LimitScope to)
    {
        var (source, target) = (LimitScope.RedisKeysOf([from]), LimitScope.RedisKeysOf([to]));
        var db = redis.GetDatabase();
        try
        {
            var requests = await db.SortedSetRangeByRankWithScoresAsync(source[0]);
            if (requests.Length > 0)
            {
                await db.SortedSetAddAsync(target[0], requests);
                await db.KeyExpireAsync(target[0], await db.KeyTimeToLiveAsync(source[0]) ?? TimeSpan.FromMinutes(2));
            }

            var buckets = await db.HashGetAllAsync(source[1]);
            foreach (var bucket in buckets)
            {
                await db.HashIncrementAsync(target[1], bucket.Name, (long)bucket.Value);
            }

            if (buckets.Length > 0)
            {
                await db.KeyExpireAsync(target[1], await db.KeyTimeToLiveAsync(source[1]) ?? TimeSpan.FromMinutes(3));
            }
        }
        catch (Exception ex) when (RedisFailures.IsTransient(ex))
        {
            logger.LogWarning("The last minutes' requests of {Scope} were not carried to its new team ({Error})", to.DisplayName, ex.GetType().Name);
        }
    }
}
