namespace LlmGateway.Api.Caching;

/// <summary>What the cache does for one request: where its answer lives, whether to read and store it, and how to replay it.</summary>
public sealed record CachePlan(string RedisKey, bool Lookup, bool Store, TimeSpan Ttl, TimeSpan? MaxAge, bool Stream, bool IncludeUsage,
    KeyValuePair<string, object?>[] Tags);
