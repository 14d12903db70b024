using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Translation;
using static LlmGateway.Api.Contracts.TranslationJson;

namespace LlmGateway.Api.ClientApis.Messages;

/// <summary>Anthropic <c>tools</c> and <c>tool_choice</c> → canonical tool definitions and choice.</summary>
internal static class MessagesToolDecoder
{
    /// <summary>Custom tools become functions; typed server tools are kept whole as hosted tools.</summary>
    public static TranslationError? DecodeTools(JsonNode? tools, List<ToolDefinition> definitions)
    {
        if (IsNull(tools))
        {
            return null;
        }

        if (tools is not JsonArray list)
        {
            return new TranslationError("tools", "tools must be an array of tool definitions");
        }

        for (var k = 0; k < list.Count; k++)
        {
            if (list[k] is not JsonObject tool)
            {
                return new TranslationError($"tools[{k}]", $"tools[{k}] must be an object");
            }

            // Raw is a copy, so the schema and cache hint below can point into it without sharing the client's nodes.
            var raw = tool.DeepClone().AsObject();
            var type = GetString(raw["type"]);
            var name = GetString(raw["name"]);
            if (type is not (null or "custom"))
            {
                definitions.Add(new ToolDefinition(name ?? type, null, null) { HostedType = type, CacheControl = raw["cache_control"], Raw = raw });
                continue;
            }

            if (name is not { Length: > 0 })
            {
                return new TranslationError($"tools[{k}].name", $"tools[{k}].name is required");
            }

            definitions.Add(new ToolDefinition(name, GetString(raw["description"]), raw["input_schema"])
            {
                Strict = raw["strict"]?.GetValueKind() switch { JsonValueKind.True => true, JsonValueKind.False => false, _ => null },
                CacheControl = raw["cache_control"],
                Raw = raw,
            });
        }

        return null;
    }

    /// <summary>auto/any/none/tool(name); <c>disable_parallel_tool_use</c> allows one call per turn.</summary>
    public static TranslationError? DecodeToolChoice(JsonNode? choice, CanonicalRequest request)
    {
        if (IsNull(choice))
        {
            return null;
        }

        request.ToolChoice = GetString(Get(choice, "type")) switch
        {
            "auto" => ToolChoice.Auto,
            "any" => ToolChoice.Required,
            "none" => ToolChoice.None,
            "tool" when GetString(Get(choice, "name")) is { Length: > 0 } toolName => new ToolChoice(ToolChoiceKind.Named, toolName),
            _ => null,
        };
        if (request.ToolChoice is null)
        {
            return new TranslationError("tool_choice", "tool_choice must be {\"type\": \"auto\" | \"any\" | \"none\" | \"tool\" (with name)}");
        }

        if (Get(choice, "disable_parallel_tool_use")?.GetValueKind() == JsonValueKind.True)
        {
            request.ParallelToolCalls = false;
        }

        return null;
    }
}
