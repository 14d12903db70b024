using System.Text.Json;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Data.Entities;
using LlmGateway.Api.Keys;
using LlmGateway.Api.Limits;
using LlmGateway.Api.Management;
using Microsoft.EntityFrameworkCore;

namespace LlmGateway.Api.Endpoints;

/// <summary>
/// LiteLLM's team members: <c>/team/member_add|member_delete|member_update</c>. A member's keys for the team are held to its
/// <c>max_budget_in_team</c>; removing a member deletes its keys for the team (LiteLLM since PR #17057). Master key only.
/// </summary>
public static class TeamMembersApi
{
    public static IEndpointRouteBuilder MapTeamMembersApi(this IEndpointRouteBuilder app)
    {
        var team = app.MapGroup("/team").WithTags("Teams").RequireMasterKey();
        team.MapPost("/member_add", AddAsync).WithName("AddTeamMembers").WithSummary("Add members (created as internal users when missing), with a budget in the team.");
        team.MapPost("/member_delete", DeleteAsync).WithName("DeleteTeamMember").WithSummary("Remove a member; its keys for the team are deleted.");
        team.MapPost("/member_update", UpdateAsync).WithName("UpdateTeamMember").WithSummary("Change a member's role or budget in the team.");
        return app;
    }

    private static async Task<IResult> AddAsync(TeamMemberAddRequest request, HttpContext context, [AsParameters] ManagementServices services)
    {
        var ct = context.RequestAborted;
        var (members, invalid) = TeamMembers.Parse(request.Member, "member", TeamMembers.TeamRoles, "user");
        invalid ??= ManagementErrors.Money("max_budget_in_team", request.MaxBudgetInTeam);
        if (invalid is not null)
        {
            return ManagementServices.Error(invalid);
        }

        var team = await services.Db.Teams.FirstOrDefaultAsync(t => t.TeamId == request.TeamId, ct);
        if (team is null)
        {
            return ManagementServices.Error(ManagementErrors.NotFound($"Team '{request.TeamId}'", "team_id"));
        }

        var now = DateTimeOffset.UtcNow;
        var added = new List<(InternalUser User, TeamMembership Membership)>();
        foreach (var member in members)
        {
            if (await TeamMembers.AddAsync(services.Db, team, member, request.MaxBudgetInTeam, now, ct) is not { } pair)
            {
                return ManagementServices.Error(TeamMembers.AlreadyMember(member.UserId ?? member.UserEmail!, team.TeamId));
            }

            added.Add(pair);
        }

        team.UpdatedAt = now;
        await services.Db.SaveChangesAsync(ct);
        await services.Keys.PublishChangeAsync(KeyCache.TeamMessage(team.TeamId));
        var json = JsonSerializer.SerializeToNode(ManagementMapping.ToResponse(team, await services.TeamSpendAsync(team, now, ct), now), ManagementJson.Options)!.AsObject();
        json["updated_users"] = JsonSerializer.SerializeToNode(added.Select(a => ManagementMapping.ToResponse(a.User, 0, now)).ToList(), ManagementJson.Options);
        json["updated_team_memberships"] = JsonSerializer.SerializeToNode(added.Select(a => ToResponse(a.Membership, 0)).ToList(), ManagementJson.Options);
        return TypedResults.Json(json);
    }

    private static async Task<IResult> DeleteAsync(TeamMemberDeleteRequest request, HttpContext context, [AsParameters] ManagementServices services)
    {
        var ct = context.RequestAborted;
        var team = await services.Db.Teams.FirstOrDefaultAsync(t => t.TeamId == request.TeamId, ct);
        if (team is null)
        {
            return ManagementServices.Error(ManagementErrors.NotFound($"Team '{request.TeamId}'", "team_id"));
        }

        var roles = TeamMembers.Read(team.MembersWithRoles);
        var userId = request.UserId ?? roles.FirstOrDefault(m => request.UserEmail is not null && m.UserEmail == request.UserEmail)?.UserId;
        var membership = await services.Db.TeamMemberships.FirstOrDefaultAsync(m => m.TeamId == team.TeamId && m.UserId == userId, ct);
        if (userId is null || (membership is null && roles.All(m => m.UserId != userId)))
        {
            return ManagementServices.Error(GatewayError.InvalidRequest("User not found in team.", request.UserId is null ? "user_email" : "user_id", "invalid_value"));
        }

        team.MembersWithRoles = TeamMembers.Write(roles.Where(m => m.UserId != userId));
        team.UpdatedAt = DateTimeOffset.UtcNow;
        if (membership is not null)
        {
            services.Db.TeamMemberships.Remove(membership);
        }

        if (await services.Db.InternalUsers.FirstOrDefaultAsync(u => u.UserId == userId, ct) is { } user)
        {
            user.Teams = user.Teams.Where(t => t != team.TeamId).ToList();
        }

        var keys = await services.Db.VirtualKeys.Where(k => k.TeamId == team.TeamId && k.UserId == userId).ToListAsync(ct);
        services.Db.VirtualKeys.RemoveRange(keys);
        await services.Db.SaveChangesAsync(ct);
        foreach (var key in keys)
        {
            await services.Keys.PublishChangeAsync(KeyCache.Revocation(KeyCache.KeyMessage(key.Token)));
        }

        await services.Keys.PublishChangeAsync(KeyCache.TeamMessage(team.TeamId));
        return TypedResults.Ok(ManagementMapping.ToResponse(team, await services.TeamSpendAsync(team, team.UpdatedAt, ct), team.UpdatedAt));
    }

    private static async Task<IResult> UpdateAsync(TeamMemberUpdateRequest request, HttpContext context, [AsParameters] ManagementServices services)
    {
        var ct = context.RequestAborted;
        if (request.Role is { } role && !TeamMembers.TeamRoles.Contains(role))
        {
            return ManagementServices.Error(GatewayError.InvalidRequest($"'role' must be one of admin, user; got '{role}'.", "role", "invalid_value"));
        }

        if (ManagementErrors.Money("max_budget_in_team", request.MaxBudgetInTeam) is { } badBudget)
        {
            return ManagementServices.Error(badBudget);
        }

        var team = await services.Db.Teams.FirstOrDefaultAsync(t => t.TeamId == request.TeamId, ct);
        if (team is null)
        {
            return ManagementServices.Error(ManagementErrors.NotFound($"Team '{request.TeamId}'", "team_id"));
        }

        var roles = TeamMembers.Read(team.MembersWithRoles);
        var userId = request.UserId ?? roles.FirstOrDefault(m => request.UserEmail is not null && m.UserEmail == request.UserEmail)?.UserId;
        var membership = await services.Db.TeamMemberships.FirstOrDefaultAsync(m => m.TeamId == team.TeamId && m.UserId == userId, ct);
        if (userId is null || membership is null)
        {
            return ManagementServices.Error(GatewayError.InvalidRequest("User id doesn't exist in team table.", request.UserId is null ? "user_email" : "user_id", "invalid_value"));
        }

        var now = DateTimeOffset.UtcNow;
        membership.MaxBudgetInTeam = request.Updated("max_budget_in_team", request.MaxBudgetInTeam, membership.MaxBudgetInTeam);
        membership.UpdatedAt = now;
        if (request.Role is not null)
        {
            team.MembersWithRoles = TeamMembers.Write(roles.Select(m => m.UserId == userId ? m with { Role = request.Role } : m));
        }

        await services.Db.SaveChangesAsync(ct);
        await services.Keys.PublishChangeAsync(KeyCache.TeamMessage(team.TeamId));
        return TypedResults.Ok(new TeamMemberUpdateResponse(team.TeamId, userId, request.UserEmail, membership.MaxBudgetInTeam));
    }

    /// <summary>LiteLLM's <c>members_with_roles</c> on <c>/team/new</c>: each one becomes a member (and an internal user if new).</summary>
    public static async Task<GatewayError?> AddInitialMembersAsync(ManagementServices services, Team team, JsonElement? value, DateTimeOffset now, CancellationToken ct)
    {
        team.MembersWithRoles = "[]";
        if (value is null or { ValueKind: JsonValueKind.Null })
        {
            return null;
        }

        var (members, invalid) = TeamMembers.Parse(value, "members_with_roles", TeamMembers.TeamRoles, "user");
        if (invalid is not null)
        {
            return invalid;
        }

        foreach (var member in members)
        {
            if (await TeamMembers.AddAsync(services.Db, team, member, null, now, ct) is null)
            {
                return TeamMembers.AlreadyMember(member.UserId ?? member.UserEmail!, team.TeamId);
            }
        }

        return null;
    }

    public static TeamMembershipResponse ToResponse(TeamMembership membership, decimal spend) =>
        new(membership.TeamId, membership.UserId, spend, null, new MemberBudget(membership.MaxBudgetInTeam));

    /// <summary>The memberships of a team, each with its spend in the team.</summary>
    public static async Task<List<TeamMembershipResponse>> MembershipsAsync(ManagementServices services, string teamId, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        var result = new List<TeamMembershipResponse>();
        foreach (var membership in await services.Db.TeamMemberships.AsNoTracking().Where(m => m.TeamId == teamId).OrderBy(m => m.CreatedAt).ToListAsync(ct))
        {
            var scope = LimitScope.ForTeamMember(teamId, membership.UserId, membership.UserId, now);
            result.Add(ToResponse(membership, await services.Ledger.CurrentSpendAsync(scope, ct)));
        }

        return result;
    }
}
