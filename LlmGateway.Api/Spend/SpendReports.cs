using System.Text.Json;
using System.Text.Json.Serialization;

namespace LlmGateway.Api.Spend;

/// <summary>
/// A <c>/spend/logs</c> row: LiteLLM's fields (its <c>startTime</c>/<c>endTime</c> spelling) plus the gateway's own.
/// Cache reads appear twice: <c>cached_tokens</c> (the gateway's first name) and <c>cache_read_input_tokens</c> (LiteLLM's).
/// </summary>
public sealed record SpendLogRow(
    string RequestId,
    string CallType,
    string? ApiKey,
    string? TeamId,
    string? User,
    string? EndUser,
    IReadOnlyList<string> RequestTags,
    string? ModelGroup,
    string? Model,
    string? ApiBase,
    decimal Spend,
    long PromptTokens,
    long CompletionTokens,
    long TotalTokens,
    [property: JsonPropertyName("startTime")] DateTimeOffset StartTime,
    [property: JsonPropertyName("endTime")] DateTimeOffset EndTime,
    bool CacheHit,
    string Status,
    JsonElement Metadata,
    string? KeyAlias,
    string? Provider,
    string? DeploymentId,
    int Attempts,
    int StatusCode,
    long CachedTokens,
    long ReasoningTokens,
    double? AuthMs,
    double? LimitsMs,
    double? CacheMs,
    double? UpstreamTtfbMs,
    double? UpstreamMs,
    double? OverheadMs,
    double? TotalMs,
    bool PriceUnknown,
    decimal SavedCost,
    long CacheReadInputTokens,
    long CacheCreationInputTokens,
    [property: JsonPropertyName("cache_creation_1h_input_tokens")] long CacheCreation1hInputTokens);

/// <summary>
/// A <c>/spend/logs?summarize=true</c> row: one UTC day, with spend by model, by key and by user (LiteLLM's daily shape,
/// which also puts each key's spend at the top level under its hash: <see cref="SpendByKey"/>).
/// </summary>
public sealed record SpendDay(
    [property: JsonPropertyName("startTime")] string StartTime,
    decimal Spend,
    long Requests,
    long PromptTokens,
    long CompletionTokens,
    IReadOnlyDictionary<string, decimal> Models,
    IReadOnlyDictionary<string, decimal> ApiKeys,
    IReadOnlyDictionary<string, decimal> Users)
{
    [JsonExtensionData]
    public Dictionary<string, object>? SpendByKey { get; init; }
}

/// <summary>A <c>/spend/summary</c> row; latencies are percentiles of the request's total time.</summary>
public sealed record SpendSummaryRow(
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("spend")] decimal Spend,
    [property: JsonPropertyName("requests")] long Requests,
    [property: JsonPropertyName("errors")] long Errors,
    [property: JsonPropertyName("prompt_tokens")] long PromptTokens,
    [property: JsonPropertyName("completion_tokens")] long CompletionTokens,
    [property: JsonPropertyName("p50_ms")] double? P50Ms,
    [property: JsonPropertyName("p95_ms")] double? P95Ms);

/// <summary><c>/global/spend</c>: everything spent, and the sum of the teams' budgets (null when no team has one).</summary>
public sealed record GlobalSpend(decimal Spend, decimal? MaxBudget);

/// <summary><c>/spend/logs/v2</c>: one page of rows (LiteLLM's paginated shape); written by <see cref="SpendLogStream"/>.</summary>
public sealed record SpendLogPage(IReadOnlyList<SpendLogRow> Data, long Total, int Page, int PageSize, long TotalPages);
