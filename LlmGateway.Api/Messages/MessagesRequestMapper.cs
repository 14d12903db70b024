using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using static LlmGateway.Api.Contracts.TranslationJson;

namespace LlmGateway.Api.Messages;

/// <summary>
/// Translates an Anthropic Messages request body (<c>/v1/messages</c>) into an OpenAI chat completions
/// body for an OpenAI-compatible deployment (wire-formats §10.2). Pure: the input is not modified.
/// </summary>
public static class MessagesRequestMapper
{
    /// <summary>Builds the OpenAI body for <paramref name="providerModel"/>; <c>top_k</c> and <c>thinking</c> are dropped.</summary>
    public static TranslationResult<JsonObject> ToOpenAiChat(JsonObject anthropicRequest, string providerModel)
    {
        if (anthropicRequest["messages"] is not JsonArray { Count: > 0 } turns)
        {
            return TranslationResult<JsonObject>.Failure("messages", "messages must be a non-empty array");
        }

        var messages = new JsonArray();
        if (MessagesTurnMapper.MapSystem(anthropicRequest["system"], messages) is { } systemError)
        {
            return systemError;
        }

        for (var i = 0; i < turns.Count; i++)
        {
            if (MessagesTurnMapper.MapTurn(turns[i], i, messages) is { } turnError)
            {
                return turnError;
            }
        }

        var body = new JsonObject { ["model"] = providerModel, ["messages"] = messages };
        if (GetInt64(anthropicRequest["max_tokens"]) is { } maxTokens)
        {
            // OpenAI's reasoning models refuse max_tokens; other OpenAI-compatible servers may not know its successor.
            body[UsesMaxCompletionTokens(providerModel) ? "max_completion_tokens" : "max_tokens"] = maxTokens;
        }

        CopyNumber(anthropicRequest, body, "temperature");
        CopyNumber(anthropicRequest, body, "top_p");
        if (anthropicRequest["stop_sequences"] is JsonArray { Count: > 0 } stops)
        {
            body["stop"] = stops.DeepClone();
        }

        if (anthropicRequest["stream"]?.GetValueKind() == JsonValueKind.True)
        {
            body["stream"] = true;
            // Without it the stream carries no usage and the Anthropic client gets no token counts.
            body["stream_options"] = new JsonObject { ["include_usage"] = true };
        }

        if (GetString(Get(anthropicRequest["metadata"], "user_id")) is { Length: > 0 } userId)
        {
            body["user"] = userId;
        }

        return AddTools(anthropicRequest, body) ?? (TranslationResult<JsonObject>)body;
    }

    private static TranslationError? AddTools(JsonObject request, JsonObject body)
    {
        if (request["tools"] is not JsonArray { Count: > 0 } tools)
        {
            return null;
        }

        var mapped = new JsonArray();
        for (var k = 0; k < tools.Count; k++)
        {
            var tool = tools[k];
            var type = GetString(Get(tool, "type"));
            if (type is not (null or "custom"))
            {
                return new TranslationError($"tools[{k}].type", $"server tool '{type}' is only available on Anthropic models");
            }

            if (GetString(Get(tool, "name")) is not { Length: > 0 } name)
            {
                return new TranslationError($"tools[{k}].name", $"tools[{k}].name is required");
            }

            var function = new JsonObject { ["name"] = name };
            if (GetString(Get(tool, "description")) is { Length: > 0 } description)
            {
                function["description"] = description;
            }

            function["parameters"] = Get(tool, "input_schema")?.DeepClone() ?? new JsonObject { ["type"] = "object", ["properties"] = new JsonObject() };
            mapped.Add(new JsonObject { ["type"] = "function", ["function"] = function });
        }

        body["tools"] = mapped;
        var choice = request["tool_choice"];
        JsonNode? mappedChoice = GetString(Get(choice, "type")) switch
        {
            null => null,
            "auto" => "auto",
            "any" => "required",
            "none" => "none",
            "tool" when GetString(Get(choice, "name")) is { Length: > 0 } toolName => new JsonObject
            {
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = toolName },
            },
            _ => null,
        };
        if (mappedChoice is null && !IsNull(choice))
        {
            return new TranslationError("tool_choice", "tool_choice must be {\"type\": \"auto\" | \"any\" | \"none\" | \"tool\" (with name)}");
        }

        if (mappedChoice is not null)
        {
            body["tool_choice"] = mappedChoice;
        }

        if (Get(choice, "disable_parallel_tool_use")?.GetValueKind() == JsonValueKind.True)
        {
            body["parallel_tool_calls"] = false;
        }

        return null;
    }

    private static void CopyNumber(JsonObject from, JsonObject to, string name)
    {
        if (GetDouble(from[name]) is { } value)
        {
            to[name] = value;
        }
    }

    private static bool UsesMaxCompletionTokens(string providerModel)
    {
        var name = providerModel[(providerModel.LastIndexOf('/') + 1)..];
        return name.StartsWith("o1", StringComparison.OrdinalIgnoreCase) || name.StartsWith("o3", StringComparison.OrdinalIgnoreCase)
            || name.StartsWith("o4", StringComparison.OrdinalIgnoreCase) || name.StartsWith("gpt-5", StringComparison.OrdinalIgnoreCase);
    }
}
