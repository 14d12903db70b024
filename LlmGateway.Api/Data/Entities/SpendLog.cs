namespace LlmGateway.Api.Data.Entities;

/// <summary>
/// One row of the spend ledger: a usage event, never with prompt or completion content.
/// The key is (request id, start time) so the table can be partitioned by month on <see cref="StartTime"/>.
/// </summary>
public sealed class SpendLog
{
    public required string RequestId { get; set; }
    public DateTimeOffset StartTime { get; set; }
    public DateTimeOffset EndTime { get; set; }
    /// <summary>chat_completions, messages, embeddings, health_check…</summary>
    public required string CallType { get; set; }
    /// <summary>The key's SHA-256 (never the key).</summary>
    public string? ApiKey { get; set; }
    public string? KeyAlias { get; set; }
    public string? TeamId { get; set; }
    public string? User { get; set; }
    public string? EndUser { get; set; }
    public List<string> RequestTags { get; set; } = [];
    public string? ModelGroup { get; set; }
    public string? Model { get; set; }
    public string? Provider { get; set; }
    public string? ApiBase { get; set; }
    public string? DeploymentId { get; set; }
    public int Attempts { get; set; }
    public int StatusCode { get; set; }
    /// <summary>"success", or the error class (rate_limited, budget_exceeded, upstream_server_error…).</summary>
    public required string Status { get; set; }
    public decimal Spend { get; set; }
    public decimal SavedCost { get; set; }
    /// <summary>True when no price was known for the model: the spend is not a real $0.</summary>
    public bool PriceUnknown { get; set; }
    public long PromptTokens { get; set; }
    public long CompletionTokens { get; set; }
    /// <summary>Prompt tokens read from the provider's prompt cache (part of <see cref="PromptTokens"/>).</summary>
    public long CachedTokens { get; set; }
    /// <summary>Prompt tokens written to the provider's prompt cache (part of <see cref="PromptTokens"/>).</summary>
    public long CacheCreationInputTokens { get; set; }
    /// <summary>The part of <see cref="CacheCreationInputTokens"/> kept for an hour rather than five minutes.</summary>
    public long CacheCreation1hInputTokens { get; set; }
    public long ReasoningTokens { get; set; }
    public long TotalTokens { get; set; }
    public bool Stream { get; set; }
    public bool CacheHit { get; set; }
    public bool IsHealthCheck { get; set; }
    public double? AuthMs { get; set; }
    public double? LimitsMs { get; set; }
    public double? CacheMs { get; set; }
    public double? UpstreamTtfbMs { get; set; }
    public double? UpstreamMs { get; set; }
    public double? OverheadMs { get; set; }
    public double? TotalMs { get; set; }
    public string Metadata { get; set; } = "{}";
}
