namespace LlmGateway.Api.Data.Entities;

/// <summary>An organization (LiteLLM's): owns teams, and bounds their models and, as one more budget, their spend.</summary>
public sealed class Organization : IHolderLimits
{
    public required string OrganizationId { get; set; }
    public string? OrganizationAlias { get; set; }
    public List<string> Models { get; set; } = [];
    public decimal? MaxBudget { get; set; }
    public decimal? SoftBudget { get; set; }
    public string? BudgetDuration { get; set; }
    public long? RpmLimit { get; set; }
    public long? TpmLimit { get; set; }
    public int? MaxParallelRequests { get; set; }
    public string Metadata { get; set; } = "{}";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
