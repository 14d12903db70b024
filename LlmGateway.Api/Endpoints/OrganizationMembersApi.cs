using LlmGateway.Api.Data.Entities;
using LlmGateway.Api.Management;
using Microsoft.EntityFrameworkCore;

namespace LlmGateway.Api.Endpoints;

/// <summary>LiteLLM's <c>/organization/member_add</c>: members by user_id or user_email, created as internal users when missing.</summary>
public static class OrganizationMembersApi
{
    public static async Task<IResult> AddAsync(OrganizationMemberAddRequest request, HttpContext context, [AsParameters] ManagementServices services)
    {
        var ct = context.RequestAborted;
        var (members, invalid) = TeamMembers.Parse(request.Member, "member", TeamMembers.OrganizationRoles, "internal_user");
        if (invalid is not null)
        {
            return ManagementServices.Error(invalid);
        }

        if (!await services.Db.Organizations.AnyAsync(o => o.OrganizationId == request.OrganizationId, ct))
        {
            return ManagementServices.Error(ManagementErrors.NotFound($"Organization '{request.OrganizationId}'", "organization_id"));
        }

        var now = DateTimeOffset.UtcNow;
        var users = new List<InternalUser>();
        var memberships = new List<OrganizationMembership>();
        foreach (var member in members)
        {
            var user = await TeamMembers.EnsureUserAsync(services.Db, member, now, ct);
            var membership = memberships.FirstOrDefault(m => m.UserId == user.UserId)
                ?? await services.Db.OrganizationMemberships.FirstOrDefaultAsync(m => m.OrganizationId == request.OrganizationId && m.UserId == user.UserId, ct);
            if (membership is null)
            {
                membership = new OrganizationMembership { OrganizationId = request.OrganizationId!, UserId = user.UserId, UserRole = member.Role!, CreatedAt = now };
                services.Db.OrganizationMemberships.Add(membership);
            }

            membership.UserRole = member.Role!;
            membership.UpdatedAt = now;
            users.Add(user);
            memberships.Add(membership);
        }

        await services.Db.SaveChangesAsync(ct);
        return TypedResults.Ok(new OrganizationMemberAddResponse(request.OrganizationId!,
            users.Select(u => ManagementMapping.ToResponse(u, 0, now)).ToList(), memberships.Select(OrganizationViews.ToResponse).ToList()));
    }
}
