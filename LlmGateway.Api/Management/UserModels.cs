using System.Text.Json;

namespace LlmGateway.Api.Management;

/// <summary>LiteLLM's <c>/user/new</c> and <c>/user/update</c> body; on update a field left out is kept, a limit sent as null removed.</summary>
public sealed record UserRequest : ILimitsUpdate
{
    /// <summary>The fields this body sent as null: on update, a limit sent as null is removed.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public HashSet<string> SentNull { get; } = [];

    public string? UserId { get; init; }
    public string? UserAlias { get; init; }
    public string? UserEmail { get; init; }
    public string? UserRole { get; init; }
    public List<string>? Models { get; init; }
    public List<string>? Teams { get; init; }
    public decimal? MaxBudget { get; init; }
    public decimal? SoftBudget { get; init; }
    public string? BudgetDuration { get; init; }
    public long? RpmLimit { get; init; }
    public long? TpmLimit { get; init; }
    public int? MaxParallelRequests { get; init; }
    public JsonElement? Metadata { get; init; }
    /// <summary>On <c>/user/new</c>: also create a key owned by the user (LiteLLM's default: true).</summary>
    public bool? AutoCreateKey { get; init; }
    /// <summary>A budget object whose limits apply where the user sets none; "" clears it.</summary>
    public string? BudgetId { get; init; }
}

public sealed record UserDeleteRequest(List<string>? UserIds);

/// <summary>LiteLLM's user object.</summary>
public sealed record UserResponse
{
    public required string UserId { get; init; }
    public string? UserAlias { get; init; }
    public string? UserEmail { get; init; }
    public required string UserRole { get; init; }
    public IReadOnlyList<string> Models { get; init; } = [];
    public IReadOnlyList<string> Teams { get; init; } = [];
    public decimal? MaxBudget { get; init; }
    public decimal? SoftBudget { get; init; }
    public string? BudgetDuration { get; init; }
    public DateTimeOffset? BudgetResetAt { get; init; }
    public decimal Spend { get; init; }
    public long? RpmLimit { get; init; }
    public long? TpmLimit { get; init; }
    public int? MaxParallelRequests { get; init; }
    public JsonElement Metadata { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public string? BudgetId { get; init; }
}

public sealed record UserInfoResponse(string UserId, UserResponse UserInfo, IReadOnlyList<KeyInfo> Keys, IReadOnlyList<string> Teams);

public sealed record UserListResponse(IReadOnlyList<UserResponse> Users, int Total, int Page, int PageSize, int TotalPages);
