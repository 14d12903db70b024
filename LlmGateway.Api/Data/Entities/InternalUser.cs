namespace LlmGateway.Api.Data.Entities;

/// <summary>An internal user (LiteLLM's user object): owns keys (<c>user_id</c>) whose requests also count against the user's limits and budget.</summary>
public sealed class InternalUser : IHolderLimits
{
    public required string UserId { get; set; }
    public string? UserAlias { get; set; }
    public string? UserEmail { get; set; }
    /// <summary><c>proxy_admin</c>, <c>proxy_admin_viewer</c>, <c>internal_user</c> or <c>internal_user_viewer</c>.</summary>
    public required string UserRole { get; set; }
    public List<string> Models { get; set; } = [];
    public List<string> Teams { get; set; } = [];
    public decimal? MaxBudget { get; set; }
    public decimal? SoftBudget { get; set; }
    public string? BudgetDuration { get; set; }
    public long? RpmLimit { get; set; }
    public long? TpmLimit { get; set; }
    public int? MaxParallelRequests { get; set; }
    public string Metadata { get; set; } = "{}";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    /// <summary>A budget object whose limits apply where the user sets none of its own.</summary>
    public string? BudgetId { get; set; }
}
