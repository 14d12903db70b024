using System.Globalization;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Data;
using LlmGateway.Api.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace LlmGateway.Api.Management;

/// <summary>An organization bounds its teams: a team's models must be within the org's, its budget and limits at most the org's.</summary>
public static class OrganizationRules
{
    /// <summary>The error LiteLLM gives at <c>/team/new|update</c> for a team outside its organization; null when the team fits.</summary>
    public static async Task<GatewayError?> CheckTeamAsync(GatewayDbContext db, Team team, CancellationToken ct)
    {
        if (team.OrganizationId is not { } orgId)
        {
            return null;
        }

        var org = await db.Organizations.AsNoTracking().FirstOrDefaultAsync(o => o.OrganizationId == orgId, ct);
        if (org is null)
        {
            return GatewayError.InvalidRequest($"Organization '{orgId}' was not found.", "organization_id", "invalid_value");
        }

        if (org.Models.Count > 0 && !org.Models.Contains("*") && !org.Models.Contains("all-proxy-models")
            && team.Models.FirstOrDefault(m => !org.Models.Contains(m)) is { } outside)
        {
            return GatewayError.InvalidRequest(
                $"Model '{outside}' not in organization's allowed models. Organization allowed models=[{string.Join(", ", org.Models)}]. Organization={org.OrganizationId}.",
                "models", "invalid_value");
        }

        foreach (var (name, value, limit) in new (string, decimal?, decimal?)[]
                 { ("max_budget", team.MaxBudget, org.MaxBudget), ("tpm_limit", team.TpmLimit, org.TpmLimit), ("rpm_limit", team.RpmLimit, org.RpmLimit) })
        {
            if (value > limit)
            {
                return GatewayError.InvalidRequest(
                    $"Team {name}={value.Value.ToString(CultureInfo.InvariantCulture)} exceeds organization's {name}={limit.Value.ToString(CultureInfo.InvariantCulture)}. Organization={org.OrganizationId}.",
                    name, "invalid_value");
            }
        }

        return null;
    }
}
