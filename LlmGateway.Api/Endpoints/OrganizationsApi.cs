using LlmGateway.Api.Contracts;
using LlmGateway.Api.Data.Entities;
using LlmGateway.Api.Keys;
using LlmGateway.Api.Management;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace LlmGateway.Api.Endpoints;

/// <summary>
/// LiteLLM's organizations: <c>/organization/new|update|delete|info|list|member_add</c>. Teams belong to one
/// (<c>organization_id</c> on <c>/team/new|update</c>); its models bound theirs and its budget is one more scope every key of
/// its teams is counted against. Deleting one deletes its teams and their keys, as LiteLLM does. Master key only.
/// </summary>
public static class OrganizationsApi
{
    public static IEndpointRouteBuilder MapOrganizationsApi(this IEndpointRouteBuilder app)
    {
        var orgs = app.MapGroup("/organization").WithTags("Organizations").RequireMasterKey();
        orgs.MapPost("/new", CreateAsync).WithName("CreateOrganization").WithSummary("Create an organization with budget, limits and allowed models.");
        orgs.MapMethods("/update", ["PATCH", "POST"], UpdateAsync).WithName("UpdateOrganization").WithSummary("Change an organization's fields.");
        orgs.MapMethods("/delete", ["DELETE", "POST"], DeleteAsync).WithName("DeleteOrganizations").WithSummary("Delete organizations, their teams and their teams' keys.");
        orgs.MapGet("/info", InfoAsync).WithName("OrganizationInfo").WithSummary("An organization, its spend this period, members and teams.");
        orgs.MapPost("/info", InfoManyAsync).WithName("OrganizationsInfo").WithSummary("Several organizations by id (LiteLLM's older form).");
        orgs.MapGet("/list", ListAsync).WithName("ListOrganizations").WithSummary("Every organization.");
        orgs.MapPost("/member_add", OrganizationMembersApi.AddAsync).WithName("AddOrganizationMembers").WithSummary("Add members (created as internal users when missing).");
        return app;
    }

    private static async Task<IResult> CreateAsync(OrganizationRequest request, HttpContext context, [AsParameters] ManagementServices services)
    {
        if (string.IsNullOrWhiteSpace(request.OrganizationAlias))
        {
            return ManagementServices.Error(GatewayError.InvalidRequest("'organization_alias' is required.", "organization_alias", "missing_field"));
        }

        if (Validate(request) is { } invalid)
        {
            return ManagementServices.Error(invalid);
        }

        var id = string.IsNullOrWhiteSpace(request.OrganizationId) ? Guid.NewGuid().ToString() : request.OrganizationId.Trim();
        if (id.Length > 128 || await services.Db.Organizations.AnyAsync(o => o.OrganizationId == id, context.RequestAborted))
        {
            return ManagementServices.Error(GatewayError.InvalidRequest(
                $"An organization with organization_id '{id}' already exists (or the id is over 128 characters).", "organization_id", "invalid_value"));
        }

        var now = DateTimeOffset.UtcNow;
        var org = new Organization { OrganizationId = id, CreatedAt = now, UpdatedAt = now };
        Apply(org, request);
        services.Db.Organizations.Add(org);
        await services.Db.SaveChangesAsync(context.RequestAborted);
        return TypedResults.Ok(await OrganizationViews.ViewAsync(services, org, now, context.RequestAborted));
    }

    private static async Task<IResult> UpdateAsync(OrganizationRequest request, HttpContext context, [AsParameters] ManagementServices services)
    {
        var org = await services.Db.Organizations.FirstOrDefaultAsync(o => o.OrganizationId == request.OrganizationId, context.RequestAborted);
        if (org is null)
        {
            return ManagementServices.Error(ManagementErrors.NotFound($"Organization '{request.OrganizationId}'", "organization_id"));
        }

        if (Validate(request) is { } invalid)
        {
            return ManagementServices.Error(invalid);
        }

        Apply(org, request);
        org.UpdatedAt = DateTimeOffset.UtcNow;
        await services.Db.SaveChangesAsync(context.RequestAborted);
        await services.Keys.PublishChangeAsync(OrganizationMessage(org.OrganizationId));
        return TypedResults.Ok(await OrganizationViews.ViewAsync(services, org, org.UpdatedAt, context.RequestAborted));
    }

    private static async Task<IResult> DeleteAsync([FromBody] OrganizationDeleteRequest request, HttpContext context, [AsParameters] ManagementServices services)
    {
        var ct = context.RequestAborted;
        var ids = request.OrganizationIds ?? [];
        var orgs = await services.Db.Organizations.Where(o => ids.Contains(o.OrganizationId)).ToListAsync(ct);
        if (ids.FirstOrDefault(id => orgs.All(o => o.OrganizationId != id)) is { } missing)
        {
            return ManagementServices.Error(ManagementErrors.NotFound($"Organization '{missing}'", "organization_ids"));
        }

        var now = DateTimeOffset.UtcNow;
        var views = new List<OrganizationResponse>(orgs.Count);
        foreach (var org in orgs)
        {
            views.Add(await OrganizationViews.ViewAsync(services, org, now, ct));
        }

        var teamIds = await services.Db.Teams.Where(t => t.OrganizationId != null && ids.Contains(t.OrganizationId)).Select(t => t.TeamId).ToListAsync(ct);
        await services.Db.TeamMemberships.Where(m => teamIds.Contains(m.TeamId)).ExecuteDeleteAsync(ct);
        await services.Db.Teams.Where(t => teamIds.Contains(t.TeamId)).ExecuteDeleteAsync(ct); // their keys cascade
        await services.Db.OrganizationMemberships.Where(m => ids.Contains(m.OrganizationId)).ExecuteDeleteAsync(ct);
        await services.Db.Organizations.Where(o => ids.Contains(o.OrganizationId)).ExecuteDeleteAsync(ct);
        foreach (var teamId in teamIds)
        {
            await services.Keys.PublishChangeAsync(KeyCache.Revocation(KeyCache.TeamMessage(teamId)));
        }

        return TypedResults.Ok(views);
    }

    private static async Task<IResult> InfoAsync(string? organization_id, HttpContext context, [AsParameters] ManagementServices services)
    {
        var org = await services.Db.Organizations.AsNoTracking().FirstOrDefaultAsync(o => o.OrganizationId == organization_id, context.RequestAborted);
        return org is null
            ? ManagementServices.Error(ManagementErrors.NotFound($"Organization '{organization_id}'", "organization_id"))
            : TypedResults.Ok(await OrganizationViews.ViewAsync(services, org, DateTimeOffset.UtcNow, context.RequestAborted));
    }

    private static async Task<IResult> InfoManyAsync(OrganizationInfoRequest request, HttpContext context, [AsParameters] ManagementServices services)
    {
        if (request.Organizations is not { Count: > 0 } ids)
        {
            return ManagementServices.Error(GatewayError.InvalidRequest("Specify the list of organization ids to query in 'organizations'.", "organizations", "missing_field"));
        }

        return TypedResults.Ok(await OrganizationViews.ViewsAsync(services, services.Db.Organizations.Where(o => ids.Contains(o.OrganizationId)), context.RequestAborted));
    }

    private static async Task<IResult> ListAsync(HttpContext context, [AsParameters] ManagementServices services) =>
        TypedResults.Ok(await OrganizationViews.ViewsAsync(services, services.Db.Organizations, context.RequestAborted));

    /// <summary>An organization changed: every replica drops its cached keys (the key cache clears on a message it does not index).</summary>
    private static string OrganizationMessage(string organizationId) => "org:" + organizationId;

    private static GatewayError? Validate(OrganizationRequest request) =>
        ManagementErrors.Validate(request.BudgetDuration, request.MaxBudget, request.SoftBudget, request.RpmLimit, request.TpmLimit, request.MaxParallelRequests);

    private static void Apply(Organization org, OrganizationRequest request)
    {
        org.OrganizationAlias = request.OrganizationAlias ?? org.OrganizationAlias;
        org.Models = request.Models ?? org.Models;
        request.ApplyLimits(org);
        org.Metadata = ManagementMapping.Json(request.Metadata, org.Metadata);
    }
}
