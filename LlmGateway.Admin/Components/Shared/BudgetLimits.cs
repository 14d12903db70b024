namespace LlmGateway.Admin.Components.Shared;

/// <summary>
/// The budget and rate limits a team, user, customer, organization or tag holds, as typed in a form
/// (<see cref="BudgetLimitsFields"/>): empty is "none", 0 is "$0", a negative number is refused.
/// </summary>
public sealed class BudgetLimits
{
    public double? MaxBudget { get; set; }
    public string? BudgetDuration { get; set; }
    public long? RpmLimit { get; set; }
    public long? TpmLimit { get; set; }
    public long? MaxParallelRequests { get; set; }

    public static BudgetLimits Of(double? maxBudget, string? budgetDuration, long? rpm, long? tpm, long? parallel = null) => new()
    {
        MaxBudget = maxBudget, BudgetDuration = budgetDuration, RpmLimit = rpm, TpmLimit = tpm, MaxParallelRequests = parallel,
    };

    /// <summary>Why the numbers cannot be saved as typed, or null; <paramref name="storedBudget"/> is the holder's budget before the edit.</summary>
    public string? Problem(double? storedBudget, string holder) => FormChecks.First(
        FormChecks.NotNegative("Budget", MaxBudget),
        FormChecks.NotNegative("Requests / min", RpmLimit),
        FormChecks.NotNegative("Tokens / min", TpmLimit),
        FormChecks.NotNegative("Parallel requests", MaxParallelRequests),
        FormChecks.BudgetRemoval(holder, storedBudget, MaxBudget));

    public string? Duration => string.IsNullOrWhiteSpace(BudgetDuration) ? null : BudgetDuration;
}
