using System.Text.Json.Nodes;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Data;
using LlmGateway.Api.Data.Entities;
using LlmGateway.Api.Management;
using LlmGateway.Api.Models;
using Microsoft.EntityFrameworkCore;

namespace LlmGateway.Api.Endpoints;

/// <summary>
/// LiteLLM's <c>/model/new|update|delete</c> (master key, <c>store_model_in_db: true</c>): deployments kept in Postgres,
/// their secrets sealed, served by every replica within a second of the change. The config file's deployments are
/// read-only here. No answer ever carries a secret parameter.
/// </summary>
public static class ModelManagementApi
{
    public static IEndpointRouteBuilder MapModelManagementApi(this IEndpointRouteBuilder app)
    {
        var models = app.MapGroup("/model").WithTags("Models").RequireMasterKey();
        models.MapPost("/new", CreateAsync).WithName("CreateModel").WithSummary("Add a deployment (model_name, litellm_params, model_info).");
        models.MapPost("/update", UpdateAsync).WithName("UpdateModel").WithSummary("Change a stored deployment named by model_info.id; absent fields are kept.");
        models.MapPatch("/{model_id}/update", PatchAsync).WithName("PatchModel").WithSummary("The same as /model/update, the id in the path.");
        models.MapPost("/delete", DeleteAsync).WithName("DeleteModel").WithSummary("Delete a stored deployment ({\"id\": …}).");
        return app;
    }

    /// <summary>What a stored deployment looks like in an answer: <c>litellm_params</c> without any secret value.</summary>
    public sealed record StoredModelResponse(
        string ModelId, string ModelName, JsonObject LitellmParams, JsonObject ModelInfo, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

    public sealed record DeleteModelRequest(string? Id);

    private static async Task<IResult> CreateAsync(JsonObject? body, HttpContext context, GatewayDbContext db, ModelCatalog catalog,
        StoredModels stored, ModelSecrets secrets, GatewayConfig config)
    {
        if (Refusal(config, secrets) is { } refused || ModelRequest.TryRead(body, out refused) is not { } request)
        {
            return ManagementServices.Error(refused!);
        }

        var id = request.Id ?? Guid.NewGuid().ToString();
        if (catalog.IsConfigured(id) || await db.ProxyModels.AnyAsync(m => m.ModelId == id, context.RequestAborted))
        {
            return ManagementServices.Error(GatewayError.InvalidRequest(
                $"A model with id '{id}' already exists{(catalog.IsConfigured(id) ? " in the config file" : "")}; use /model/update to change it.",
                "model_info.id", "invalid_value"));
        }

        var modelInfo = request.ModelInfo?.DeepClone().AsObject() ?? [];
        modelInfo["id"] = id;
        request = request with { ModelInfo = modelInfo };
        if (request.Validate(catalog.Deployments.Count) is { } invalid)
        {
            return ManagementServices.Error(invalid);
        }

        var now = DateTimeOffset.UtcNow;
        var row = new ProxyModel { ModelId = id, ModelName = request.ModelName!, CreatedAt = now };
        Seal(row, request, secrets, now);
        db.ProxyModels.Add(row);
        await db.SaveChangesAsync(context.RequestAborted);
        await AnnounceAsync(stored, context.RequestAborted);
        return TypedResults.Ok(ToResponse(row));
    }

    private static Task<IResult> UpdateAsync(JsonObject? body, HttpContext context, GatewayDbContext db, ModelCatalog catalog,
        StoredModels stored, ModelSecrets secrets, GatewayConfig config) =>
        ChangeAsync(body, null, context, db, catalog, stored, secrets, config);

    private static Task<IResult> PatchAsync(string model_id, JsonObject? body, HttpContext context, GatewayDbContext db, ModelCatalog catalog,
        StoredModels stored, ModelSecrets secrets, GatewayConfig config) =>
        ChangeAsync(body, model_id, context, db, catalog, stored, secrets, config);

    private static async Task<IResult> ChangeAsync(JsonObject? body, string? pathId, HttpContext context, GatewayDbContext db, ModelCatalog catalog,
        StoredModels stored, ModelSecrets secrets, GatewayConfig config)
    {
        if (Refusal(config, secrets) is { } refused || ModelRequest.TryRead(body, out refused) is not { } request)
        {
            return ManagementServices.Error(refused!);
        }

        var id = pathId ?? request.Id;
        if (id is null)
        {
            return ManagementServices.Error(GatewayError.InvalidRequest("'model_info.id' is required: the id of the model to change.", "model_info.id", "missing_field"));
        }

        if (await FindAsync(db, catalog, id, context.RequestAborted) is not { } row)
        {
            return ManagementServices.Error(NotStored(catalog, id, "changed"));
        }

        var current = secrets.Join(row.LitellmParams, row.EncryptedSecrets);
        var info = request.ModelInfo?.DeepClone().AsObject();
        info?.Remove("id");
        request = (request with { ModelInfo = info }).Over(row.ModelName, current, JsonNode.Parse(row.ModelInfo)!.AsObject());
        if (request.Validate(catalog.Deployments.Count) is { } invalid)
        {
            return ManagementServices.Error(invalid);
        }

        row.ModelName = request.ModelName!;
        Seal(row, request, secrets, DateTimeOffset.UtcNow);
        await db.SaveChangesAsync(context.RequestAborted);
        await AnnounceAsync(stored, context.RequestAborted);
        return TypedResults.Ok(ToResponse(row));
    }

    private static async Task<IResult> DeleteAsync(DeleteModelRequest request, HttpContext context, GatewayDbContext db, ModelCatalog catalog,
        StoredModels stored, ModelSecrets secrets, GatewayConfig config)
    {
        if (Refusal(config, secrets) is { } refused)
        {
            return ManagementServices.Error(refused);
        }

        var id = request.Id?.Trim();
        if (string.IsNullOrEmpty(id))
        {
            return ManagementServices.Error(GatewayError.InvalidRequest("'id' is required: the model_info.id of the model to delete.", "id", "missing_field"));
        }

        if (await FindAsync(db, catalog, id, context.RequestAborted) is not { } row)
        {
            return ManagementServices.Error(NotStored(catalog, id, "deleted"));
        }

        db.ProxyModels.Remove(row);
        await db.SaveChangesAsync(context.RequestAborted);
        await AnnounceAsync(stored, context.RequestAborted);
        return TypedResults.Ok(new { message = $"Model: {id} deleted successfully" });
    }

    /// <summary>LiteLLM's answer while <c>store_model_in_db</c> is off (a 400 here: the request cannot succeed as the gateway is configured).</summary>
    private static GatewayError? Refusal(GatewayConfig config, ModelSecrets secrets) =>
        !config.StoreModelInDb
            ? GatewayError.InvalidRequest("Set `'STORE_MODEL_IN_DB='True'` in your env to enable this feature " +
                "(or general_settings.store_model_in_db: true in the config).", null, "store_model_in_db_disabled")
            : !secrets.HasKey
                ? GatewayError.InvalidRequest("No key to encrypt model secrets: set Gateway:ModelSecretsKey (or a master key).", null, "no_secrets_key")
                : null;

    private static Task<ProxyModel?> FindAsync(GatewayDbContext db, ModelCatalog catalog, string id, CancellationToken ct) =>
        catalog.IsConfigured(id) ? Task.FromResult<ProxyModel?>(null) : db.ProxyModels.FirstOrDefaultAsync(m => m.ModelId == id, ct);

    private static GatewayError NotStored(ModelCatalog catalog, string id, string what) => catalog.IsConfigured(id)
        ? GatewayError.InvalidRequest($"Model '{id}' is in the config file and cannot be {what} through the API; change the config file.", "model_info.id", "config_model")
        : ManagementErrors.NotFound($"Model with id '{id}'", "model_info.id");

    private static void Seal(ProxyModel row, ModelRequest request, ModelSecrets secrets, DateTimeOffset now)
    {
        var (open, secret) = ModelSecrets.Split(request.LitellmParams!);
        var info = request.ModelInfo?.DeepClone().AsObject() ?? [];
        info.Remove("id");
        row.LitellmParams = open.ToJsonString();
        row.ModelInfo = info.ToJsonString();
        row.EncryptedSecrets = secrets.Seal(secret);
        row.UpdatedAt = now;
    }

    // This replica serves the change before answering; the others reload on the message (or their poll).
    private static async Task AnnounceAsync(StoredModels stored, CancellationToken ct)
    {
        await stored.ReloadAsync(ct);
        await stored.PublishAsync();
    }

    private static StoredModelResponse ToResponse(ProxyModel row)
    {
        var info = JsonNode.Parse(row.ModelInfo)!.AsObject();
        info["id"] = row.ModelId;
        info["db_model"] = true;
        return new StoredModelResponse(row.ModelId, row.ModelName, JsonNode.Parse(row.LitellmParams)!.AsObject(), info, row.CreatedAt, row.UpdatedAt);
    }
}
