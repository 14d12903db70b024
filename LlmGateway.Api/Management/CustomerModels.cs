using System.Text.Json;

namespace LlmGateway.Api.Management;

/// <summary>LiteLLM's <c>/customer/new</c> and <c>/customer/update</c> body; on update a field left out is kept, a limit sent as null removed.</summary>
public sealed record CustomerRequest : ILimitsUpdate
{
    /// <summary>The fields this body sent as null: on update, a limit sent as null is removed.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public HashSet<string> SentNull { get; } = [];

    /// <summary>The end-user id requests carry (<c>user</c>, <c>x-litellm-end-user-id</c>).</summary>
    public string? UserId { get; init; }
    public string? Alias { get; init; }
    public bool? Blocked { get; init; }
    public decimal? MaxBudget { get; init; }
    public decimal? SoftBudget { get; init; }
    public string? BudgetDuration { get; init; }
    public long? RpmLimit { get; init; }
    public long? TpmLimit { get; init; }
    public int? MaxParallelRequests { get; init; }
    public string? BudgetId { get; init; }
    /// <summary><c>eu</c> or <c>us</c>.</summary>
    public string? AllowedModelRegion { get; init; }
    public string? DefaultModel { get; init; }
}

/// <summary><c>/customer/delete</c>, <c>/customer/block</c> and <c>/customer/unblock</c>.</summary>
public sealed record CustomerIdsRequest(List<string>? UserIds);

/// <summary>LiteLLM's end-user object, its limits in <c>litellm_budget_table</c>.</summary>
public sealed record CustomerResponse
{
    public required string UserId { get; init; }
    public string? Alias { get; init; }
    public bool Blocked { get; init; }
    public decimal Spend { get; init; }
    public string? AllowedModelRegion { get; init; }
    public string? DefaultModel { get; init; }
    public string? BudgetId { get; init; }
    public BudgetResponse? LitellmBudgetTable { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>LiteLLM's <c>/budget/new</c> and <c>/budget/update</c> body; on update a field left out is kept, a limit sent as null removed.</summary>
public sealed record BudgetRequest : ILimitsUpdate
{
    /// <summary>The fields this body sent as null: on update, a limit sent as null is removed.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public HashSet<string> SentNull { get; } = [];

    public string? BudgetId { get; init; }
    public decimal? MaxBudget { get; init; }
    public decimal? SoftBudget { get; init; }
    public int? MaxParallelRequests { get; init; }
    public long? TpmLimit { get; init; }
    public long? RpmLimit { get; init; }
    public string? BudgetDuration { get; init; }
    public JsonElement? ModelMaxBudget { get; init; }
}

/// <summary>LiteLLM's <c>/budget/info</c> body: the budget ids to show.</summary>
public sealed record BudgetInfoRequest(List<string>? Budgets);

/// <summary>LiteLLM's <c>/budget/delete</c> body.</summary>
public sealed record BudgetDeleteRequest(string? Id);

/// <summary>LiteLLM's budget row (<c>LiteLLM_BudgetTable</c>).</summary>
public sealed record BudgetResponse
{
    public string? BudgetId { get; init; }
    public decimal? MaxBudget { get; init; }
    public decimal? SoftBudget { get; init; }
    public int? MaxParallelRequests { get; init; }
    public long? TpmLimit { get; init; }
    public long? RpmLimit { get; init; }
    public string? BudgetDuration { get; init; }
    public DateTimeOffset? BudgetResetAt { get; init; }
    public JsonElement? ModelMaxBudget { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
    public DateTimeOffset? UpdatedAt { get; init; }
}
