using System.Text.Json;

namespace LlmGateway.Api.Management;

/// <summary>LiteLLM's <c>/organization/new</c> and <c>/organization/update</c> body; on update a field left out is kept, a limit sent as null removed.</summary>
public sealed record OrganizationRequest : ILimitsUpdate
{
    /// <summary>The fields this body sent as null: on update, a limit sent as null is removed.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public HashSet<string> SentNull { get; } = [];

    public string? OrganizationId { get; init; }
    public string? OrganizationAlias { get; init; }
    public List<string>? Models { get; init; }
    public decimal? MaxBudget { get; init; }
    public decimal? SoftBudget { get; init; }
    public string? BudgetDuration { get; init; }
    public long? RpmLimit { get; init; }
    public long? TpmLimit { get; init; }
    public int? MaxParallelRequests { get; init; }
    public JsonElement? Metadata { get; init; }
}

public sealed record OrganizationDeleteRequest(List<string>? OrganizationIds);

/// <summary>LiteLLM's older <c>POST /organization/info</c> body.</summary>
public sealed record OrganizationInfoRequest(List<string>? Organizations);

public sealed record OrganizationMemberAddRequest(string? OrganizationId, JsonElement? Member, decimal? MaxBudgetInOrganization);

/// <summary>LiteLLM's organization budget row (<c>litellm_budget_table</c>).</summary>
public sealed record OrganizationBudget
{
    public decimal? MaxBudget { get; init; }
    public decimal? SoftBudget { get; init; }
    public string? BudgetDuration { get; init; }
    public DateTimeOffset? BudgetResetAt { get; init; }
    public long? RpmLimit { get; init; }
    public long? TpmLimit { get; init; }
    public int? MaxParallelRequests { get; init; }
}

public sealed record OrganizationMembershipResponse(string OrganizationId, string UserId, string UserRole, decimal Spend, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>LiteLLM's <c>LiteLLM_OrganizationTableWithMembers</c>; the budget fields also at the top level, as the request has them.</summary>
public sealed record OrganizationResponse
{
    public required string OrganizationId { get; init; }
    public string? OrganizationAlias { get; init; }
    public string? BudgetId { get; init; }
    public IReadOnlyList<string> Models { get; init; } = [];
    public decimal Spend { get; init; }
    public decimal? MaxBudget { get; init; }
    public decimal? SoftBudget { get; init; }
    public string? BudgetDuration { get; init; }
    public DateTimeOffset? BudgetResetAt { get; init; }
    public long? RpmLimit { get; init; }
    public long? TpmLimit { get; init; }
    public int? MaxParallelRequests { get; init; }
    public JsonElement Metadata { get; init; }
    public required OrganizationBudget LitellmBudgetTable { get; init; }
    public IReadOnlyList<OrganizationMembershipResponse> Members { get; init; } = [];
    public IReadOnlyList<TeamResponse> Teams { get; init; } = [];
    public string CreatedBy { get; init; } = ManagementIdentity.AdminName;
    public string UpdatedBy { get; init; } = ManagementIdentity.AdminName;
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

public sealed record OrganizationMemberAddResponse(string OrganizationId, IReadOnlyList<UserResponse> UpdatedUsers, IReadOnlyList<OrganizationMembershipResponse> UpdatedOrganizationMemberships);

/// <summary>Who management changes are attributed to: the master key is LiteLLM's <c>litellm_proxy_admin_name</c>.</summary>
public static class ManagementIdentity
{
    public const string AdminName = "default_user_id";
}
