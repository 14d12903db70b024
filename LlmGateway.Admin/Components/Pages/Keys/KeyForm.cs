using LlmGateway.Admin.Components.Shared;
using LlmGateway.Admin.Services;

namespace LlmGateway.Admin.Components.Pages.Keys;

/// <summary>The new-key dialog's fields and their translation to <c>/key/generate</c>.</summary>
public sealed class KeyForm
{
    public string? TeamId { get; set; }
    public string? Alias { get; set; }
    public double? MaxBudget { get; set; }
    public double? SoftBudget { get; set; }
    public string? BudgetDuration { get; set; }
    public long? RpmLimit { get; set; }
    public long? TpmLimit { get; set; }
    public long? MaxParallelRequests { get; set; }
    public string? Duration { get; set; }
    public string? Models { get; set; }

    /// <summary>Why the form cannot be sent as typed, or null.</summary>
    public string? Problem() => FormChecks.First(
        FormChecks.NotNegative("Budget", MaxBudget),
        FormChecks.NotNegative("Alert at", SoftBudget),
        FormChecks.NotNegative("Requests / min", RpmLimit),
        FormChecks.NotNegative("Tokens / min", TpmLimit),
        FormChecks.NotNegative("Parallel requests", MaxParallelRequests));

    public KeyRequest ToRequest() => new()
    {
        TeamId = TeamId,
        KeyAlias = string.IsNullOrWhiteSpace(Alias) ? null : Alias.Trim(),
        MaxBudget = MaxBudget,
        SoftBudget = SoftBudget,
        BudgetDuration = BudgetDuration,
        RpmLimit = RpmLimit,
        TpmLimit = TpmLimit,
        MaxParallelRequests = MaxParallelRequests,
        Duration = Duration,
        Models = Format.SplitList(Models),
    };
}
