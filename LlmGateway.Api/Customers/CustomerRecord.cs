using LlmGateway.Api.Data.Entities;

namespace LlmGateway.Api.Customers;

/// <summary>A customer as the request path needs it: its own limits, else those of its budget object.</summary>
public sealed record CustomerRecord(string UserId, bool Blocked, DateTimeOffset CreatedAt)
{
    public decimal? MaxBudget { get; init; }
    public decimal? SoftBudget { get; init; }
    public string? BudgetDuration { get; init; }
    public long? RpmLimit { get; init; }
    public long? TpmLimit { get; init; }
    public int? MaxParallelRequests { get; init; }

    public bool HasLimits => MaxBudget is not null || RpmLimit is not null || TpmLimit is not null || MaxParallelRequests is not null;

    /// <summary>The customer's fields; each one it leaves unset comes from its budget object (LiteLLM's tiers).</summary>
    public static CustomerRecord From(Customer customer, Budget? budget) => new(customer.UserId, customer.Blocked, customer.CreatedAt)
    {
        MaxBudget = customer.MaxBudget ?? budget?.MaxBudget,
        SoftBudget = customer.SoftBudget ?? budget?.SoftBudget,
        BudgetDuration = customer.BudgetDuration ?? budget?.BudgetDuration,
        RpmLimit = customer.RpmLimit ?? budget?.RpmLimit,
        TpmLimit = customer.TpmLimit ?? budget?.TpmLimit,
        MaxParallelRequests = customer.MaxParallelRequests ?? budget?.MaxParallelRequests,
    };
}
