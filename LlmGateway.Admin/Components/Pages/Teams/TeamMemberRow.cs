using LlmGateway.Admin.Services;

namespace LlmGateway.Admin.Components.Pages.Teams;

/// <summary>A member as the team page shows it: its role (<c>members_with_roles</c>) with its spend and budget in the team (<c>team_memberships</c>).</summary>
public sealed record TeamMemberRow(string UserId, string? UserEmail, string Role, double Spend, double? MaxBudgetInTeam)
{
    public static List<TeamMemberRow> Of(TeamInfo info) =>
        [.. (info.Details?.MembersWithRoles ?? []).Where(m => m.UserId is not null).Select(m =>
        {
            var membership = info.TeamMemberships?.FirstOrDefault(t => t.UserId == m.UserId);
            return new TeamMemberRow(m.UserId!, m.UserEmail, m.Role ?? "user", membership?.Spend ?? 0, membership?.LitellmBudgetTable?.MaxBudget);
        })];
}
