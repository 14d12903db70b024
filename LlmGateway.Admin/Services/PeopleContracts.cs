using System.Text.Json.Serialization;

namespace LlmGateway.Admin.Services;

/// <summary>A budget holder's spend this period, its budget and rate limits, as the management API answers them.</summary>
public abstract record BudgetHolder
{
    public double Spend { get; init; }
    public double? MaxBudget { get; init; }
    public string? BudgetDuration { get; init; }
    public DateTimeOffset? BudgetResetAt { get; init; }
    public long? RpmLimit { get; init; }
    public long? TpmLimit { get; init; }
    public long? MaxParallelRequests { get; init; }
}

/// <summary>
/// The budget and rate limits of a create or update body; unset fields are not sent (kept on update), and those in
/// <see cref="Removed"/> are sent as null (removed).
/// </summary>
public abstract record BudgetRequest
{
    /// <summary>Limits to remove, as <c>"field": null</c> (<see cref="Components.Shared.LimitRemovals"/>).</summary>
    [JsonExtensionData]
    public Dictionary<string, System.Text.Json.JsonElement>? Removed { get; init; }

    public double? MaxBudget { get; init; }
    public string? BudgetDuration { get; init; }
    public long? RpmLimit { get; init; }
    public long? TpmLimit { get; init; }
    public long? MaxParallelRequests { get; init; }
}

/// <summary>An internal user as <c>/user/list</c> and <c>/user/new</c> return it; <c>spend</c> is of the current period.</summary>
public sealed record User : BudgetHolder
{
    public string UserId { get; init; } = "";
    public string? UserAlias { get; init; }
    public string? UserEmail { get; init; }
    public string UserRole { get; init; } = "internal_user";
    public List<string>? Models { get; init; }
    public List<string>? Teams { get; init; }

    public string DisplayName => string.IsNullOrWhiteSpace(UserAlias) ? UserId : UserAlias;
}

public sealed record UserList
{
    public List<User> Users { get; init; } = [];
    public int Total { get; init; }
}

/// <summary>The body of <c>/user/new</c> and <c>/user/update</c>; unset fields are not sent (kept on update).</summary>
public sealed record UserRequest : BudgetRequest
{
    public string? UserId { get; init; }
    public string? UserAlias { get; init; }
    public string? UserEmail { get; init; }
    public string? UserRole { get; init; }
    public List<string>? Models { get; init; }
    /// <summary>Sent false on <c>/user/new</c>: keys are made on the Keys page, where their secret is shown once.</summary>
    public bool? AutoCreateKey { get; init; }
}

/// <summary>An end customer as <c>/customer/list</c> returns it; its limits are in <c>litellm_budget_table</c>.</summary>
public sealed record Customer
{
    public string UserId { get; init; } = "";
    public string? Alias { get; init; }
    public bool Blocked { get; init; }
    public double Spend { get; init; }
    public string? BudgetId { get; init; }
    public BudgetRow? LitellmBudgetTable { get; init; }

    public string DisplayName => string.IsNullOrWhiteSpace(Alias) ? UserId : $"{Alias} ({UserId})";
}

/// <summary>LiteLLM's budget row, as customers, organizations and tags nest it.</summary>
public sealed record BudgetRow
{
    public double? MaxBudget { get; init; }
    public string? BudgetDuration { get; init; }
    public DateTimeOffset? BudgetResetAt { get; init; }
    public long? RpmLimit { get; init; }
    public long? TpmLimit { get; init; }
    public long? MaxParallelRequests { get; init; }
}

/// <summary>The body of <c>/customer/new</c> and <c>/customer/update</c>.</summary>
public sealed record CustomerRequest : BudgetRequest
{
    public string? UserId { get; init; }
    public string? Alias { get; init; }
    public bool? Blocked { get; init; }
}

/// <summary>An organization as <c>/organization/list</c> returns it, with its teams.</summary>
public sealed record Organization : BudgetHolder
{
    public string OrganizationId { get; init; } = "";
    public string? OrganizationAlias { get; init; }
    public List<string>? Models { get; init; }
    public List<Team>? Teams { get; init; }

    public string DisplayName => string.IsNullOrWhiteSpace(OrganizationAlias) ? OrganizationId : OrganizationAlias;
}

/// <summary>The body of <c>/organization/new</c> and <c>/organization/update</c>.</summary>
public sealed record OrganizationRequest : BudgetRequest
{
    public string? OrganizationId { get; init; }
    public string? OrganizationAlias { get; init; }
    public List<string>? Models { get; init; }
}

/// <summary>A tag object as <c>/tag/list</c> returns it; <c>spend</c> is of the current period.</summary>
public sealed record Tag : BudgetHolder
{
    public string Name { get; init; } = "";
    public string? Description { get; init; }
    public List<string>? Models { get; init; }
}

/// <summary>The body of <c>/tag/new</c> and <c>/tag/update</c>.</summary>
public sealed record TagRequest : BudgetRequest
{
    public string? Name { get; init; }
    public string? Description { get; init; }
    public List<string>? Models { get; init; }
}

/// <summary>One of a team's <c>members_with_roles</c>: <c>admin</c> or <c>user</c>.</summary>
public sealed record TeamMember
{
    public string? UserId { get; init; }
    public string? UserEmail { get; init; }
    public string? Role { get; init; }
}

/// <summary>A member's spend and budget in a team (<c>team_memberships</c> of <c>/team/info</c>).</summary>
public sealed record TeamMembership
{
    public string UserId { get; init; } = "";
    public double Spend { get; init; }
    public MemberBudget? LitellmBudgetTable { get; init; }
}

public sealed record MemberBudget
{
    public double? MaxBudget { get; init; }
}

/// <summary>The body of <c>/team/member_add</c> and <c>/team/member_update</c>.</summary>
public sealed record TeamMemberRequest
{
    public string TeamId { get; init; } = "";
    [JsonPropertyName("member")]
    public TeamMember? Member { get; init; }
    public string? UserId { get; init; }
    public string? Role { get; init; }
    public double? MaxBudgetInTeam { get; init; }

    /// <summary>On update, <c>max_budget_in_team</c> to remove, as null (<see cref="Components.Shared.LimitRemovals"/>).</summary>
    [JsonExtensionData]
    public Dictionary<string, System.Text.Json.JsonElement>? Removed { get; init; }
}
