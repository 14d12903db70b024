namespace LlmGateway.Api.Data.Entities;

/// <summary>A virtual key. Only the SHA-256 of the secret is stored (<see cref="Token"/>); admins see <see cref="KeyName"/>, a prefix.</summary>
public sealed class VirtualKey : IHolderLimits
{
    /// <summary>The key's stable id everywhere (LiteLLM's "token"): the lower-case hex SHA-256 of its first secret.</summary>
    public required string Token { get; set; }
    /// <summary>SHA-256 of the current secret; differs from <see cref="Token"/> once the key was regenerated.</summary>
    public required string SecretHash { get; set; }
    /// <summary>What admins see: "sk-…" with the first and last few characters only.</summary>
    public required string KeyName { get; set; }
    public string? KeyAlias { get; set; }
    public string? TeamId { get; set; }
    public Team? Team { get; set; }
    public string? UserId { get; set; }
    public List<string> Models { get; set; } = [];
    public decimal? MaxBudget { get; set; }
    public decimal? SoftBudget { get; set; }
    public string? BudgetDuration { get; set; }
    public DateTimeOffset? BudgetResetAt { get; set; }
    public decimal? TempBudgetIncrease { get; set; }
    public DateTimeOffset? TempBudgetExpiry { get; set; }
    public long? RpmLimit { get; set; }
    public long? TpmLimit { get; set; }
    public int? MaxParallelRequests { get; set; }
    public string ModelMaxBudget { get; set; } = "{}";
    public string ModelRpmLimit { get; set; } = "{}";
    public string ModelTpmLimit { get; set; } = "{}";
    public DateTimeOffset? Expires { get; set; }
    public string Metadata { get; set; } = "{}";
    public List<string> Tags { get; set; } = [];
    public bool Blocked { get; set; }
    public decimal Spend { get; set; }
    /// <summary>After a regeneration with a grace period, the old secret's hash keeps working until <see cref="PreviousTokenExpires"/>.</summary>
    public string? PreviousToken { get; set; }
    public DateTimeOffset? PreviousTokenExpires { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }
    /// <summary>A budget object whose limits apply where the key sets none of its own.</summary>
    public string? BudgetId { get; set; }
    /// <summary><c>budget_limits</c>: more budget windows (a JSON array of <c>{budget_duration, max_budget}</c>), each its own scope.</summary>
    public string BudgetLimits { get; set; } = "[]";
}
