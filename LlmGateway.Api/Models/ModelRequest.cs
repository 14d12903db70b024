using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;

namespace LlmGateway.Api.Models;

/// <summary>
/// The body of LiteLLM's <c>/model/new</c> and <c>/model/update</c>: <c>model_name</c>, <c>litellm_params</c>,
/// <c>model_info</c> (its <c>id</c> names the deployment). Any field may be absent here; the handlers say which are required.
/// </summary>
public sealed record ModelRequest(string? ModelName, JsonObject? LitellmParams, JsonObject? ModelInfo)
{
    public const int MaxIdLength = 128;
    public const int MaxNameLength = 256;

    public string? Id => ModelInfo?["id"] is JsonValue v && v.TryGetValue(out string? id) && id.Trim().Length > 0 ? id.Trim() : null;

    /// <summary>Reads the body's shape; an error names the field.</summary>
    public static ModelRequest? TryRead(JsonObject? body, out GatewayError? error)
    {
        error = null;
        if (body is null)
        {
            error = GatewayError.InvalidRequest("The body must be a JSON object with model_name, litellm_params and model_info.", null, "invalid_body");
            return null;
        }

        string? name = null;
        if (body["model_name"] is { } nameNode && !(nameNode is JsonValue nv && nv.TryGetValue(out name)))
        {
            error = GatewayError.InvalidRequest("'model_name' must be a string.", "model_name", "invalid_value");
            return null;
        }

        var litellmParams = Object(body, "litellm_params", ref error);
        var modelInfo = error is null ? Object(body, "model_info", ref error) : null;
        if (error is not null)
        {
            return null;
        }

        var request = new ModelRequest(name?.Trim(), litellmParams, modelInfo);
        if (request.ModelName is { Length: > MaxNameLength } || request.Id is { Length: > MaxIdLength })
        {
            error = GatewayError.InvalidRequest($"'model_name' may have at most {MaxNameLength} characters and 'model_info.id' at most {MaxIdLength}.",
                request.ModelName is { Length: > MaxNameLength } ? "model_name" : "model_info.id", "invalid_value");
            return null;
        }

        return request;
    }

    /// <summary>This request's values laid over a stored deployment's: given fields replace, absent (or null) ones are kept.</summary>
    public ModelRequest Over(string modelName, JsonObject litellmParams, JsonObject modelInfo) =>
        new(ModelName ?? modelName, Merge(litellmParams, LitellmParams), Merge(modelInfo, ModelInfo));

    /// <summary>Builds the deployment as the config loader would, so a bad field is refused before anything is stored.</summary>
    public GatewayError? Validate(int index)
    {
        if (string.IsNullOrEmpty(ModelName))
        {
            return GatewayError.InvalidRequest("'model_name' is required: the model group clients will ask for.", "model_name", "missing_field");
        }

        if (LitellmParams is null)
        {
            return GatewayError.InvalidRequest("'litellm_params' is required, with at least 'model' (e.g. \"openai/gpt-4o\").", "litellm_params", "missing_field");
        }

        try
        {
            JsonDeployment.Read(index, ModelName, LitellmParams, ModelInfo, Environment.GetEnvironmentVariable, out _);
            return null;
        }
        catch (GatewayConfigException ex)
        {
            return GatewayError.InvalidRequest(ex.Message, ex.Path, "invalid_value");
        }
    }

    private static JsonObject? Object(JsonObject body, string name, ref GatewayError? error)
    {
        switch (body[name])
        {
            case null:
                return null;
            case JsonObject value:
                return value;
            default:
                error = GatewayError.InvalidRequest($"'{name}' must be a JSON object.", name, "invalid_value");
                return null;
        }
    }

    private static JsonObject Merge(JsonObject stored, JsonObject? given)
    {
        var merged = stored.DeepClone().AsObject();
        foreach (var (name, value) in given ?? [])
        {
            if (value is not null && value.GetValueKind() != JsonValueKind.Null)
            {
                merged[name] = value.DeepClone();
            }
        }

        return merged;
    }
}
