using LlmGateway.Api.Contracts;
using LlmGateway.Api.Data.Entities;
using LlmGateway.Api.Keys;
using LlmGateway.Api.Management;
using Microsoft.EntityFrameworkCore;

namespace LlmGateway.Api.Endpoints;

/// <summary>
/// LiteLLM's internal users: <c>/user/new|update|delete|info|list</c>. A user owns keys (<c>user_id</c>); each of its keys'
/// requests counts against the key's, the team's and the user's limits and budgets at once. Master key only.
/// </summary>
public static class UsersApi
{
    /// <summary>LiteLLM's roles; stored and returned (the management API itself takes the master key only).</summary>
    public static readonly IReadOnlyList<string> Roles = ["proxy_admin", "proxy_admin_viewer", "internal_user", "internal_user_viewer"];

    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        var users = app.MapGroup("/user").WithTags("Users").RequireMasterKey();
        users.MapPost("/new", CreateAsync).WithName("CreateUser").WithSummary("Create an internal user; with auto_create_key (default) also a key it owns.");
        users.MapPost("/update", UpdateAsync).WithName("UpdateUser").WithSummary("Change a user's fields.");
        users.MapPost("/delete", DeleteAsync).WithName("DeleteUsers").WithSummary("Delete users and the keys they own.");
        users.MapGet("/info", InfoAsync).WithName("UserInfo").WithSummary("A user, its spend this period, its keys and teams.");
        users.MapGet("/list", ListAsync).WithName("ListUsers").WithSummary("Users, paged (page, page_size), optionally of one role.");
        return app;
    }

    private static async Task<IResult> CreateAsync(UserRequest request, HttpContext context, [AsParameters] ManagementServices services)
    {
        if ((Validate(request) ?? await BudgetReferences.CheckAsync(services.Db, request.BudgetId, null, context.RequestAborted)) is { } invalid)
        {
            return ManagementServices.Error(invalid);
        }

        var userId = string.IsNullOrWhiteSpace(request.UserId) ? Guid.NewGuid().ToString() : request.UserId.Trim();
        if (userId.Length > 128 || await services.Db.InternalUsers.AnyAsync(u => u.UserId == userId, context.RequestAborted))
        {
            return ManagementServices.Error(GatewayError.InvalidRequest(
                $"A user with user_id '{userId}' already exists (or the id is over 128 characters).", "user_id", "invalid_value"));
        }

        var now = DateTimeOffset.UtcNow;
        var user = new InternalUser { UserId = userId, UserRole = "internal_user", CreatedAt = now, UpdatedAt = now };
        Apply(user, request);
        services.Db.InternalUsers.Add(user);
        string? secret = null;
        VirtualKey? key = null;
        if (request.AutoCreateKey ?? true)
        {
            secret = VirtualKeyFormat.Generate();
            var hash = VirtualKeyFormat.Hash(secret);
            key = new VirtualKey { Token = hash, SecretHash = hash, KeyName = VirtualKeyFormat.DisplayName(secret), UserId = userId, CreatedAt = now, UpdatedAt = now };
            services.Db.VirtualKeys.Add(key);
        }

        await services.Db.SaveChangesAsync(context.RequestAborted);
        var json = System.Text.Json.JsonSerializer.SerializeToNode(ManagementMapping.ToResponse(user, 0, now), ManagementJson.Options)!.AsObject();
        if (key is not null)
        {
            await services.Keys.ForgetSecretAsync(key.Token);
            json["key"] = secret; // LiteLLM's /user/new answer: the user's fields plus the new key, shown only here
            json["token"] = key.Token;
        }

        return TypedResults.Json(json);
    }

    private static async Task<IResult> UpdateAsync(UserRequest request, HttpContext context, [AsParameters] ManagementServices services)
    {
        var user = await services.Db.InternalUsers.FirstOrDefaultAsync(u => u.UserId == request.UserId, context.RequestAborted);
        if (user is null)
        {
            return ManagementServices.Error(ManagementErrors.NotFound($"User '{request.UserId}'", "user_id"));
        }

        if ((Validate(request) ?? await BudgetReferences.CheckAsync(services.Db, request.BudgetId, null, context.RequestAborted)) is { } invalid)
        {
            return ManagementServices.Error(invalid);
        }

        Apply(user, request);
        user.UpdatedAt = DateTimeOffset.UtcNow;
        await services.Db.SaveChangesAsync(context.RequestAborted);
        await services.Keys.PublishChangeAsync(UserMessage(user.UserId));
        return TypedResults.Ok(ManagementMapping.ToResponse(user, await services.UserSpendAsync(user, user.UpdatedAt, context.RequestAborted), user.UpdatedAt));
    }

    private static async Task<IResult> DeleteAsync(UserDeleteRequest request, HttpContext context, [AsParameters] ManagementServices services)
    {
        var ids = request.UserIds ?? [];
        var users = await services.Db.InternalUsers.Where(u => ids.Contains(u.UserId)).ToListAsync(context.RequestAborted);
        var keys = await services.Db.VirtualKeys.Where(k => k.UserId != null && ids.Contains(k.UserId)).ToListAsync(context.RequestAborted);
        services.Db.VirtualKeys.RemoveRange(keys);
        services.Db.InternalUsers.RemoveRange(users);
        await services.Db.SaveChangesAsync(context.RequestAborted);
        await services.Db.TeamMemberships.Where(m => ids.Contains(m.UserId)).ExecuteDeleteAsync(context.RequestAborted);
        await services.Db.OrganizationMemberships.Where(m => ids.Contains(m.UserId)).ExecuteDeleteAsync(context.RequestAborted);
        foreach (var user in users)
        {
            await services.Keys.PublishChangeAsync(KeyCache.Revocation(UserMessage(user.UserId)));
        }

        return TypedResults.Ok(new { deleted_users = users.Select(u => u.UserId).ToList(), deleted_keys = keys.Select(k => k.Token).ToList() });
    }

    private static async Task<IResult> InfoAsync(string? user_id, HttpContext context, [AsParameters] ManagementServices services)
    {
        var ct = context.RequestAborted;
        var user = await services.Db.InternalUsers.AsNoTracking().FirstOrDefaultAsync(u => u.UserId == user_id, ct);
        if (user is null)
        {
            return ManagementServices.Error(ManagementErrors.NotFound($"User '{user_id}'", "user_id"));
        }

        var now = DateTimeOffset.UtcNow;
        var keys = await services.Db.VirtualKeys.AsNoTracking().Where(k => k.UserId == user.UserId).OrderBy(k => k.CreatedAt).ToListAsync(ct);
        var infos = new List<KeyInfo>(keys.Count);
        foreach (var key in keys)
        {
            infos.Add(ManagementMapping.ToInfo(key, await services.KeySpendAsync(key, now, ct), now));
        }

        var teams = user.Teams.Union(keys.Where(k => k.TeamId is not null).Select(k => k.TeamId!)).Distinct().ToList();
        return TypedResults.Ok(new UserInfoResponse(user.UserId, ManagementMapping.ToResponse(user, await services.UserSpendAsync(user, now, ct), now), infos, teams));
    }

    private static async Task<IResult> ListAsync(string? role, int? page, int? page_size, HttpContext context, [AsParameters] ManagementServices services)
    {
        var size = Math.Clamp(page_size ?? 25, 1, 500);
        var number = Math.Max(1, page ?? 1);
        var query = services.Db.InternalUsers.AsNoTracking();
        if (!string.IsNullOrEmpty(role))
        {
            query = query.Where(u => u.UserRole == role);
        }

        var total = await query.CountAsync(context.RequestAborted);
        var users = await query.OrderBy(u => u.CreatedAt).ThenBy(u => u.UserId).Skip((int)Math.Min(int.MaxValue, (number - 1L) * size)).Take(size).ToListAsync(context.RequestAborted);
        var now = DateTimeOffset.UtcNow;
        var responses = new List<UserResponse>(users.Count);
        foreach (var user in users)
        {
            responses.Add(ManagementMapping.ToResponse(user, await services.UserSpendAsync(user, now, context.RequestAborted), now));
        }

        return TypedResults.Ok(new UserListResponse(responses, total, number, size, (total + size - 1) / size));
    }

    /// <summary>A user changed: every replica drops its cached keys (the key cache clears on a message it does not index).</summary>
    private static string UserMessage(string userId) => "user:" + userId;

    private static GatewayError? Validate(UserRequest request) =>
        request.UserRole is { } role && !Roles.Contains(role)
            ? GatewayError.InvalidRequest($"'user_role' must be one of {string.Join(", ", Roles)}; got '{role}'.", "user_role", "invalid_value")
            : ManagementErrors.Validate(request.BudgetDuration, request.MaxBudget, request.SoftBudget, request.RpmLimit, request.TpmLimit, request.MaxParallelRequests);

    private static void Apply(InternalUser user, UserRequest request)
    {
        user.UserAlias = request.UserAlias ?? user.UserAlias;
        user.UserEmail = request.UserEmail ?? user.UserEmail;
        user.UserRole = request.UserRole ?? user.UserRole;
        user.Models = request.Models ?? user.Models;
        user.Teams = request.Teams ?? user.Teams;
        request.ApplyLimits(user);
        user.Metadata = ManagementMapping.Json(request.Metadata, user.Metadata);
        user.BudgetId = BudgetReferences.Id(request.BudgetId, user.BudgetId);
    }
}
