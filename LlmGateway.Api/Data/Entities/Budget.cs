namespace LlmGateway.Api.Data.Entities;

/// <summary>
/// A budget object (LiteLLM's budget table): a named tier of limits that customers reference by <c>budget_id</c>.
/// Each holder keeps its own spend; changing the object changes every holder's limits.
/// </summary>
public sealed class Budget : IHolderLimits
{
    public required string BudgetId { get; set; }
    public decimal? MaxBudget { get; set; }
    public decimal? SoftBudget { get; set; }
    public int? MaxParallelRequests { get; set; }
    public long? TpmLimit { get; set; }
    public long? RpmLimit { get; set; }
    public string? BudgetDuration { get; set; }
    /// <summary><c>model_max_budget</c> as sent (a JSON object), stored and returned.</summary>
    public string ModelMaxBudget { get; set; } = "{}";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
