using System.Text.Json;
using System.Text.Json.Serialization;

namespace LlmGateway.Admin.Services;

/// <summary>One row of <c>/spend/logs</c>, with the gateway's per-stage latencies.</summary>
public sealed record SpendLogRow
{
    public string? RequestId { get; init; }
    public string? CallType { get; init; }
    /// <summary>The key's hash, never the key.</summary>
    public string? ApiKey { get; init; }
    public string? TeamId { get; init; }
    public string? User { get; init; }
    public string? EndUser { get; init; }
    public List<string>? RequestTags { get; init; }
    public string? ModelGroup { get; init; }
    public string? Model { get; init; }
    public string? ApiBase { get; init; }
    public double Spend { get; init; }
    public long PromptTokens { get; init; }
    public long CompletionTokens { get; init; }
    public long TotalTokens { get; init; }
    [JsonPropertyName("startTime")]
    public DateTimeOffset? StartTime { get; init; }
    [JsonPropertyName("endTime")]
    public DateTimeOffset? EndTime { get; init; }
    public bool? CacheHit { get; init; }
    public string? Status { get; init; }
    /// <summary>The HTTP status the client got.</summary>
    public int? StatusCode { get; init; }
    public string? KeyAlias { get; init; }
    public string? Provider { get; init; }
    public int? Attempts { get; init; }
    public Dictionary<string, JsonElement>? Metadata { get; init; }
    public double? AuthMs { get; init; }
    public double? LimitsMs { get; init; }
    public double? CacheMs { get; init; }
    public double? UpstreamTtfbMs { get; init; }
    public double? UpstreamMs { get; init; }
    public double? OverheadMs { get; init; }
    public double? TotalMs { get; init; }

    public bool Failed => Status is not null && !Status.Equals("success", StringComparison.OrdinalIgnoreCase);
}

/// <summary>One group of <c>/spend/summary</c>.</summary>
public sealed record SpendSummaryRow
{
    public string Key { get; init; } = "";
    public double Spend { get; init; }
    public long Requests { get; init; }
    public long Errors { get; init; }
    public double? P50Ms { get; init; }
    public double? P95Ms { get; init; }

    public double ErrorRate => Requests == 0 ? 0 : (double)Errors / Requests;
}

/// <summary>Filters of <c>/spend/logs</c>; empty ones are left out of the query.</summary>
public sealed record SpendLogFilter
{
    public string? RequestId { get; init; }
    public string? TeamId { get; init; }
    public string? ApiKey { get; init; }
    public string? Model { get; init; }
    public string? Status { get; init; }
    public DateTimeOffset? StartDate { get; init; }
    public DateTimeOffset? EndDate { get; init; }
}

public enum SpendGrouping
{
    Team,
    Model,
    Tag,
    Day,
    Key,
}
