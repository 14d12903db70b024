using LlmGateway.Api.Data;
using LlmGateway.Api.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace LlmGateway.Api.Keys;

/// <summary>The team-member budget and the organization of a key's team, loaded with the key.</summary>
public sealed partial class KeyCache
{
    private static async Task<KeyRecord> WithTeamScopesAsync(GatewayDbContext db, KeyRecord record, Team? team, CancellationToken ct)
    {
        if (team is null)
        {
            return record;
        }

        var membership = record.UserId is { } userId
            ? await db.TeamMemberships.AsNoTracking().FirstOrDefaultAsync(m => m.TeamId == team.TeamId && m.UserId == userId, ct)
            : null;
        var org = team.OrganizationId is { } orgId
            ? await db.Organizations.AsNoTracking().FirstOrDefaultAsync(o => o.OrganizationId == orgId, ct)
            : null;
        return record with
        {
            MemberLimits = membership?.MaxBudgetInTeam is { } budget ? new ScopeLimits { MaxBudget = budget, BudgetAnchor = membership.CreatedAt } : null,
            OrganizationId = org?.OrganizationId,
            OrganizationAlias = org?.OrganizationAlias,
            OrganizationModels = org?.Models ?? [],
            OrganizationLimits = org is null ? null : new ScopeLimits
            {
                RpmLimit = org.RpmLimit,
                TpmLimit = org.TpmLimit,
                MaxParallelRequests = org.MaxParallelRequests,
                MaxBudget = org.MaxBudget,
                SoftBudget = org.SoftBudget,
                BudgetDuration = org.BudgetDuration,
                BudgetAnchor = org.CreatedAt,
            },
        };
    }
}
