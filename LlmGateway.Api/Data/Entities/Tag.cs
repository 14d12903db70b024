namespace LlmGateway.Api.Data.Entities;

/// <summary>A tag (LiteLLM's tag object): a budget, rate limits and a model list for every request carrying the tag.</summary>
public sealed class Tag
{
    public required string Name { get; set; }
    public string? Description { get; set; }
    /// <summary>The models a request with this tag may use; empty allows every model.</summary>
    public List<string> Models { get; set; } = [];
    public decimal? MaxBudget { get; set; }
    public string? BudgetDuration { get; set; }
    public long? RpmLimit { get; set; }
    public long? TpmLimit { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
