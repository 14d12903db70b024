namespace LlmGateway.Api.Caching;

/// <summary>What the cache does for one request: where its answer lives, whether to read and store it, and how to replay it.</summary>
/// <remarks><paramref name="QuotaKey"/> counts the bytes the caller's scope stored this window (same hash tag as the entry).</remarks>
public sealed record CachePlan(string RedisKey, bool Lookup, bool Store, TimeSpan Ttl, TimeSpan? MaxAge, bool Stream, bool IncludeUsage,
    KeyValuePair<string, object?>[] Tags)
{
    public string? QuotaKey { get; init; }
}
