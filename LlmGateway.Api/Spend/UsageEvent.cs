namespace LlmGateway.Api.Spend;

/// <summary>
/// One request's usage, as recorded in the spend ledger: who, what, where, how much, how long. Never content.
/// Costs are in USD. Produced for every request (success, upstream error, rejection, cache hit).
/// </summary>
public sealed record UsageEvent
{
    public required string RequestId { get; init; }
    public required DateTimeOffset StartTime { get; init; }
    public required DateTimeOffset EndTime { get; init; }
    /// <summary>chat_completions, messages, embeddings, health_check.</summary>
    public required string CallType { get; init; }
    /// <summary>SHA-256 hex of the key (never the key); null for the master key.</summary>
    public string? ApiKeyHash { get; init; }
    public string? KeyAlias { get; init; }
    public string? TeamId { get; init; }
    public string? User { get; init; }
    public string? EndUser { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    /// <summary>Request metadata as a JSON object string (bounded, no content).</summary>
    public string Metadata { get; init; } = "{}";
    public string? ModelGroup { get; init; }
    public string? Model { get; init; }
    public string? Provider { get; init; }
    public string? ApiBase { get; init; }
    public string? DeploymentId { get; init; }
    public int Attempts { get; init; }
    public int StatusCode { get; init; }
    /// <summary>"success" or the error class (rate_limited, budget_exceeded, invalid_request, upstream_…).</summary>
    public required string Status { get; init; }
    public decimal Spend { get; init; }
    public decimal SavedCost { get; init; }
    public bool PriceUnknown { get; init; }
    public long PromptTokens { get; init; }
    public long CompletionTokens { get; init; }
    /// <summary>Prompt tokens read from the provider's prompt cache.</summary>
    public long CachedTokens { get; init; }
    /// <summary>Prompt tokens written to the provider's prompt cache, for five minutes or an hour.</summary>
    public long CacheWriteTokens { get; init; }
    /// <summary>The part of <see cref="CacheWriteTokens"/> kept for an hour.</summary>
    public long CacheWrite1hTokens { get; init; }
    public long ReasoningTokens { get; init; }
    public bool Stream { get; init; }
    public bool CacheHit { get; init; }
    public bool IsHealthCheck { get; init; }
    public double? AuthMs { get; init; }
    public double? LimitsMs { get; init; }
    public double? CacheMs { get; init; }
    public double? UpstreamTtfbMs { get; init; }
    public double? UpstreamMs { get; init; }
    public double? OverheadMs { get; init; }
    public double? TotalMs { get; init; }
}
