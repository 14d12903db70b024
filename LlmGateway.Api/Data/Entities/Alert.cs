namespace LlmGateway.Api.Data.Entities;

/// <summary>
/// One alert (budget threshold, soft budget, deployment cooldown or test) and its delivery state. The unique index on
/// (type, scope, scope_id, threshold, period_start) makes a threshold fire once per period across replicas:
/// the row is inserted first, then delivered.
/// </summary>
public sealed class Alert
{
    public Guid Id { get; set; }
    /// <summary><c>budget</c>, <c>soft_budget</c>, <c>llm_exceptions</c> or <c>test</c>.</summary>
    public required string Type { get; set; }
    /// <summary><c>info</c>, <c>warning</c> or <c>critical</c>.</summary>
    public required string Severity { get; set; }
    /// <summary><c>key</c>, <c>team</c>, <c>deployment</c> or <c>test</c>.</summary>
    public required string Scope { get; set; }
    public required string ScopeId { get; set; }
    public string? Name { get; set; }
    public string? TeamId { get; set; }
    public string? KeyAlias { get; set; }
    /// <summary>The fraction of the budget crossed (soft budget: its fraction of max_budget, or 0).</summary>
    public decimal Threshold { get; set; }
    public decimal? Spend { get; set; }
    public decimal? Budget { get; set; }
    public DateTimeOffset PeriodStart { get; set; }
    public DateTimeOffset? ResetsAt { get; set; }
    public required string Message { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary><c>pending</c>, <c>delivered</c>, <c>failed</c> (attempts exhausted) or <c>not_sent</c> (no channel).</summary>
    public string Status { get; set; } = AlertStatus.Pending;
    public List<string> PendingChannels { get; set; } = [];
    public List<string> DeliveredChannels { get; set; } = [];
    public int Attempts { get; set; }
    public DateTimeOffset NextAttemptAt { get; set; }
    public DateTimeOffset? DeliveredAt { get; set; }
    /// <summary>Why the last attempt failed, per channel; never a URL or a credential.</summary>
    public string? LastError { get; set; }
}

public static class AlertStatus
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Failed = "failed";
    public const string NotSent = "not_sent";
}
