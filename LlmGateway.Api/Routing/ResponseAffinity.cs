using StackExchange.Redis;

namespace LlmGateway.Api.Routing;

/// <summary>
/// Which deployment gave a Responses API answer, so a request continuing it (<c>previous_response_id</c>) goes back there
/// first: the provider's own conversation state and prompt cache are on that deployment. Kept in Redis with the stored
/// response's retention; when Redis is slow or gone there is simply no preference (the chain is replayed anywhere).
/// </summary>
public sealed class ResponseAffinity(IConnectionMultiplexer redis, ILogger<ResponseAffinity> logger)
{
    private static readonly TimeSpan Wait = TimeSpan.FromMilliseconds(250);

    public async Task RememberAsync(string responseId, string deploymentId, TimeSpan ttl)
    {
        try
        {
            await redis.GetDatabase().StringSetAsync(Key(responseId), deploymentId, ttl).WaitAsync(Wait);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogDebug("The deployment of a response was not remembered: {Error}", e.GetType().Name);
        }
    }

    /// <summary>The deployment id that gave <paramref name="responseId"/>; null when unknown or Redis does not answer in time.</summary>
    public async Task<string?> FindAsync(string responseId)
    {
        try
        {
            var value = await redis.GetDatabase().StringGetAsync(Key(responseId)).WaitAsync(Wait);
            return value.HasValue ? value.ToString() : null;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogDebug("The deployment of a previous response was not found: {Error}", e.GetType().Name);
            return null;
        }
    }

    private static RedisKey Key(string responseId) => RedisKeys.Prefix + "response-deployment:" + responseId;
}
