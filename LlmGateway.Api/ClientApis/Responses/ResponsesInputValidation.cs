using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using static LlmGateway.Api.Contracts.TranslationJson;

namespace LlmGateway.Api.ClientApis.Responses;

/// <summary>The shape of a Responses request's <c>input</c> items and <c>tools</c>; errors name the offending path.</summary>
public static class ResponsesInputValidation
{
    /// <summary>Item types OpenAI accepts that only an OpenAI upstream can use; checked there, refused by name in translation.</summary>
    private static readonly HashSet<string> OpenAiOnlyItems =
    [
        "item_reference", "local_shell_call", "local_shell_call_output", "web_search_call", "file_search_call", "computer_call",
        "computer_call_output", "image_generation_call", "code_interpreter_call", "mcp_call", "mcp_list_tools",
        "mcp_approval_request", "mcp_approval_response", "compaction", "shell_call", "shell_call_output", "apply_patch_call",
        "apply_patch_call_output",
    ];

    public static GatewayError? Validate(JsonArray items)
    {
        for (var i = 0; i < items.Count; i++)
        {
            if (ValidateItem(items[i], $"input[{i}]") is { } error)
            {
                return error;
            }
        }

        return null;
    }

    private static GatewayError? ValidateItem(JsonNode? item, string path)
    {
        if (item is not JsonObject)
        {
            return Invalid($"'{path}' must be an object.", path, "invalid_type");
        }

        var type = GetString(Get(item, "type")) ?? (Get(item, "role") is not null ? "message" : null);
        return type switch
        {
            "message" => ValidateMessage(item, path),
            "function_call" => Require(item, path, "call_id", "name", "arguments"),
            "function_call_output" => Require(item, path, "call_id") ?? RequireOutput(item, path),
            "custom_tool_call" => Require(item, path, "call_id", "name", "input"),
            "custom_tool_call_output" => Require(item, path, "call_id") ?? RequireOutput(item, path),
            "reasoning" => Get(item, "summary") is JsonArray ? null : Invalid($"'{path}.summary' must be an array.", $"{path}.summary", "invalid_type"),
            null => Invalid($"'{path}.type' is required.", $"{path}.type", "missing_required_parameter"),
            _ when OpenAiOnlyItems.Contains(type) => null,
            _ => Invalid($"Invalid value: '{type}'. '{path}.type' must be one of message, function_call, function_call_output, custom_tool_call, custom_tool_call_output, reasoning or an OpenAI item type.",
                $"{path}.type", "invalid_value"),
        };
    }

    private static GatewayError? ValidateMessage(JsonNode item, string path)
    {
        var role = GetString(Get(item, "role"));
        if (role is not ("user" or "assistant" or "system" or "developer"))
        {
            return Invalid($"'{path}.role' must be one of 'user', 'assistant', 'system' or 'developer'.", $"{path}.role", "invalid_value");
        }

        var content = Get(item, "content");
        if (GetString(content) is not null)
        {
            return null;
        }

        if (content is not JsonArray parts)
        {
            return Invalid($"'{path}.content' must be a string or an array of content parts.", $"{path}.content", "invalid_type");
        }

        for (var k = 0; k < parts.Count; k++)
        {
            var partPath = $"{path}.content[{k}]";
            var type = GetString(Get(parts[k], "type"));
            var error = type switch
            {
                "input_text" or "output_text" => Require(parts[k]!, partPath, "text"),
                "refusal" => Require(parts[k]!, partPath, "refusal"),
                "input_image" => GetString(Get(parts[k], "image_url")) is null && GetString(Get(parts[k], "file_id")) is null
                    ? Invalid($"'{partPath}' needs 'image_url' or 'file_id'.", $"{partPath}.image_url", "missing_required_parameter")
                    : null,
                "input_file" or "input_audio" => null,
                _ => Invalid($"Invalid value: '{type}'. '{partPath}.type' must be input_text, input_image, input_file, input_audio, output_text or refusal.",
                    $"{partPath}.type", "invalid_value"),
            };
            if (error is not null)
            {
                return error;
            }
        }

        return null;
    }

    public static GatewayError? ValidateTools(JsonArray tools)
    {
        for (var k = 0; k < tools.Count; k++)
        {
            var path = $"tools[{k}]";
            var type = GetString(Get(tools[k], "type"));
            if (type is null)
            {
                return Invalid($"'{path}.type' is required.", $"{path}.type", "missing_required_parameter");
            }

            if (type is "function" or "custom" && Require(tools[k]!, path, "name") is { } error)
            {
                return error;
            }

            if (type == "function" && Get(tools[k], "parameters") is { } parameters && parameters is not JsonObject && !IsNull(parameters))
            {
                return Invalid($"'{path}.parameters' must be a JSON schema object.", $"{path}.parameters", "invalid_type");
            }
        }

        return null;
    }

    /// <summary>
    /// The first <c>function_call_output</c> / <c>custom_tool_call_output</c> whose <c>call_id</c> answers no call in
    /// <paramref name="history"/> or earlier in <paramref name="input"/>: OpenAI's 400.
    /// </summary>
    public static GatewayError? UnmatchedOutput(IEnumerable<JsonNode?> history, JsonArray input)
    {
        var calls = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in history)
        {
            AddCall(item, calls);
        }

        for (var i = 0; i < input.Count; i++)
        {
            var item = input[i];
            AddCall(item, calls);
            if (GetString(Get(item, "type")) is "function_call_output" or "custom_tool_call_output"
                && GetString(Get(item, "call_id")) is { } callId && !calls.Contains(callId))
            {
                return Invalid($"No tool call found for function call output with call_id {callId}.", $"input[{i}].call_id", "invalid_value");
            }
        }

        return null;
    }

    private static void AddCall(JsonNode? item, HashSet<string> calls)
    {
        if (GetString(Get(item, "type")) is "function_call" or "custom_tool_call" && GetString(Get(item, "call_id")) is { } id)
        {
            calls.Add(id);
        }
    }

    private static GatewayError? Require(JsonNode item, string path, params string[] fields)
    {
        foreach (var field in fields)
        {
            if (GetString(Get(item, field)) is null)
            {
                return Invalid($"'{path}.{field}' is required and must be a string.", $"{path}.{field}", "missing_required_parameter");
            }
        }

        return null;
    }

    private static GatewayError? RequireOutput(JsonNode item, string path) =>
        Get(item, "output") is { } output && (output.GetValueKind() is JsonValueKind.String or JsonValueKind.Array)
            ? null
            : Invalid($"'{path}.output' must be a string or an array of content parts.", $"{path}.output", "invalid_type");

    private static GatewayError Invalid(string message, string param, string code) => GatewayError.InvalidRequest(message, param, code);
}
