using System.Diagnostics;
using System.Text.Json;
using LlmGateway.Api.Auth;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Pricing;
using LlmGateway.Api.Relay;
using LlmGateway.Api.Routing;
using StackExchange.Redis;

namespace LlmGateway.Api.Caching;

/// <summary>
/// The exact-match response cache in Redis (docs/caching.md): planned before admission, looked up after it and
/// before routing, stored after a complete answer. A Redis failure is a miss, never a failed request.
/// </summary>
public sealed class ResponseCache(CacheSettings settings, IConnectionMultiplexer redis, PriceTable prices, ILogger<ResponseCache> logger)
{
    private static readonly TimeSpan WarningInterval = TimeSpan.FromSeconds(10);
    private long lastWarning;

    public CacheSettings Settings => settings;

    /// <summary>Null when the request is not cached; an error when it sent cache controls it may not use.</summary>
    public CachePlan? Plan(HttpContext http, Caller caller, JsonBody body, RequestFacts facts, Configuration.ModelGroup group, out GatewayError? error)
    {
        error = null;
        // A team's metadata "cache": true|false overrides the global default (litellm_settings.cache). Text completions
        // have no upstream format to replay a cached answer from (they are always translated): not cached.
        if (!(caller.Key?.CacheEnabled ?? settings.Enabled) || facts.CallType == "text_completion")
        {
            return null;
        }

        if (!CacheControls.TryRead(body, http.Request.Headers, out var controls, out error) || (error = controls.Check(caller.Key)) is not null
            || !Cacheable(body))
        {
            return null;
        }

        var scope = ScopeOf(caller);
        var hash = CacheKey.Hash(body, facts.CallType, group.Name, scope, CacheKey.UpstreamHeadersOf(http.Request.Headers));
        var ns = controls.Namespace ?? settings.Namespace;
        // Entries live under their scope's hash tag: a client's namespace never leaves its team, and the quota script sees both keys.
        var tag = "{" + scope + "}";
        var asked = controls.Ttl ?? settings.Ttl;
        var ttl = asked < settings.MaxTtl ? asked : settings.MaxTtl; // a client may lower the lifetime, never raise it
        return new CachePlan(ns is null ? $"{RedisKeys.Prefix}cache:{tag}:{hash}" : $"{RedisKeys.Prefix}cache:{tag}:{ns}:{hash}",
            Lookup: !controls.NoCache, Store: !controls.NoStore, ttl, controls.MaxAge,
            facts.Stream, IncludeUsage(body),
            [new("model_group", group.MetricName), // a wildcard group is labelled by its pattern: clients choose the names
              new("team", caller.Key?.TeamId ?? "none")])
        {
            QuotaKey = settings.MaxBytesPerTeam > 0 ? $"{RedisKeys.Prefix}cache-bytes:{tag}" : null,
        };
    }

    /// <summary>The cached answer, or null (a miss). Never throws and never waits longer than the cache timeout.</summary>
    public async Task<CachedResponse?> LookupAsync(CachePlan? plan)
    {
        if (plan is null)
        {
            return null;
        }

        if (plan.Lookup)
        {
            try
            {
                var value = await redis.GetDatabase().StringGetAsync(plan.RedisKey).WaitAsync(settings.Timeout);
                if (!value.IsNull && CachedResponse.Decode((byte[])value!, settings.MaxEntryBytes) is { } cached
                    && (plan.MaxAge is not { } maxAge || DateTimeOffset.UtcNow - cached.Created <= maxAge))
                {
                    return cached;
                }
            }
            catch (Exception ex) when (RedisFailures.IsTransient(ex))
            {
                Failed("read", ex, plan);
            }
        }

        CacheMetrics.Misses.Add(1, plan.Tags);
        return null;
    }

    /// <summary>Answers from the cache: usage as the original reported it, cost 0 to the caller, the original cost as saved.</summary>
    public async Task<ProxyOutcome> ServeAsync(ProxyContext proxy, CachePlan plan, CachedResponse cached)
    {
        CacheMetrics.Hits.Add(1, plan.Tags);
        CacheMetrics.SavedUsd.Add((double)cached.SavedCost, plan.Tags);
        await CacheReplay.WriteAsync(proxy, cached, plan.Stream, plan.IncludeUsage);
        return ProxyOutcome.None with { Usage = cached.Usage, CacheHit = true, SavedCost = cached.SavedCost };
    }

    /// <summary>
    /// Where the relay hands a complete answer when the request's answer may be stored: just before its last byte is sent,
    /// so a client that has the whole answer finds it cached on its next identical request. Null when nothing is stored.
    /// </summary>
    public Func<CompletedAnswer, DeploymentConfig, Task>? CaptureFor(ProxyContext proxy, CachePlan? plan) =>
        plan is { Store: true } ? (answer, deployment) => StoreAsync(proxy, plan, answer, deployment) : null;

    private async Task StoreAsync(ProxyContext proxy, CachePlan plan, CompletedAnswer answer, DeploymentConfig deployment)
    {
        try
        {
            // An answer of a fallback group is not stored under the group asked for: a key allowed that group and not the
            // fallback would be served it (CacheAndStreamAttackTests).
            if (proxy.Http.RequestAborted.IsCancellationRequested || answer.Usage is not { } usage || !proxy.Group.DeploymentIds.Contains(deployment.Id)
                || Body(proxy, answer) is not { } body)
            {
                return;
            }

            await WriteEntryAsync(plan, new CachedResponse(body, usage, prices.CostOf(deployment, usage) ?? 0m, DateTimeOffset.UtcNow));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Storing is best effort: it must never break the answer being sent.
            logger.LogWarning("Storing an answer in the response cache failed ({Error})", ex.GetType().Name);
        }
    }

    /// <summary>The client's whole body: as sent, or a stream's folded answer encoded as the client's non-stream body.</summary>
    private byte[]? Body(ProxyContext proxy, CompletedAnswer answer)
    {
        var bytes = answer.Body is { } body ? body.ToArray()
            : answer.Folded is { } folded ? proxy.Client.EncodeBody(folded, CacheReplay.IdentityOf(proxy, folded))
            : null;
        return bytes is { Length: > 0 } && bytes.Length <= settings.MaxEntryBytes ? bytes : null;
    }

    private async Task WriteEntryAsync(CachePlan plan, CachedResponse cached)
    {
        try
        {
            var entry = cached.Encode();
            if (plan.QuotaKey is null)
            {
                await redis.GetDatabase().StringSetAsync(plan.RedisKey, entry, plan.Ttl).WaitAsync(settings.Timeout);
            }
            else if (!await CacheQuota.TryStoreAsync(redis.GetDatabase(), plan, entry, settings).WaitAsync(settings.Timeout))
            {
                CacheMetrics.OverQuota.Add(1, plan.Tags);
            }
        }
        catch (Exception ex) when (RedisFailures.IsTransient(ex))
        {
            Failed("write", ex, plan);
        }
    }

    private string ScopeOf(Caller caller) => (settings.Scope, caller.Key) switch
    {
        (CacheScope.Global, _) => "global",
        (_, null) => "master",
        (CacheScope.Team, { TeamId: { } team }) => "team:" + team,
        (_, { } key) => "key:" + key.Token,
    };

    /// <summary>Several sampled choices are asked to differ: <c>n</c> over 1 with a temperature above 0 (the default 1 included) is not cached.</summary>
    private static bool Cacheable(JsonBody body)
    {
        if (!body.TryGet("n", out var n) || !body.ReaderFor(n).TryGetInt64(out var choices) || choices <= 1)
        {
            return true;
        }

        return body.TryGet("temperature", out var temperature) && body.ReaderFor(temperature).TryGetDouble(out var value) && value == 0;
    }

    private static bool IncludeUsage(JsonBody body)
    {
        if (!body.TryGet("stream_options", out var property) || property.Kind != JsonTokenType.StartObject)
        {
            return false;
        }

        using var options = JsonDocument.Parse(body.RawMemory(property));
        return options.RootElement.TryGetProperty("include_usage", out var flag) && flag.ValueKind == JsonValueKind.True;
    }

    private void Failed(string operation, Exception ex, CachePlan plan)
    {
        CacheMetrics.Errors.Add(1, [new("operation", operation), .. plan.Tags]);
        var now = Stopwatch.GetTimestamp();
        var last = Interlocked.Read(ref lastWarning);
        if ((last == 0 || Stopwatch.GetElapsedTime(last, now) > WarningInterval) && Interlocked.CompareExchange(ref lastWarning, now, last) == last)
        {
            logger.LogWarning("Response cache {Operation} failed ({Error}); the request continues as a miss", operation, ex.GetType().Name);
        }
    }
}
