namespace LlmGateway.Api.Data.Entities;

/// <summary>A team: the unit that budgets, limits and spend are attributed to (LiteLLM's team object).</summary>
public sealed class Team : IHolderLimits
{
    public required string TeamId { get; set; }
    public string? TeamAlias { get; set; }
    public List<string> Models { get; set; } = [];
    public decimal? MaxBudget { get; set; }
    public decimal? SoftBudget { get; set; }
    public string? BudgetDuration { get; set; }
    public DateTimeOffset? BudgetResetAt { get; set; }
    public long? RpmLimit { get; set; }
    public long? TpmLimit { get; set; }
    public int? MaxParallelRequests { get; set; }
    public string Metadata { get; set; } = "{}";
    public List<string> Tags { get; set; } = [];
    public string MembersWithRoles { get; set; } = "[]";
    public bool Blocked { get; set; }
    /// <summary>The organization the team belongs to, if any: its models and budget bound the team's.</summary>
    public string? OrganizationId { get; set; }
    public decimal Spend { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public List<VirtualKey> Keys { get; set; } = [];
}
