using System.Text.Json;

namespace LlmGateway.Api.Management;

/// <summary>LiteLLM's <c>Member</c>: a user of a team (or organization) by id or email, with a role.</summary>
public sealed record Member
{
    public string? UserId { get; init; }
    public string? UserEmail { get; init; }
    public string? Role { get; init; }
}

/// <summary>LiteLLM's <c>/team/member_add</c> body: <c>member</c> is one member or a list.</summary>
public sealed record TeamMemberAddRequest(string? TeamId, JsonElement? Member, decimal? MaxBudgetInTeam);

public sealed record TeamMemberDeleteRequest(string? TeamId, string? UserId, string? UserEmail);

public sealed record TeamMemberUpdateRequest(string? TeamId, string? UserId, string? UserEmail, string? Role, decimal? MaxBudgetInTeam);

public sealed record TeamMemberUpdateResponse(string TeamId, string UserId, string? UserEmail, decimal? MaxBudgetInTeam);

/// <summary>LiteLLM's <c>LiteLLM_TeamMembership</c>, its budget as <c>litellm_budget_table</c>.</summary>
public sealed record TeamMembershipResponse(string TeamId, string UserId, decimal Spend, string? BudgetId, MemberBudget? LitellmBudgetTable);

public sealed record MemberBudget(decimal? MaxBudget);
