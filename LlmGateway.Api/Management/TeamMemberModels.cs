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

/// <summary>LiteLLM's <c>/team/member_update</c> body; <c>max_budget_in_team</c> sent as null removes the member's budget.</summary>
public sealed record TeamMemberUpdateRequest : ISentNulls
{
    public string? TeamId { get; init; }
    public string? UserId { get; init; }
    public string? UserEmail { get; init; }
    public string? Role { get; init; }
    public decimal? MaxBudgetInTeam { get; init; }

    /// <summary>The fields this body sent as null.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public HashSet<string> SentNull { get; } = [];
}

public sealed record TeamMemberUpdateResponse(string TeamId, string UserId, string? UserEmail, decimal? MaxBudgetInTeam);

/// <summary>LiteLLM's <c>LiteLLM_TeamMembership</c>, its budget as <c>litellm_budget_table</c>.</summary>
public sealed record TeamMembershipResponse(string TeamId, string UserId, decimal Spend, string? BudgetId, MemberBudget? LitellmBudgetTable);

public sealed record MemberBudget(decimal? MaxBudget);
