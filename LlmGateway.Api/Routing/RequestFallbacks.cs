using System.Text.Json;
using LlmGateway.Api.Contracts;

namespace LlmGateway.Api.Routing;

/// <summary>
/// LiteLLM's per-request <c>fallbacks</c>: an array of model group names that replaces the config's <c>fallbacks</c>
/// for this request. Each must pass the caller's model lists like any other group, or it is skipped.
/// </summary>
public static class RequestFallbacks
{
    public static bool TryRead(JsonBody body, out IReadOnlyList<string>? fallbacks, out GatewayError? error)
    {
        fallbacks = null;
        error = null;
        if (!body.TryGet("fallbacks", out var property) || property.Kind == JsonTokenType.Null)
        {
            return true;
        }

        var names = new List<string>();
        var reader = body.ReaderFor(property);
        var valid = property.Kind == JsonTokenType.StartArray;
        while (valid && reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.String && reader.GetString() is { Length: > 0 } name)
            {
                names.Add(name);
            }
            else
            {
                valid = false;
            }
        }

        if (!valid)
        {
            error = GatewayError.InvalidRequest(
                "'fallbacks' must be an array of model group names (e.g. [\"gpt-4o\"]).", "fallbacks", "invalid_type");
            return false;
        }

        fallbacks = names;
        return true;
    }
}
