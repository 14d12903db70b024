using System.Diagnostics;
using LlmGateway.Api.Auth;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Providers;
using LlmGateway.Api.Relay;
using LlmGateway.Api.Routing;
using LlmGateway.Api.Spend;
using LlmGateway.Api.Telemetry;

namespace LlmGateway.Api.Proxy;

/// <summary>Builds the usage event of a request from what the pipeline saw. Never content: sizes, ids and timings only.</summary>
public static class UsageEvents
{
    public static UsageEvent From(ProxyContext proxy, ProxyOutcome outcome, Caller caller, RequestFacts facts, DateTimeOffset started,
        decimal cost, bool priceUnknown, string status)
    {
        var usage = outcome.Usage ?? default;
        var timings = proxy.Timings;
        var total = timings.Elapsed;
        var upstream = timings.Upstream;
        return new UsageEvent
        {
            RequestId = proxy.RequestId,
            Metadata = RequestIds.MetadataOf(proxy.Http),
            StartTime = started,
            EndTime = started + total,
            CallType = facts.CallType,
            ApiKeyHash = caller.Key?.Token,
            KeyAlias = caller.Key?.KeyAlias,
            TeamId = caller.Key?.TeamId,
            User = caller.Key?.UserId,
            EndUser = EndUserOf(proxy.Http, facts),
            Tags = Tags(proxy.Http, caller),
            ModelGroup = proxy.Group.Name,
            Model = outcome.Deployment?.ProviderModel,
            Provider = outcome.Deployment is { } d ? ProviderRegistry.Name(d.Provider) : null,
            ApiBase = outcome.Deployment?.ApiBase?.GetLeftPart(UriPartial.Authority),
            DeploymentId = outcome.Deployment?.Id,
            Attempts = outcome.Attempts,
            StatusCode = proxy.Http.Response.StatusCode,
            Status = status,
            Spend = cost,
            CacheHit = outcome.CacheHit,
            SavedCost = outcome.SavedCost,
            PriceUnknown = priceUnknown,
            PromptTokens = usage.PromptTokens,
            CompletionTokens = usage.CompletionTokens,
            CachedTokens = usage.CachedTokens,
            CacheWriteTokens = usage.CacheWriteTokens,
            CacheWrite1hTokens = usage.CacheWrite1hTokens,
            ReasoningTokens = usage.ReasoningTokens,
            Stream = facts.Stream,
            AuthMs = timings.Auth.TotalMilliseconds,
            LimitsMs = timings.Limits.TotalMilliseconds,
            CacheMs = timings.Cache.TotalMilliseconds,
            UpstreamTtfbMs = timings.UpstreamFirstByte.TotalMilliseconds,
            UpstreamMs = upstream.TotalMilliseconds,
            OverheadMs = Math.Max(0, (total - upstream).TotalMilliseconds),
            TotalMs = total.TotalMilliseconds,
        };
    }

    /// <summary>A request that ended before the upstream: refused (401, 400, 403, 404, 413, 429) or abandoned by its client (499).</summary>
    public static UsageEvent Rejected(HttpContext context, Caller? caller, RequestFacts? facts, string callType, DateTimeOffset started,
        RequestTimings timings, GatewayError error) => new()
    {
        RequestId = context.TraceIdentifier,
        Metadata = RequestIds.MetadataOf(context),
        StartTime = started,
        EndTime = started + timings.Elapsed,
        CallType = callType,
        ApiKeyHash = caller?.Key?.Token,
        KeyAlias = caller?.Key?.KeyAlias,
        TeamId = caller?.Key?.TeamId,
        User = caller?.Key?.UserId,
        EndUser = EndUserOf(context, facts),
        Tags = caller is null ? [] : Tags(context, caller),
        // A name that is no model group is whatever the client wrote there (a key pasted into the wrong argument, a
        // sentence): not kept (LeakAndCrossTenantAttackTests); the row's status says which request it was.
        ModelGroup = error.Code == "model_not_found" ? null : facts?.Model,
        StatusCode = error.StatusCode,
        Status = error.Type,
        Stream = facts?.Stream ?? false,
        AuthMs = timings.Auth.TotalMilliseconds,
        LimitsMs = timings.Limits.TotalMilliseconds,
        TotalMs = timings.Elapsed.TotalMilliseconds,
        OverheadMs = timings.Elapsed.TotalMilliseconds,
    };

    /// <summary>
    /// <c>success</c>; <c>client_disconnected</c> when the client left before the whole answer (billed all the same);
    /// <c>timeout</c>; else <c>upstream_&lt;failure&gt;</c> before the first byte, <c>stream_&lt;failure&gt;</c> after it, or <c>http_&lt;status&gt;</c>.
    /// </summary>
    public static string StatusOf(HttpContext http, ProxyOutcome outcome)
    {
        if (outcome.ClientLeft || (outcome.Usage is null && outcome.Failure is null && http.RequestAborted.IsCancellationRequested))
        {
            return "client_disconnected";
        }

        var statusCode = http.Response.StatusCode;
        if (outcome.Failure is not { } failure)
        {
            return statusCode < 400 ? "success" : $"http_{statusCode}";
        }

        if (statusCode < 400 && !outcome.Committed)
        {
            return "success"; // a failure the failover moved past
        }

        return failure.Kind == FailureKind.Timeout ? "timeout" : (outcome.Committed ? "stream_" : "upstream_") + Snake(failure.Kind);
    }

    /// <summary>Tags for attribution: the request's (<see cref="Tags.RequestTagging"/>), else, refused before they were read, its key's and team's.</summary>
    private static IReadOnlyList<string> Tags(HttpContext context, Caller caller) =>
        Api.Tags.RequestTags.Of(context)?.Names
        ?? (caller.Key is { } key ? [.. key.Tags.Concat(key.TeamTags).Distinct(StringComparer.Ordinal)] : []);

    /// <summary>The team's header first: it is set by whoever deploys the client, the body by the client itself.</summary>
    private static string? EndUserOf(HttpContext context, RequestFacts? facts) =>
        EndUserId.Of(context.Request.Headers, facts?.EndUser);

    private static string Snake(FailureKind kind) =>
        string.Concat(kind.ToString().Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
