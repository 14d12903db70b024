using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Translation;
using static LlmGateway.Api.Contracts.TranslationJson;

namespace LlmGateway.Api.Providers.Anthropic;

/// <summary>
/// Writes a <see cref="CanonicalRequest"/> as an Anthropic Messages request body (wire-formats §6, §10.1, §10.7).
/// Pure: the canonical request is not modified and nothing of it is shared with the body.
/// </summary>
public static class AnthropicRequestEncoder
{
    /// <summary>Used when neither the request nor the deployment sets an output limit (LiteLLM's default).</summary>
    public const int DefaultMaxTokens = 4096;

    public static TranslationResult<JsonObject> Encode(CanonicalRequest request, UpstreamTarget target)
    {
        if (!target.DropParams && FindUnsupported(request) is { } unsupported)
        {
            return TranslationResult<JsonObject>.Failure(unsupported,
                $"{unsupported} is not supported by Anthropic models; remove it or enable drop_params");
        }

        var system = new JsonArray();
        var turns = new JsonArray();
        if (AnthropicTurnEncoder.Encode(request.Messages, system, turns) is { } turnError)
        {
            return turnError;
        }

        if (turns.Count == 0)
        {
            return TranslationResult<JsonObject>.Failure("messages",
                "messages must contain at least one user message; Anthropic models take system prompts separately");
        }

        var body = new JsonObject { ["model"] = target.ProviderModel, ["max_tokens"] = OutputLimit(request, target) };
        if (system.Count > 0)
        {
            body["system"] = system;
        }

        body["messages"] = turns;
        return AddSampling(request, body, target.DropParams)
            ?? AnthropicToolEncoder.Add(request, body, target.DropParams)
            ?? AddResponseFormat(request.ResponseFormat, body, target.DropParams)
            ?? (TranslationResult<JsonObject>)body;
    }

    /// <summary>The client's limit clamped to the deployment's ceiling; the ceiling, else the default, when the client set none.</summary>
    private static long OutputLimit(CanonicalRequest request, UpstreamTarget target) => (request.MaxOutputTokens, target.MaxTokensCeiling) switch
    {
        ({ } requested, { } ceiling) => Math.Min(requested, ceiling),
        ({ } requested, null) => requested,
        (null, { } ceiling) => ceiling,
        _ => DefaultMaxTokens,
    };

    private static TranslationError? AddSampling(CanonicalRequest request, JsonObject body, bool dropParams)
    {
        if (request.Temperature is { } temperature)
        {
            if (temperature > 1 && !dropParams)
            {
                return new TranslationError("temperature",
                    "temperature must be between 0 and 1 for Anthropic models; lower it or enable drop_params");
            }

            body["temperature"] = Math.Min(temperature, 1);
        }

        // top_p 1 is OpenAI's default and a no-op; newer Claude models reject temperature and top_p together.
        if (request.TopP is { } topP and < 1)
        {
            body["top_p"] = topP;
        }

        if (request.TopK is { } topK)
        {
            body["top_k"] = topK;
        }

        var stopError = AddStopSequences(request.StopSequences, body, dropParams);
        if (request.Stream)
        {
            body["stream"] = true;
        }

        if (request.User is { Length: > 0 } user)
        {
            body["metadata"] = new JsonObject { ["user_id"] = user };
        }

        if (request.Reasoning?.AnthropicThinking is { } thinking)
        {
            body["thinking"] = thinking.DeepClone();
        }

        return stopError;
    }

    private static TranslationError? AddStopSequences(List<string> stops, JsonObject body, bool dropParams)
    {
        var sequences = new JsonArray();
        foreach (var stop in stops)
        {
            if (!string.IsNullOrWhiteSpace(stop))
            {
                sequences.Add(stop);
            }
            else if (!dropParams)
            {
                // Anthropic rejects stop sequences that are empty or only whitespace.
                return new TranslationError("stop",
                    "stop sequences must contain non-whitespace text for Anthropic models; remove them or enable drop_params");
            }
        }

        if (sequences.Count > 0)
        {
            body["stop_sequences"] = sequences;
        }

        return null;
    }

    private static TranslationError? AddResponseFormat(ResponseFormat? format, JsonObject body, bool dropParams)
    {
        if (format is null || format.Kind == ResponseFormatKind.Text)
        {
            return null;
        }

        // Anthropic's native structured output takes a JSON schema; plain JSON mode has no equivalent.
        if (format is { Kind: ResponseFormatKind.JsonSchema, Schema: JsonObject schema })
        {
            body["output_config"] = new JsonObject
            {
                ["format"] = new JsonObject { ["type"] = "json_schema", ["schema"] = schema.DeepClone() },
            };
            return null;
        }

        var type = format.Kind == ResponseFormatKind.JsonObject ? "json_object" : "json_schema";
        return dropParams ? null : new TranslationError("response_format",
            $"response_format type '{type}' is not supported by Anthropic models; use json_schema with a schema, remove it or enable drop_params");
    }

    /// <summary>
    /// The first parameter Anthropic has no equivalent for whose value is not a harmless default; a reasoning effort
    /// without Anthropic's own <c>thinking</c> counts (its mapping to a budget is a guess we do not make).
    /// </summary>
    private static string? FindUnsupported(CanonicalRequest request)
    {
        foreach (var (name, value) in request.Unmapped)
        {
            if (!IsDefault(name, value))
            {
                return name;
            }
        }

        return request.Reasoning is { AnthropicThinking: null, Enabled: true } ? "reasoning_effort" : null;
    }

    private static bool IsDefault(string name, JsonNode? value) => value?.GetValueKind() switch
    {
        null or JsonValueKind.Null => true,
        JsonValueKind.Number => GetDouble(value) == (name == "n" ? 1 : 0),
        JsonValueKind.False => true,
        JsonValueKind.Object => ((JsonObject)value).Count == 0,
        JsonValueKind.Array => ((JsonArray)value).Count == 0,
        _ => false,
    };
}
