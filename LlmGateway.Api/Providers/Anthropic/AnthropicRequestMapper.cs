using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using static LlmGateway.Api.Contracts.TranslationJson;

namespace LlmGateway.Api.Providers.Anthropic;

/// <summary>
/// Translates an OpenAI chat completions request body into an Anthropic Messages request body
/// (wire-formats §10.1). Pure: no I/O, the input is not modified.
/// </summary>
public static class AnthropicRequestMapper
{
    /// <summary>Used when neither the request nor the deployment sets <c>max_tokens</c> (LiteLLM's default).</summary>
    public const int DefaultMaxTokens = 4096;

    // OpenAI parameters with no Anthropic equivalent; a default-valued one (0, false, null) is harmless.
    private static readonly string[] UnsupportedParameters =
    [
        "presence_penalty", "frequency_penalty", "logit_bias", "logprobs", "top_logprobs", "seed",
        "reasoning_effort", "service_tier", "modalities", "audio", "prediction", "web_search_options",
        "functions", "function_call",
    ];

    /// <summary>
    /// Builds the Anthropic body for <paramref name="providerModel"/>. Parameters Anthropic lacks are
    /// dropped when <paramref name="dropParams"/> is true, otherwise reported as an error naming them.
    /// </summary>
    public static TranslationResult<JsonObject> ToAnthropic(
        JsonObject openAiChatRequest, string providerModel, int? deploymentMaxTokens, bool dropParams)
    {
        var request = openAiChatRequest;
        if (!dropParams && FindUnsupported(request) is { } unsupported)
        {
            return Unsupported(unsupported);
        }

        if (request["messages"] is not JsonArray { Count: > 0 } messages)
        {
            return TranslationResult<JsonObject>.Failure("messages", "messages must be a non-empty array");
        }

        var system = new JsonArray();
        var turns = new JsonArray();
        if (AnthropicMessageMapper.Map(messages, system, turns) is { } messageError)
        {
            return messageError;
        }

        if (turns.Count == 0)
        {
            return TranslationResult<JsonObject>.Failure("messages",
                "messages must contain at least one user message; Anthropic models take system prompts separately");
        }

        var maxTokensParam = !IsNull(request["max_completion_tokens"]) ? "max_completion_tokens" : "max_tokens";
        long maxTokens = deploymentMaxTokens ?? DefaultMaxTokens;
        if (!IsNull(request[maxTokensParam]))
        {
            if (GetInt64(request[maxTokensParam]) is not { } requested || requested <= 0)
            {
                return TranslationResult<JsonObject>.Failure(maxTokensParam, $"{maxTokensParam} must be a positive integer");
            }

            maxTokens = requested;
        }

        var body = new JsonObject { ["model"] = providerModel, ["max_tokens"] = maxTokens };
        if (system.Count > 0)
        {
            body["system"] = system;
        }

        body["messages"] = turns;
        return AddSampling(request, body, dropParams)
            ?? AnthropicToolMapper.AddTools(request, body)
            ?? AddResponseFormat(request, body, dropParams)
            ?? (TranslationResult<JsonObject>)body;
    }

    private static TranslationError? AddSampling(JsonObject request, JsonObject body, bool dropParams)
    {
        if (GetDouble(request["temperature"]) is { } temperature)
        {
            if (temperature > 1 && !dropParams)
            {
                return new TranslationError("temperature",
                    "temperature must be between 0 and 1 for Anthropic models; lower it or enable drop_params");
            }

            body["temperature"] = Math.Min(temperature, 1);
        }

        // top_p 1 is OpenAI's default and a no-op; newer Claude models reject temperature and top_p together.
        if (GetDouble(request["top_p"]) is { } topP and < 1)
        {
            body["top_p"] = topP;
        }

        if (MapStop(request["stop"], dropParams, out var stopError) is { Count: > 0 } stops)
        {
            body["stop_sequences"] = stops;
        }
        else if (stopError is not null)
        {
            return stopError;
        }

        if (request["stream"] is JsonValue stream && stream.GetValueKind() == JsonValueKind.True)
        {
            body["stream"] = true;
        }

        // safety_identifier is the successor of the deprecated user field.
        if ((GetString(request["user"]) ?? GetString(request["safety_identifier"])) is { Length: > 0 } user)
        {
            body["metadata"] = new JsonObject { ["user_id"] = user };
        }

        return null;
    }

    private static JsonArray? MapStop(JsonNode? stop, bool dropParams, out TranslationError? error)
    {
        error = null;
        if (GetString(stop) is { } single)
        {
            stop = new JsonArray(single);
        }

        if (stop is not JsonArray items)
        {
            return null;
        }

        var result = new JsonArray();
        foreach (var item in items)
        {
            var text = GetString(item);
            if (string.IsNullOrWhiteSpace(text))
            {
                // Anthropic rejects stop sequences that are empty or only whitespace.
                if (!dropParams)
                {
                    error = new TranslationError("stop",
                        "stop sequences must contain non-whitespace text for Anthropic models; remove them or enable drop_params");
                    return null;
                }

                continue;
            }

            result.Add(text);
        }

        return result;
    }

    private static TranslationError? AddResponseFormat(JsonObject request, JsonObject body, bool dropParams)
    {
        var format = request["response_format"];
        var type = GetString(Get(format, "type"));
        if (type is null or "text")
        {
            return null;
        }

        // Anthropic's native structured output takes a JSON schema; plain JSON mode has no equivalent.
        if (type == "json_schema" && Get(Get(format, "json_schema"), "schema") is JsonObject schema)
        {
            body["output_config"] = new JsonObject
            {
                ["format"] = new JsonObject { ["type"] = "json_schema", ["schema"] = schema.DeepClone() },
            };
            return null;
        }

        return dropParams ? null : new TranslationError("response_format",
            $"response_format type '{type}' is not supported by Anthropic models; use json_schema with a schema, remove it or enable drop_params");
    }

    private static string? FindUnsupported(JsonObject request)
    {
        if (request["n"] is { } n && GetInt64(n) is not 1 && !IsNull(n))
        {
            return "n";
        }

        foreach (var name in UnsupportedParameters)
        {
            if (request[name] is { } value && !IsDefault(value))
            {
                return name;
            }
        }

        return null;
    }

    private static bool IsDefault(JsonNode value) => value.GetValueKind() switch
    {
        JsonValueKind.Null or JsonValueKind.False => true,
        JsonValueKind.Number => GetDouble(value) == 0,
        JsonValueKind.Object => ((JsonObject)value).Count == 0,
        JsonValueKind.Array => ((JsonArray)value).Count == 0,
        _ => false,
    };

    private static TranslationError Unsupported(string param) => new(param,
        $"{param} is not supported by Anthropic models; remove it or enable drop_params");
}
