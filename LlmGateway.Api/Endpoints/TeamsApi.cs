using LlmGateway.Api.Data.Entities;
using LlmGateway.Api.Keys;
using LlmGateway.Api.Limits;
using LlmGateway.Api.Management;
using Microsoft.EntityFrameworkCore;

namespace LlmGateway.Api.Endpoints;

/// <summary>LiteLLM's team management: <c>/team/new|update|delete|info|list</c>. Master key only.</summary>
public static class TeamsApi
{
    public static IEndpointRouteBuilder MapTeamsApi(this IEndpointRouteBuilder app)
    {
        var teams = app.MapGroup("/team").WithTags("Teams").RequireMasterKey();
        teams.MapPost("/new", CreateAsync).WithName("CreateTeam").WithSummary("Create a team with budget, limits and allowed models.");
        teams.MapPost("/update", UpdateAsync).WithName("UpdateTeam").WithSummary("Change a team's fields.");
        teams.MapPost("/delete", DeleteAsync).WithName("DeleteTeams").WithSummary("Delete teams; their keys stop working at once.");
        teams.MapGet("/info", InfoAsync).WithName("TeamInfo").WithSummary("A team, its spend this period and its keys.");
        teams.MapGet("/list", ListAsync).WithName("ListTeams").WithSummary("Every team.");
        return app;
    }

    private static async Task<IResult> CreateAsync(TeamRequest request, HttpContext context, [AsParameters] ManagementServices services)
    {
        if ((TeamMembers.CheckKeyDuration(request.TeamMemberKeyDuration) ?? ManagementErrors.Validate(request.BudgetDuration, request.MaxBudget, request.SoftBudget, request.RpmLimit, request.TpmLimit, request.MaxParallelRequests)) is { } invalid)
        {
            return ManagementServices.Error(invalid);
        }

        var teamId = string.IsNullOrWhiteSpace(request.TeamId) ? Guid.NewGuid().ToString() : request.TeamId.Trim();
        if (teamId.Length > 128 || await services.Db.Teams.AnyAsync(t => t.TeamId == teamId, context.RequestAborted))
        {
            return ManagementServices.Error(Contracts.GatewayError.InvalidRequest($"A team with team_id '{teamId}' already exists (or the id is over 128 characters).", "team_id", "invalid_value"));
        }

        var now = DateTimeOffset.UtcNow;
        var team = new Team { TeamId = teamId, CreatedAt = now, UpdatedAt = now };
        Apply(team, request);
        var refused = await OrganizationRules.CheckTeamAsync(services.Db, team, context.RequestAborted)
            ?? await TeamMembersApi.AddInitialMembersAsync(services, team, request.MembersWithRoles, now, context.RequestAborted);
        if (refused is not null)
        {
            return ManagementServices.Error(refused);
        }

        services.Db.Teams.Add(team);
        await services.Db.SaveChangesAsync(context.RequestAborted);
        return TypedResults.Ok(ManagementMapping.ToResponse(team, 0, now));
    }

    private static async Task<IResult> UpdateAsync(TeamRequest request, HttpContext context, [AsParameters] ManagementServices services)
    {
        var team = await services.Db.Teams.FirstOrDefaultAsync(t => t.TeamId == request.TeamId, context.RequestAborted);
        if (team is null)
        {
            return ManagementServices.Error(ManagementErrors.NotFound($"Team '{request.TeamId}'", "team_id"));
        }

        if ((TeamMembers.CheckKeyDuration(request.TeamMemberKeyDuration) ?? ManagementErrors.Validate(request.BudgetDuration, request.MaxBudget, request.SoftBudget, request.RpmLimit, request.TpmLimit, request.MaxParallelRequests)) is { } invalid)
        {
            return ManagementServices.Error(invalid);
        }

        var now = DateTimeOffset.UtcNow;
        var (budgetBefore, spentBefore) = (team.MaxBudget, TeamScope(team, now).SpentKey);
        Apply(team, request);
        if (await OrganizationRules.CheckTeamAsync(services.Db, team, context.RequestAborted) is { } outside)
        {
            return ManagementServices.Error(outside);
        }

        team.UpdatedAt = DateTimeOffset.UtcNow;
        await services.Db.SaveChangesAsync(context.RequestAborted);
        // A blocked team's in-flight streams are cut too (docs/security.md).
        await services.Keys.PublishChangeAsync(team.Blocked ? KeyCache.Revocation(KeyCache.TeamMessage(team.TeamId)) : KeyCache.TeamMessage(team.TeamId));
        // A budget set again after it was lifted (nothing was counted meanwhile), or a new period: rebuilt from the ledger.
        var after = TeamScope(team, now);
        if (after.SpentKey != spentBefore || (budgetBefore is null && team.MaxBudget is not null))
        {
            await services.Counters.RecountAsync(after);
        }

        return TypedResults.Ok(ManagementMapping.ToResponse(team, await services.TeamSpendAsync(team, team.UpdatedAt, context.RequestAborted), team.UpdatedAt));
    }

    private static LimitScope TeamScope(Team team, DateTimeOffset now) =>
        LimitScope.ForTeam(team.TeamId, team.TeamAlias ?? team.TeamId, team.BudgetDuration, team.CreatedAt, now);

    private static async Task<IResult> DeleteAsync(TeamDeleteRequest request, HttpContext context, [AsParameters] ManagementServices services)
    {
        var ids = request.TeamIds ?? [];
        var deleted = await services.Db.Teams.Where(t => ids.Contains(t.TeamId)).ExecuteDeleteAsync(context.RequestAborted);
        await services.Db.TeamMemberships.Where(m => ids.Contains(m.TeamId)).ExecuteDeleteAsync(context.RequestAborted);
        foreach (var id in ids)
        {
            await services.Keys.PublishChangeAsync(KeyCache.Revocation(KeyCache.TeamMessage(id)));
        }

        return TypedResults.Ok(new { deleted_teams = ids, deleted_count = deleted });
    }

    private static async Task<IResult> InfoAsync(string? team_id, HttpContext context, [AsParameters] ManagementServices services)
    {
        var team = await services.Db.Teams.AsNoTracking().Include(t => t.Keys).FirstOrDefaultAsync(t => t.TeamId == team_id, context.RequestAborted);
        if (team is null)
        {
            return ManagementServices.Error(ManagementErrors.NotFound($"Team '{team_id}'", "team_id"));
        }

        var now = DateTimeOffset.UtcNow;
        var keys = new List<KeyInfo>(team.Keys.Count);
        foreach (var key in team.Keys.OrderBy(k => k.CreatedAt))
        {
            keys.Add(ManagementMapping.ToInfo(key, await services.KeySpendAsync(key, now, context.RequestAborted), now));
        }

        var info = ManagementMapping.ToResponse(team, await services.TeamSpendAsync(team, now, context.RequestAborted), now);
        return TypedResults.Ok(new TeamInfoResponse(team.TeamId, info, keys)
        {
            TeamMemberships = await TeamMembersApi.MembershipsAsync(services, team.TeamId, context.RequestAborted),
        });
    }

    private static async Task<IResult> ListAsync(HttpContext context, [AsParameters] ManagementServices services)
    {
        var now = DateTimeOffset.UtcNow;
        var teams = await services.Db.Teams.AsNoTracking().OrderBy(t => t.CreatedAt).ToListAsync(context.RequestAborted);
        var result = new List<TeamResponse>(teams.Count);
        foreach (var team in teams)
        {
            result.Add(ManagementMapping.ToResponse(team, await services.TeamSpendAsync(team, now, context.RequestAborted), now));
        }

        return TypedResults.Ok(result);
    }

    private static void Apply(Team team, TeamRequest request)
    {
        team.TeamAlias = request.TeamAlias ?? team.TeamAlias;
        team.Models = request.Models ?? team.Models;
        request.ApplyLimits(team);
        team.Metadata = ManagementMapping.Json(request.Metadata, team.Metadata);
        team.Tags = request.Tags ?? team.Tags;
        team.Blocked = request.Blocked ?? team.Blocked;
        team.MembersWithRoles = ManagementMapping.Json(request.MembersWithRoles, team.MembersWithRoles);
        team.OrganizationId = request.OrganizationId ?? team.OrganizationId;
        team.Metadata = TeamMembers.WithKeyDuration(team.Metadata, request.TeamMemberKeyDuration);
    }
}
