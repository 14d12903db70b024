namespace LlmGateway.Api.Management;

/// <summary>LiteLLM's <c>/tag/new</c> and <c>/tag/update</c> body; on update a field left out is kept, a limit sent as null removed.</summary>
public sealed record TagRequest : ISentNulls
{
    /// <summary>The fields this body sent as null: on update, a limit sent as null is removed.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public HashSet<string> SentNull { get; } = [];

    public string? Name { get; init; }
    public string? Description { get; init; }
    public List<string>? Models { get; init; }
    public decimal? MaxBudget { get; init; }
    public string? BudgetDuration { get; init; }
    public long? RpmLimit { get; init; }
    public long? TpmLimit { get; init; }
}

public sealed record TagNamesRequest(List<string>? Names);

public sealed record TagDeleteRequest(string? Name);

/// <summary>LiteLLM's budget fields of a tag, nested as its <c>litellm_budget_table</c>.</summary>
public sealed record TagBudget(decimal? MaxBudget, string? BudgetDuration, long? RpmLimit, long? TpmLimit);

/// <summary>LiteLLM's tag object, with the budget's fields at the top level too and the spend of the current period.</summary>
public sealed record TagResponse
{
    public required string Name { get; init; }
    public string? Description { get; init; }
    public IReadOnlyList<string> Models { get; init; } = [];
    public decimal? MaxBudget { get; init; }
    public string? BudgetDuration { get; init; }
    public DateTimeOffset? BudgetResetAt { get; init; }
    public long? RpmLimit { get; init; }
    public long? TpmLimit { get; init; }
    public decimal Spend { get; init; }
    public required TagBudget LitellmBudgetTable { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

public sealed record TagChangeResponse(string Message, TagResponse Tag);
