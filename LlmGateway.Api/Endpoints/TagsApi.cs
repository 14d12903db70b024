using LlmGateway.Api.Contracts;
using LlmGateway.Api.Data.Entities;
using LlmGateway.Api.Limits;
using LlmGateway.Api.Management;
using LlmGateway.Api.Tags;
using Microsoft.EntityFrameworkCore;

namespace LlmGateway.Api.Endpoints;

/// <summary>
/// LiteLLM's tags: <c>/tag/new|update|delete|info|list</c>. A tag's budget and rate limits hold every request carrying it
/// (whatever its key or team), and its models restrict which models those requests may use. Master key only.
/// </summary>
public static class TagsApi
{
    public static IEndpointRouteBuilder MapTagsApi(this IEndpointRouteBuilder app)
    {
        var tags = app.MapGroup("/tag").WithTags("Tags").RequireMasterKey();
        tags.MapPost("/new", CreateAsync).WithName("CreateTag").WithSummary("Create a tag with a budget, rate limits and allowed models.");
        tags.MapPost("/update", UpdateAsync).WithName("UpdateTag").WithSummary("Change a tag's fields.");
        tags.MapPost("/delete", DeleteAsync).WithName("DeleteTag").WithSummary("Delete a tag: its budget and model list stop applying.");
        tags.MapPost("/info", InfoAsync).WithName("TagInfo").WithSummary("Tags by name (names: [...]), with their spend this period.");
        tags.MapGet("/list", ListAsync).WithName("ListTags").WithSummary("Every tag.");
        return app;
    }

    private static async Task<IResult> CreateAsync(TagRequest request, HttpContext context, [AsParameters] ManagementServices services, TagDirectory directory)
    {
        var name = request.Name?.Trim() ?? "";
        if ((ValidateName(name) ?? Validate(request)) is { } invalid)
        {
            return ManagementServices.Error(invalid);
        }

        if (await services.Db.Tags.AnyAsync(t => t.Name == name, context.RequestAborted))
        {
            return ManagementServices.Error(GatewayError.InvalidRequest($"A tag named '{name}' already exists.", "name", "invalid_value"));
        }

        var now = DateTimeOffset.UtcNow;
        var tag = new Tag { Name = name, CreatedAt = now, UpdatedAt = now };
        Apply(tag, request);
        services.Db.Tags.Add(tag);
        await services.Db.SaveChangesAsync(context.RequestAborted);
        await directory.PublishChangeAsync(context.RequestAborted);
        return TypedResults.Ok(new TagChangeResponse($"Tag {name} created successfully", ToResponse(tag, 0, now)));
    }

    private static async Task<IResult> UpdateAsync(TagRequest request, HttpContext context, [AsParameters] ManagementServices services, TagDirectory directory)
    {
        var tag = await services.Db.Tags.FirstOrDefaultAsync(t => t.Name == request.Name, context.RequestAborted);
        if (tag is null)
        {
            return ManagementServices.Error(ManagementErrors.NotFound($"Tag '{request.Name}'", "name"));
        }

        if (Validate(request) is { } invalid)
        {
            return ManagementServices.Error(invalid);
        }

        Apply(tag, request);
        tag.UpdatedAt = DateTimeOffset.UtcNow;
        await services.Db.SaveChangesAsync(context.RequestAborted);
        await directory.PublishChangeAsync(context.RequestAborted);
        var spend = await SpendAsync(services, tag, tag.UpdatedAt, context.RequestAborted);
        return TypedResults.Ok(new TagChangeResponse($"Tag {tag.Name} updated successfully", ToResponse(tag, spend, tag.UpdatedAt)));
    }

    private static async Task<IResult> DeleteAsync(TagDeleteRequest request, HttpContext context, [AsParameters] ManagementServices services, TagDirectory directory)
    {
        var deleted = await services.Db.Tags.Where(t => t.Name == request.Name).ExecuteDeleteAsync(context.RequestAborted);
        if (deleted == 0)
        {
            return ManagementServices.Error(ManagementErrors.NotFound($"Tag '{request.Name}'", "name"));
        }

        await directory.PublishChangeAsync(context.RequestAborted);
        return TypedResults.Ok(new { message = $"Tag {request.Name} deleted successfully" });
    }

    /// <summary>LiteLLM's answer: an object keyed by tag name; a 404 naming the tags that do not exist.</summary>
    private static async Task<IResult> InfoAsync(TagNamesRequest request, HttpContext context, [AsParameters] ManagementServices services)
    {
        var names = request.Names ?? [];
        var tags = await services.Db.Tags.AsNoTracking().Where(t => names.Contains(t.Name)).ToListAsync(context.RequestAborted);
        var missing = names.Except(tags.Select(t => t.Name)).ToList();
        if (names.Count == 0 || missing.Count > 0)
        {
            return ManagementServices.Error(ManagementErrors.NotFound($"Tags not found: {string.Join(", ", missing)}", "names"));
        }

        var now = DateTimeOffset.UtcNow;
        var answer = new Dictionary<string, TagResponse>(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            answer[tag.Name] = ToResponse(tag, await SpendAsync(services, tag, now, context.RequestAborted), now);
        }

        return TypedResults.Json(answer, ManagementJson.Options);
    }

    private static async Task<IResult> ListAsync(HttpContext context, [AsParameters] ManagementServices services)
    {
        var tags = await services.Db.Tags.AsNoTracking().OrderBy(t => t.Name).ToListAsync(context.RequestAborted);
        var now = DateTimeOffset.UtcNow;
        var answer = new List<TagResponse>(tags.Count);
        foreach (var tag in tags)
        {
            answer.Add(ToResponse(tag, await SpendAsync(services, tag, now, context.RequestAborted), now));
        }

        return TypedResults.Ok(answer);
    }

    /// <summary>Spend in the tag's current budget period (all time without a budget_duration): the live counter, else the ledger.</summary>
    private static Task<decimal> SpendAsync(ManagementServices services, Tag tag, DateTimeOffset now, CancellationToken ct) =>
        services.Ledger.CurrentSpendAsync(LimitScope.ForTag(tag.Name, tag.BudgetDuration, tag.CreatedAt, now), ct);

    /// <summary>A tag travels in comma-separated headers and in the tag table (64 characters).</summary>
    private static GatewayError? ValidateName(string name) =>
        name.Length is 0 or > 64 || name.Contains(',')
            ? GatewayError.InvalidRequest("'name' is required: 1 to 64 characters, no comma.", "name", "invalid_value")
            : null;

    private static GatewayError? Validate(TagRequest request) =>
        request.Description?.Length > 1024
            ? GatewayError.InvalidRequest("'description' may be at most 1024 characters.", "description", "invalid_value")
            : ManagementErrors.Validate(request.BudgetDuration, request.MaxBudget, null, request.RpmLimit, request.TpmLimit, null);

    private static void Apply(Tag tag, TagRequest request)
    {
        tag.Description = request.Description ?? tag.Description;
        tag.Models = request.Models ?? tag.Models;
        tag.MaxBudget = request.Updated("max_budget", request.MaxBudget, tag.MaxBudget);
        tag.BudgetDuration = request.Updated("budget_duration", request.BudgetDuration, tag.BudgetDuration);
        tag.RpmLimit = request.Updated("rpm_limit", request.RpmLimit, tag.RpmLimit);
        tag.TpmLimit = request.Updated("tpm_limit", request.TpmLimit, tag.TpmLimit);
    }

    private static TagResponse ToResponse(Tag tag, decimal spend, DateTimeOffset now)
    {
        return new TagResponse
        {
            Name = tag.Name,
            Description = tag.Description,
            Models = tag.Models,
            MaxBudget = tag.MaxBudget,
            BudgetDuration = tag.BudgetDuration,
            BudgetResetAt = ManagementMapping.ResetAt(tag.BudgetDuration, tag.CreatedAt, now),
            RpmLimit = tag.RpmLimit,
            TpmLimit = tag.TpmLimit,
            Spend = spend,
            LitellmBudgetTable = new TagBudget(tag.MaxBudget, tag.BudgetDuration, tag.RpmLimit, tag.TpmLimit),
            CreatedAt = tag.CreatedAt,
            UpdatedAt = tag.UpdatedAt,
        };
    }
}
