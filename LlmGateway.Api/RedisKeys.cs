using StackExchange.Redis;

namespace LlmGateway.Api;

/// <summary>
/// Every Redis key and channel of the gateway starts with <see cref="Prefix"/>: one namespace to find, monitor and share a
/// Redis with. A key's hash tag (<c>{…}</c>) follows the prefix where a Lua script touches several keys at once.
/// </summary>
public static class RedisKeys
{
    public const string Prefix = "llmgateway:";

    public static RedisChannel Channel(string name) => RedisChannel.Literal(Prefix + name);
}

/// <summary>
/// The one lease primitive: a key that names its holder and expires by itself (<c>SET NX PX</c>), so a replica that dies
/// holding it never blocks the others for longer than the lease.
/// </summary>
public static class RedisLease
{
    /// <summary>Takes lease <paramref name="name"/> for <paramref name="ttl"/>; false when another holder has it.</summary>
    public static Task<bool> TryTakeAsync(IDatabase redis, string name, TimeSpan ttl) =>
        redis.StringSetAsync(KeyOf(name), Environment.MachineName, ttl, When.NotExists);

    public static Task ReleaseAsync(IDatabase redis, string name) => redis.KeyDeleteAsync(KeyOf(name));

    private static string KeyOf(string name) => RedisKeys.Prefix + "lease:" + name;
}
