using StackExchange.Redis;

namespace LlmGateway.Api.Routing;

/// <summary>
/// How deployment state lies in Redis: its keys (hash-tagged by deployment id so a Redis cluster works), the counter
/// scripts, and the fields of the state hash.
/// </summary>
internal static class DeploymentStateLayout
{
    public static readonly LuaScript CountFailure = LuaScript.Prepare(
        "local n = redis.call('INCR', @key) if n == 1 then redis.call('PEXPIRE', @key, @ttl) end return n");
    public static readonly LuaScript CountRequest = LuaScript.Prepare(
        "local n = redis.call('INCR', @key) if n == 1 then redis.call('PEXPIRE', @key, 120000) end return n");

    public static RedisKey StateKey(string id) => $"{RedisKeys.Prefix}{{{id}}}:state";

    public static RedisKey TokensKey(string id, long minute) => $"{RedisKeys.Prefix}{{{id}}}:tpm:{minute}";

    public static string RequestsKey(string id, long minute) => $"{RedisKeys.Prefix}{{{id}}}:rpm:{minute}";

    public static string FailuresKey(string id) => $"{RedisKeys.Prefix}{{{id}}}:fails";

    public static string ProbeLease(string id) => $"probe:{id}";


    public static long Ms(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    /// <summary>The state hash and this minute's token count, as a <see cref="DeploymentState"/>.</summary>
    public static DeploymentState Parse(HashEntry[] entries, long tokens)
    {
        var map = entries.ToDictionary(e => e.Name.ToString(), e => e.Value, StringComparer.Ordinal);
        return new DeploymentState
        {
            CooldownUntil = Time(map, "cooldown_until"),
            CooldownReason = Text(map, "cooldown_reason"),
            Tripped = map.ContainsKey("tripped"),
            LastFailed = Time(map, "last_failed"),
            LastError = Text(map, "last_error"),
            UnhealthyUntil = Time(map, "unhealthy_until"),
            TokensThisMinute = tokens,
        };
    }

    private static DateTimeOffset? Time(Dictionary<string, RedisValue> map, string field) =>
        map.TryGetValue(field, out var value) && value.TryParse(out long ms) ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    private static string? Text(Dictionary<string, RedisValue> map, string field) => map.TryGetValue(field, out var value) ? value.ToString() : null;
}
