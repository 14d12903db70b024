using System.Diagnostics.Metrics;

namespace LlmGateway.Api.Caching;

/// <summary>Cache counters on the gateway's meter; labels are the model group and the team only.</summary>
internal static class CacheMetrics
{
    public static readonly Counter<long> Hits = GatewayTelemetry.Meter.CreateCounter<long>(
        "llmgateway.cache.hits", "{request}", "Requests answered from the response cache.");

    public static readonly Counter<long> Misses = GatewayTelemetry.Meter.CreateCounter<long>(
        "llmgateway.cache.misses", "{request}", "Cacheable requests sent upstream (not found, expired, no-cache, or the cache failed).");

    public static readonly Counter<double> SavedUsd = GatewayTelemetry.Meter.CreateCounter<double>(
        "llmgateway.cache.saved_usd", "USD", "What the requests answered from the cache would have cost.");

    public static readonly Counter<long> Errors = GatewayTelemetry.Meter.CreateCounter<long>(
        "llmgateway.cache.errors", "{error}", "Redis reads and writes of the response cache that failed or timed out.");

    public static readonly Counter<long> OverQuota = GatewayTelemetry.Meter.CreateCounter<long>(
        "llmgateway.cache.over_quota", "{entry}", "Answers not stored because their team had stored Gateway:Cache:MaxBytesPerTeam this window.");
}
