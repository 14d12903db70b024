using System.Text.Json;
using LlmGateway.Api.Data.Entities;
using LlmGateway.Api.Limits;
using Microsoft.EntityFrameworkCore;

namespace LlmGateway.Api.Management;

/// <summary>Organizations as LiteLLM answers them: with their spend this period, members, teams and budget row.</summary>
public static class OrganizationViews
{
    public static LimitScope Scope(Organization org, DateTimeOffset now) =>
        LimitScope.ForOrganization(org.OrganizationId, org.OrganizationAlias ?? org.OrganizationId, org.BudgetDuration, org.CreatedAt, now);

    public static async Task<List<OrganizationResponse>> ViewsAsync(ManagementServices services, IQueryable<Organization> query, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        var result = new List<OrganizationResponse>();
        foreach (var org in await query.AsNoTracking().OrderBy(o => o.CreatedAt).ToListAsync(ct))
        {
            result.Add(await ViewAsync(services, org, now, ct));
        }

        return result;
    }

    public static async Task<OrganizationResponse> ViewAsync(ManagementServices services, Organization org, DateTimeOffset now, CancellationToken ct)
    {
        var members = await services.Db.OrganizationMemberships.AsNoTracking().Where(m => m.OrganizationId == org.OrganizationId)
            .OrderBy(m => m.CreatedAt).ToListAsync(ct);
        var teams = await services.Db.Teams.AsNoTracking().Where(t => t.OrganizationId == org.OrganizationId).OrderBy(t => t.CreatedAt).ToListAsync(ct);
        var teamViews = new List<TeamResponse>(teams.Count);
        foreach (var team in teams)
        {
            teamViews.Add(ManagementMapping.ToResponse(team, await services.TeamSpendAsync(team, now, ct), now));
        }

        var resetAt = ManagementMapping.ResetAt(org.BudgetDuration, org.CreatedAt, now);
        return new OrganizationResponse
        {
            OrganizationId = org.OrganizationId,
            OrganizationAlias = org.OrganizationAlias,
            Models = org.Models,
            Spend = await services.Ledger.CurrentSpendAsync(Scope(org, now), ct),
            MaxBudget = org.MaxBudget,
            SoftBudget = org.SoftBudget,
            BudgetDuration = org.BudgetDuration,
            BudgetResetAt = resetAt,
            RpmLimit = org.RpmLimit,
            TpmLimit = org.TpmLimit,
            MaxParallelRequests = org.MaxParallelRequests,
            Metadata = JsonDocument.Parse(string.IsNullOrEmpty(org.Metadata) ? "{}" : org.Metadata).RootElement.Clone(),
            LitellmBudgetTable = new OrganizationBudget
            {
                MaxBudget = org.MaxBudget, SoftBudget = org.SoftBudget, BudgetDuration = org.BudgetDuration, BudgetResetAt = resetAt,
                RpmLimit = org.RpmLimit, TpmLimit = org.TpmLimit, MaxParallelRequests = org.MaxParallelRequests,
            },
            Members = members.Select(ToResponse).ToList(),
            Teams = teamViews,
            CreatedAt = org.CreatedAt,
            UpdatedAt = org.UpdatedAt,
        };
    }

    public static OrganizationMembershipResponse ToResponse(OrganizationMembership m) => new(m.OrganizationId, m.UserId, m.UserRole, 0, m.CreatedAt, m.UpdatedAt);
}
