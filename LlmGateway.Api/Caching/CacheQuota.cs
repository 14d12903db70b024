using StackExchange.Redis;

namespace LlmGateway.Api.Caching;

/// <summary>
/// The per-team byte quota: one script adds the entry's size to its scope's counter for the current window (one max-ttl
/// long, from the window's first store) and stores the entry only while the counter stays within the quota. Every entry
/// of a window expires within one max ttl after it, so a scope holds at most about twice its quota.
/// </summary>
internal static class CacheQuota
{
    private const string Script = """
        local total = redis.call('INCRBY', KEYS[2], ARGV[2])
        if total == tonumber(ARGV[2]) then redis.call('EXPIRE', KEYS[2], ARGV[4]) end
        if total > tonumber(ARGV[3]) then
          redis.call('DECRBY', KEYS[2], ARGV[2])
          return 0
        end
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[5])
        return 1
        """;

    public static async Task<bool> TryStoreAsync(IDatabase redis, CachePlan plan, byte[] entry, CacheSettings settings)
    {
        var stored = await redis.ScriptEvaluateAsync(Script, [plan.RedisKey, plan.QuotaKey!],
            [entry, entry.Length, settings.MaxBytesPerTeam, (long)settings.MaxTtl.TotalSeconds, (long)plan.Ttl.TotalMilliseconds]);
        return (long)stored == 1;
    }
}
