namespace LlmGateway.Api.Data.Entities;

/// <summary>
/// An end customer (LiteLLM's end user): the id an app sends as the request's <c>user</c> (or in
/// <c>x-litellm-end-user-id</c>). Its own limits, or those of the budget object it references, bound its requests.
/// </summary>
public sealed class Customer : IHolderLimits
{
    /// <summary>LiteLLM's <c>user_id</c> of the end-user table: the end-user id requests carry.</summary>
    public required string UserId { get; set; }
    public string? Alias { get; set; }
    public bool Blocked { get; set; }
    /// <summary>A budget object (<see cref="Budget"/>) whose limits apply where the customer sets none of its own.</summary>
    public string? BudgetId { get; set; }
    /// <summary><c>eu</c> or <c>us</c>: stored and returned (routing by region is not enforced).</summary>
    public string? AllowedModelRegion { get; set; }
    public string? DefaultModel { get; set; }
    public decimal? MaxBudget { get; set; }
    public decimal? SoftBudget { get; set; }
    public string? BudgetDuration { get; set; }
    public long? RpmLimit { get; set; }
    public long? TpmLimit { get; set; }
    public int? MaxParallelRequests { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
