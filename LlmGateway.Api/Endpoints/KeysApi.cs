using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Data.Entities;
using LlmGateway.Api.Keys;
using LlmGateway.Api.Limits;
using LlmGateway.Api.Management;
using Microsoft.EntityFrameworkCore;

namespace LlmGateway.Api.Endpoints;

/// <summary>LiteLLM's key management: <c>/key/generate|update|delete|block|unblock|info|list</c> and regeneration. Master key only.</summary>
public static class KeysApi
{
    public static IEndpointRouteBuilder MapKeysApi(this IEndpointRouteBuilder app)
    {
        var keys = app.MapGroup("/key").WithTags("Keys").RequireMasterKey();
        keys.MapPost("/generate", GenerateAsync).WithName("GenerateKey").WithSummary("Create a virtual key; the secret is shown only in this response.");
        keys.MapPost("/update", UpdateAsync).WithName("UpdateKey").WithSummary("Change a key's fields (by secret or token).");
        keys.MapPost("/delete", DeleteAsync).WithName("DeleteKeys").WithSummary("Delete keys by secret, token or alias.");
        keys.MapPost("/block", (KeyBlockRequest r, HttpContext c, [AsParameters] ManagementServices s) => SetBlockedAsync(r, c, s, true))
            .WithName("BlockKey").WithSummary("Block a key: it is refused on every replica within a second.");
        keys.MapPost("/unblock", (KeyBlockRequest r, HttpContext c, [AsParameters] ManagementServices s) => SetBlockedAsync(r, c, s, false))
            .WithName("UnblockKey").WithSummary("Unblock a key.");
        keys.MapPost("/{key}/regenerate", RegenerateAsync).WithName("RegenerateKey").WithSummary("New secret for the same key; the old one works for the grace period.");
        keys.MapGet("/info", InfoAsync).WithName("KeyInfo").WithSummary("A key's settings and spend this period (never its secret).");
        keys.MapGet("/list", ListAsync).WithName("ListKeys").WithSummary("Keys, paged, optionally of one team.");
        return app;
    }

    private static async Task<IResult> GenerateAsync(KeyRequest request, HttpContext context, [AsParameters] ManagementServices services)
    {
        if ((ManagementErrors.Validate(request.BudgetDuration, request.MaxBudget, request.SoftBudget, request.RpmLimit, request.TpmLimit,
                request.MaxParallelRequests, request.Duration) ?? KeyOnly(request)) is { } invalid)
        {
            return ManagementServices.Error(invalid);
        }

        if (await BudgetReferences.CheckAsync(services.Db, request.BudgetId, request.BudgetLimits, context.RequestAborted) is { } badBudget)
        {
            return ManagementServices.Error(badBudget);
        }

        if (request.TeamId is { } teamId && !await services.Db.Teams.AnyAsync(t => t.TeamId == teamId, context.RequestAborted))
        {
            return ManagementServices.Error(ManagementErrors.NotFound($"Team '{teamId}'", "team_id"));
        }

        request = await TeamMembers.WithMemberKeyDurationAsync(services.Db, request, context.RequestAborted);
        var secret = VirtualKeyFormat.Generate();
        var hash = VirtualKeyFormat.Hash(secret);
        var now = DateTimeOffset.UtcNow;
        var key = new VirtualKey { Token = hash, SecretHash = hash, KeyName = VirtualKeyFormat.DisplayName(secret), CreatedAt = now, UpdatedAt = now };
        Apply(key, request, now);
        services.Db.VirtualKeys.Add(key);
        await services.Db.SaveChangesAsync(context.RequestAborted);
        await services.Keys.ForgetSecretAsync(hash);
        return TypedResults.Json(WithSecret(ManagementMapping.ToInfo(key, 0, now), secret));
    }

    private static async Task<IResult> UpdateAsync(KeyRequest request, HttpContext context, [AsParameters] ManagementServices services)
    {
        var key = await FindAsync(services, request.Key, context.RequestAborted);
        if (key is null)
        {
            return ManagementServices.Error(ManagementErrors.NotFound("The key", "key"));
        }

        if ((ManagementErrors.Validate(request.BudgetDuration, request.MaxBudget, request.SoftBudget, request.RpmLimit, request.TpmLimit,
                request.MaxParallelRequests, request.Duration) ?? KeyOnly(request)) is { } invalid)
        {
            return ManagementServices.Error(invalid);
        }

        if (await BudgetReferences.CheckAsync(services.Db, request.BudgetId, request.BudgetLimits, context.RequestAborted) is { } badBudget)
        {
            return ManagementServices.Error(badBudget);
        }

        if (request.TeamId is { } teamId && teamId != key.TeamId && !await services.Db.Teams.AnyAsync(t => t.TeamId == teamId, context.RequestAborted))
        {
            return ManagementServices.Error(ManagementErrors.NotFound($"Team '{teamId}'", "team_id"));
        }

        var now = DateTimeOffset.UtcNow;
        var before = KeyScope(key, now);
        var teamBefore = key.TeamId;
        var (budgetBefore, budgetIdBefore) = (key.MaxBudget, key.BudgetId);
        Apply(key, request, now);
        key.TempBudgetIncrease = request.TempBudgetIncrease ?? key.TempBudgetIncrease;
        key.TempBudgetExpiry = request.TempBudgetExpiry ?? key.TempBudgetExpiry;
        key.UpdatedAt = now;
        await services.Db.SaveChangesAsync(context.RequestAborted);
        await services.Keys.PublishChangeAsync(KeyChange(key));
        // Counters the key now uses that are not its own up to date (ScopeCounters): another team's, a budget's set again.
        var after = KeyScope(key, now);
        if (after.HashTag != before.HashTag)
        {
            await services.Counters.CarryWindowsAsync(before, after);
            // Its per-model windows likewise (named after the key's hash tag, which the team gives).
            var models = KeyRecords.ParseLimits(key.ModelRpmLimit).Keys.Union(KeyRecords.ParseLimits(key.ModelTpmLimit).Keys);
            foreach (var model in models)
            {
                var name = key.KeyAlias ?? key.KeyName;
                await services.Counters.CarryWindowsAsync(
                    LimitScope.ForKeyModel(key.Token, teamBefore, name, model, now), LimitScope.ForKeyModel(key.Token, key.TeamId, name, model, now));
            }
        }

        if (after.SpentKey != before.SpentKey || (budgetBefore is null && key.MaxBudget is not null) || budgetIdBefore != key.BudgetId)
        {
            await services.Counters.RecountAsync(after);
        }

        return TypedResults.Ok(ManagementMapping.ToInfo(key, await services.KeySpendAsync(key, now, context.RequestAborted), now));
    }

    private static async Task<IResult> DeleteAsync(KeyDeleteRequest request, HttpContext context, [AsParameters] ManagementServices services)
    {
        var tokens = (request.Keys ?? []).Select(ToLookupHash).ToList();
        var aliases = request.KeyAliases ?? [];
        var keys = await services.Db.VirtualKeys
            .Where(k => tokens.Contains(k.Token) || tokens.Contains(k.SecretHash) || (k.KeyAlias != null && aliases.Contains(k.KeyAlias)))
            .ToListAsync(context.RequestAborted);
        services.Db.VirtualKeys.RemoveRange(keys);
        await services.Db.SaveChangesAsync(context.RequestAborted);
        foreach (var key in keys)
        {
            await services.Keys.PublishChangeAsync(KeyCache.Revocation(KeyCache.KeyMessage(key.Token)));
        }

        return TypedResults.Ok(new { deleted_keys = keys.Select(k => k.Token).ToList() });
    }

    private static async Task<IResult> SetBlockedAsync(KeyBlockRequest request, HttpContext context, ManagementServices services, bool blocked)
    {
        var key = await FindAsync(services, request.Key, context.RequestAborted);
        if (key is null)
        {
            return ManagementServices.Error(ManagementErrors.NotFound("The key", "key"));
        }

        key.Blocked = blocked;
        key.UpdatedAt = DateTimeOffset.UtcNow;
        await services.Db.SaveChangesAsync(context.RequestAborted);
        await services.Keys.PublishChangeAsync(KeyChange(key));
        return TypedResults.Ok(ManagementMapping.ToInfo(key, await services.KeySpendAsync(key, key.UpdatedAt, context.RequestAborted), key.UpdatedAt));
    }

    /// <summary>The change message of a key: a blocked key's also cuts its in-flight streams.</summary>
    private static string KeyChange(VirtualKey key) =>
        key.Blocked ? KeyCache.Revocation(KeyCache.KeyMessage(key.Token)) : KeyCache.KeyMessage(key.Token);

    private static async Task<IResult> RegenerateAsync(string key, KeyRegenerateRequest? request, HttpContext context, [AsParameters] ManagementServices services)
    {
        var record = await FindAsync(services, key, context.RequestAborted);
        if (record is null)
        {
            return ManagementServices.Error(ManagementErrors.NotFound("The key", "key"));
        }

        TimeSpan grace = default;
        if (request?.GracePeriod is { } period && (!BudgetWindow.TryParseDuration(period, out grace, out var month) || month))
        {
            return ManagementServices.Error(GatewayError.InvalidRequest($"'grace_period' must look like 30m, 24h or 7d; got '{period}'.", "grace_period", "invalid_value"));
        }

        var now = DateTimeOffset.UtcNow;
        var secret = VirtualKeyFormat.Generate();
        record.PreviousToken = grace > TimeSpan.Zero ? record.SecretHash : null;
        record.PreviousTokenExpires = grace > TimeSpan.Zero ? now + grace : null;
        record.SecretHash = VirtualKeyFormat.Hash(secret);
        record.KeyName = VirtualKeyFormat.DisplayName(secret);
        record.UpdatedAt = now;
        await services.Db.SaveChangesAsync(context.RequestAborted);
        await services.Keys.PublishChangeAsync(KeyCache.KeyMessage(record.Token));
        await services.Keys.ForgetSecretAsync(record.SecretHash);
        return TypedResults.Json(WithSecret(ManagementMapping.ToInfo(record, await services.KeySpendAsync(record, now, context.RequestAborted), now), secret));
    }

    private static async Task<IResult> InfoAsync(string? key, HttpContext context, [AsParameters] ManagementServices services)
    {
        var record = await FindAsync(services, key, context.RequestAborted);
        if (record is null)
        {
            return ManagementServices.Error(ManagementErrors.NotFound("The key", "key"));
        }

        var now = DateTimeOffset.UtcNow;
        return TypedResults.Ok(new KeyInfoResponse(record.Token, ManagementMapping.ToInfo(record, await services.KeySpendAsync(record, now, context.RequestAborted), now)));
    }

    private static async Task<IResult> ListAsync(string? team_id, int? page, int? size, HttpContext context, [AsParameters] ManagementServices services)
    {
        var pageSize = Math.Clamp(size ?? 50, 1, 500);
        var pageNumber = Math.Max(1, page ?? 1);
        var query = services.Db.VirtualKeys.AsNoTracking();
        if (!string.IsNullOrEmpty(team_id))
        {
            query = query.Where(k => k.TeamId == team_id);
        }

        var total = await query.CountAsync(context.RequestAborted);
        var keys = await query.OrderBy(k => k.CreatedAt).Skip((int)Math.Min(int.MaxValue, (pageNumber - 1L) * pageSize)).Take(pageSize).ToListAsync(context.RequestAborted);
        var now = DateTimeOffset.UtcNow;
        var infos = new List<object>(keys.Count);
        foreach (var key in keys)
        {
            infos.Add(ManagementMapping.ToInfo(key, await services.KeySpendAsync(key, now, context.RequestAborted), now));
        }

        return TypedResults.Ok(new KeyListResponse(infos, total, pageNumber, (int)Math.Ceiling(total / (double)pageSize)));
    }

    /// <summary>By raw secret (hashed first), or by token.</summary>
    private static Task<VirtualKey?> FindAsync(ManagementServices services, string? key, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(key))
        {
            return Task.FromResult<VirtualKey?>(null);
        }

        var hash = ToLookupHash(key.Trim());
        return services.Db.VirtualKeys.FirstOrDefaultAsync(k => k.Token == hash || k.SecretHash == hash, ct);
    }

    /// <summary>A key's own fields: per-model limits, a temporary increase (a negative one made the budget read as none).</summary>
    private static GatewayError? KeyOnly(KeyRequest request) =>
        (request.ModelMaxBudget is { Count: > 0 }
            ? GatewayError.InvalidRequest("'model_max_budget' is not enforced on keys by this gateway, so it is refused rather than kept as a budget "
                + "that would not hold. Give the key model_rpm_limit / model_tpm_limit, or one key per model with its own max_budget.",
                "model_max_budget", "not_supported")
            : null)
        ?? ManagementErrors.PerModel(request.ModelMaxBudget, request.ModelRpmLimit, request.ModelTpmLimit)
        ?? ManagementErrors.Money("temp_budget_increase", request.TempBudgetIncrease);

    private static LimitScope KeyScope(VirtualKey key, DateTimeOffset now) =>
        LimitScope.ForKey(key.Token, key.TeamId, key.KeyAlias ?? key.KeyName, key.BudgetDuration, key.CreatedAt, now);

    private static string ToLookupHash(string key) => VirtualKeyFormat.IsHash(key) ? key : VirtualKeyFormat.Hash(key);

    /// <summary>LiteLLM's generate response: the key's fields flattened, plus <c>key</c> — the only place the secret appears.</summary>
    private static JsonObject WithSecret(KeyInfo info, string secret)
    {
        var json = JsonSerializer.SerializeToNode(info, ManagementJson.Options)!.AsObject();
        json["key"] = secret;
        return json;
    }

    private static void Apply(VirtualKey key, KeyRequest request, DateTimeOffset now)
    {
        key.KeyAlias = request.KeyAlias ?? key.KeyAlias;
        key.TeamId = request.TeamId ?? key.TeamId;
        key.UserId = request.UserId ?? key.UserId;
        key.Models = request.Models ?? key.Models;
        request.ApplyLimits(key);
        if (request.Duration is { } duration && BudgetWindow.TryParseDuration(duration, out var lifetime, out _))
        {
            key.Expires = now + lifetime;
        }

        key.Metadata = ManagementMapping.Json(request.Metadata, key.Metadata);
        key.Tags = request.Tags ?? key.Tags;
        key.Blocked = request.Blocked ?? key.Blocked;
        key.ModelMaxBudget = ManagementMapping.Json(request.ModelMaxBudget, key.ModelMaxBudget);
        key.ModelRpmLimit = ManagementMapping.Json(request.ModelRpmLimit, key.ModelRpmLimit);
        key.ModelTpmLimit = ManagementMapping.Json(request.ModelTpmLimit, key.ModelTpmLimit);
        key.BudgetId = BudgetReferences.Id(request.BudgetId, key.BudgetId);
        key.BudgetLimits = BudgetReferences.Windows(request.BudgetLimits, key.BudgetLimits);
    }
}
