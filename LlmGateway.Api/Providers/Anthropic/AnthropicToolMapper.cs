using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using static LlmGateway.Api.Contracts.TranslationJson;

namespace LlmGateway.Api.Providers.Anthropic;

/// <summary>OpenAI <c>tools</c>, <c>tool_choice</c> and <c>parallel_tool_calls</c> → Anthropic's.</summary>
internal static class AnthropicToolMapper
{
    public static TranslationError? AddTools(JsonObject request, JsonObject body)
    {
        if (request["tools"] is not JsonArray { Count: > 0 } tools)
        {
            // Without tools, tool_choice and parallel_tool_calls mean nothing to Anthropic.
            return null;
        }

        var mapped = new JsonArray();
        for (var k = 0; k < tools.Count; k++)
        {
            var tool = tools[k] as JsonObject;
            if (GetString(Get(tool, "type")) != "function" || tool!["function"] is not JsonObject function)
            {
                return new TranslationError($"tools[{k}].type", "only function tools are supported by Anthropic models");
            }

            if (GetString(function["name"]) is not { Length: > 0 } name)
            {
                return new TranslationError($"tools[{k}].function.name", $"tools[{k}].function.name is required");
            }

            var anthropicTool = new JsonObject { ["name"] = name };
            if (GetString(function["description"]) is { Length: > 0 } description)
            {
                anthropicTool["description"] = description;
            }

            anthropicTool["input_schema"] = function["parameters"] is JsonObject parameters
                ? parameters.DeepClone()
                : new JsonObject { ["type"] = "object", ["properties"] = new JsonObject() };
            mapped.Add(anthropicTool);
        }

        body["tools"] = mapped;
        var choice = MapToolChoice(request["tool_choice"], out var error);
        if (error is not null)
        {
            return error;
        }

        if (request["parallel_tool_calls"]?.GetValueKind() == JsonValueKind.False && GetString(Get(choice, "type")) != "none")
        {
            choice ??= new JsonObject { ["type"] = "auto" };
            choice["disable_parallel_tool_use"] = true;
        }

        if (choice is not null)
        {
            body["tool_choice"] = choice;
        }

        return null;
    }

    private static JsonObject? MapToolChoice(JsonNode? toolChoice, out TranslationError? error)
    {
        error = null;
        if (IsNull(toolChoice))
        {
            return null;
        }

        switch (GetString(toolChoice))
        {
            case "auto":
                return new JsonObject { ["type"] = "auto" };
            case "none":
                return new JsonObject { ["type"] = "none" };
            case "required":
                return new JsonObject { ["type"] = "any" };
        }

        if (GetString(Get(Get(toolChoice, "function"), "name")) is { Length: > 0 } name)
        {
            return new JsonObject { ["type"] = "tool", ["name"] = name };
        }

        error = new TranslationError("tool_choice",
            "tool_choice must be \"auto\", \"none\", \"required\" or {\"type\":\"function\",\"function\":{\"name\":…}} for Anthropic models");
        return null;
    }
}
