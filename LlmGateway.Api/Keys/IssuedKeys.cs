using StackExchange.Redis;

namespace LlmGateway.Api.Keys;

/// <summary>
/// Secrets issued lately, marked in Redis before the secret is handed out, so a replica the announcement has not reached
/// yet (and whose directory of known keys is older than the key) still looks the key up instead of refusing it once its
/// unknown-key lookups of the second are spent. A mark lives <see cref="Lifetime"/>: past every replica's next directory load.
/// </summary>
public sealed class IssuedKeys(IConnectionMultiplexer redis, KeyCacheOptions options)
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(1);

    public TimeSpan Lifetime { get; } = TimeSpan.FromSeconds(Math.Max(120, 2 * options.DirectoryRefreshSeconds));

    /// <summary>Marks the secret and announces it on <paramref name="channel"/> (one round trip); throws when Redis fails.</summary>
    public async Task MarkAndAnnounceAsync(string secretHash, RedisChannel channel)
    {
        var batch = redis.GetDatabase().CreateBatch();
        var mark = batch.StringSetAsync(KeyOf(secretHash), 1, Lifetime);
        var announce = batch.PublishAsync(channel, "new:" + secretHash);
        batch.Execute();
        await Task.WhenAll(mark, announce).WaitAsync(CommandTimeout);
    }

    /// <summary>Whether the secret was issued lately; false when Redis cannot say (then the unknown-key rate alone decides).</summary>
    public async Task<bool> WasIssuedAsync(string secretHash)
    {
        try
        {
            return await redis.GetDatabase().KeyExistsAsync(KeyOf(secretHash)).WaitAsync(CommandTimeout);
        }
        catch (Exception ex) when (RedisFailures.IsTransient(ex))
        {
            return false;
        }
    }

    private static RedisKey KeyOf(string secretHash) => RedisKeys.Prefix + "keys:issued:" + secretHash;
}
