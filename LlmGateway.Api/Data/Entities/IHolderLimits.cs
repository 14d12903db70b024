namespace LlmGateway.Api.Data.Entities;

/// <summary>The limits every holder stores (keys, teams, users, customers, organizations, budget objects), set by one update.</summary>
public interface IHolderLimits
{
    decimal? MaxBudget { get; set; }
    decimal? SoftBudget { get; set; }
    string? BudgetDuration { get; set; }
    long? RpmLimit { get; set; }
    long? TpmLimit { get; set; }
    int? MaxParallelRequests { get; set; }
}
