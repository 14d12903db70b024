namespace LlmGateway.Api.Data.Entities;

/// <summary>
/// An internal user's membership of a team (LiteLLM's <c>LiteLLM_TeamMembership</c>): its keys for the team are also held to
/// <see cref="MaxBudgetInTeam"/>. The role lives in the team's <c>members_with_roles</c>, as in LiteLLM.
/// </summary>
public sealed class TeamMembership
{
    public required string TeamId { get; set; }
    public required string UserId { get; set; }
    public decimal? MaxBudgetInTeam { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
