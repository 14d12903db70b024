using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Translation;
using static LlmGateway.Api.Contracts.TranslationJson;

namespace LlmGateway.Api.ClientApis.ChatCompletions;

/// <summary>Chat completions <c>tools</c>, <c>tool_choice</c> and <c>response_format</c> → their canonical forms.</summary>
internal static class ChatCompletionsRequestToolDecoder
{
    public static TranslationError? Read(JsonObject body, CanonicalRequest request)
    {
        if (body["tools"] is JsonArray tools)
        {
            for (var k = 0; k < tools.Count; k++)
            {
                var tool = ReadTool(tools[k], $"tools[{k}]");
                if (!tool.IsSuccess)
                {
                    return tool.Error;
                }

                request.Tools.Add(tool.Value);
            }
        }

        return ReadToolChoice(body["tool_choice"], request);
    }

    private static TranslationResult<ToolDefinition> ReadTool(JsonNode? node, string path)
    {
        if (node is not JsonObject tool)
        {
            return TranslationResult<ToolDefinition>.Failure(path, $"{path} must be an object");
        }

        var type = GetString(tool["type"]);
        if (type is not ("function" or "custom"))
        {
            // A hosted tool (web_search, file_search, …) runs at its own provider; kept whole for it.
            return new ToolDefinition(GetString(tool["name"]) ?? type ?? "", null, null) { HostedType = type ?? "", Raw = (JsonObject)tool.DeepClone() };
        }

        if (tool[type] is not JsonObject definition)
        {
            return TranslationResult<ToolDefinition>.Failure($"{path}.{type}", $"{path}.{type} must be an object");
        }

        if (GetString(definition["name"]) is not { Length: > 0 } name)
        {
            return TranslationResult<ToolDefinition>.Failure($"{path}.{type}.name", $"{path}.{type}.name is required");
        }

        var description = GetString(definition["description"]);
        var cacheControl = Clone(tool["cache_control"] ?? definition["cache_control"]);
        return type == "custom"
            ? new ToolDefinition(name, description, null) { Freeform = true, Format = Clone(definition["format"]), CacheControl = cacheControl }
            : new ToolDefinition(name, description, Clone(definition["parameters"]))
            {
                Strict = GetBool(definition["strict"]),
                CacheControl = cacheControl,
            };
    }

    private static TranslationError? ReadToolChoice(JsonNode? choice, CanonicalRequest request)
    {
        if (IsNull(choice))
        {
            return null;
        }

        request.ToolChoice = ToolChoice.FromMode(GetString(choice))
            ?? (GetString(Get(Get(choice, "function") ?? Get(choice, "custom"), "name")) is { Length: > 0 } name
                ? new ToolChoice(ToolChoiceKind.Named, name)
                : null);
        if (request.ToolChoice is not null)
        {
            return null;
        }

        // allowed_tools has no canonical form: an upstream that cannot take it refuses it by name.
        if (GetString(Get(choice, "type")) == "allowed_tools")
        {
            request.Unmapped["tool_choice"] = choice!.DeepClone();
            return null;
        }

        return new TranslationError("tool_choice",
            "tool_choice must be \"auto\", \"none\", \"required\" or {\"type\":\"function\",\"function\":{\"name\":…}}");
    }

    public static void ReadResponseFormat(JsonObject body, CanonicalRequest request)
    {
        var format = body["response_format"];
        if (IsNull(format))
        {
            return;
        }

        var schema = Get(format, "json_schema");
        request.ResponseFormat = GetString(Get(format, "type")) switch
        {
            "text" => new ResponseFormat(ResponseFormatKind.Text),
            "json_object" => new ResponseFormat(ResponseFormatKind.JsonObject),
            "json_schema" => new ResponseFormat(ResponseFormatKind.JsonSchema, GetString(Get(schema, "name")), Clone(Get(schema, "schema")),
                GetBool(Get(schema, "strict")),
                GetString(Get(schema, "description"))),
            _ => null,
        };
        if (request.ResponseFormat is null)
        {
            // A format this gateway does not know: an upstream refuses it by name unless drop_params.
            request.Unmapped["response_format"] = format!.DeepClone();
        }
    }

    /// <summary>A JSON boolean; null for anything else.</summary>
    public static bool? GetBool(JsonNode? node) => node?.GetValueKind() switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    private static JsonNode? Clone(JsonNode? node) => IsNull(node) ? null : node!.DeepClone();
}
