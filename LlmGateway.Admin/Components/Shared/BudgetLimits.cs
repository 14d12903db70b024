using System.Text.Json;

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

    /// <summary>The values before the edit (null for a new holder): a field emptied since is removed on save.</summary>
    private BudgetLimits? stored;

    public static BudgetLimits Of(double? maxBudget, string? budgetDuration, long? rpm, long? tpm, long? parallel = null) => new()
    {
        MaxBudget = maxBudget, BudgetDuration = budgetDuration, RpmLimit = rpm, TpmLimit = tpm, MaxParallelRequests = parallel,
        stored = new() { MaxBudget = maxBudget, BudgetDuration = budgetDuration, RpmLimit = rpm, TpmLimit = tpm, MaxParallelRequests = parallel },
    };

    /// <summary>Why the numbers cannot be saved as typed, or null.</summary>
    public string? Problem() => FormChecks.First(
        FormChecks.NotNegative("Budget", MaxBudget),
        FormChecks.NotNegative("Requests / min", RpmLimit),
        FormChecks.NotNegative("Tokens / min", TpmLimit),
        FormChecks.NotNegative("Parallel requests", MaxParallelRequests));

    /// <summary>The limits the holder had that the form emptied, for the update's <see cref="Services.BudgetRequest.Removed"/>.</summary>
    public Dictionary<string, JsonElement>? Removed() => stored is null ? null : RemovedSince(stored);

    /// <summary>The limits <paramref name="before"/> held that these values leave empty, as <c>"field": null</c> entries.</summary>
    public Dictionary<string, JsonElement>? RemovedSince(BudgetLimits before) => LimitRemovals.Of(
        ("max_budget", before.MaxBudget is not null, MaxBudget is not null),
        ("budget_duration", before.Duration is not null, Duration is not null),
        ("rpm_limit", before.RpmLimit is not null, RpmLimit is not null),
        ("tpm_limit", before.TpmLimit is not null, TpmLimit is not null),
        ("max_parallel_requests", before.MaxParallelRequests is not null, MaxParallelRequests is not null));

    public string? Duration => string.IsNullOrWhiteSpace(BudgetDuration) ? null : BudgetDuration;
}
