using LlmGateway.Api.Keys;
using LlmGateway.Api.Limits;

namespace LlmGateway.Api.Tags;

/// <summary>A row of the tag table as the request path needs it: its model list and its limits.</summary>
public sealed record TagRecord(string Name, IReadOnlyList<string> Models, ScopeLimits Limits)
{
    /// <summary>Whether a request with this tag may use the model (an empty list allows every model).</summary>
    public bool Allows(string model, IReadOnlyList<string> accessGroups) => ModelGrant.Allows(Models, model, accessGroups);

    /// <summary>The tag's scope for the current window, or null when it limits nothing.</summary>
    public LimitScope? ScopeAt(DateTimeOffset now) => Limits.HasAny
        ? LimitScope.ForTag(Name, Limits.BudgetDuration, Limits.BudgetAnchor, now) with
        {
            Rpm = Limits.RpmLimit,
            Tpm = Limits.TpmLimit,
            Budget = Limits.MaxBudget,
        }
        : null;

    public static TagRecord From(Data.Entities.Tag tag) => new(tag.Name, tag.Models, new ScopeLimits
    {
        RpmLimit = tag.RpmLimit,
        TpmLimit = tag.TpmLimit,
        MaxBudget = tag.MaxBudget,
        BudgetDuration = tag.BudgetDuration,
        BudgetAnchor = tag.CreatedAt,
    });
}
