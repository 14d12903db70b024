using System.Text;
using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using static LlmGateway.Api.Contracts.TranslationJson;

namespace LlmGateway.Api.Messages;

/// <summary>Anthropic <c>system</c> and <c>messages</c> → OpenAI chat messages (wire-formats §10.2).</summary>
internal static class MessagesTurnMapper
{
    public static TranslationError? MapSystem(JsonNode? system, JsonArray messages)
    {
        string? text = GetString(system);
        if (system is JsonArray blocks)
        {
            var joined = new StringBuilder();
            for (var k = 0; k < blocks.Count; k++)
            {
                if (GetString(Get(blocks[k], "type")) != "text")
                {
                    return new TranslationError($"system[{k}].type", "system blocks must be text blocks");
                }

                AppendLine(joined, GetString(Get(blocks[k], "text")));
            }

            text = joined.ToString();
        }

        if (!string.IsNullOrEmpty(text))
        {
            messages.Add(new JsonObject { ["role"] = "system", ["content"] = text });
        }

        return null;
    }

    public static TranslationError? MapTurn(JsonNode? node, int i, JsonArray messages)
    {
        var role = GetString(Get(node, "role"));
        if (role is not ("user" or "assistant"))
        {
            return new TranslationError($"messages[{i}].role", $"role '{role}' is not supported; use user or assistant");
        }

        var content = Get(node, "content");
        if (GetString(content) is { } text)
        {
            // Empty strings would be rejected by the first OpenAI-compatible server that checks.
            if (text.Length > 0)
            {
                messages.Add(new JsonObject { ["role"] = role, ["content"] = text });
            }

            return null;
        }

        if (content is not JsonArray blocks)
        {
            return new TranslationError($"messages[{i}].content", "content must be a string or an array of content blocks");
        }

        return role == "user" ? MapUser(blocks, i, messages) : MapAssistant(blocks, i, messages);
    }

    private static TranslationError? MapUser(JsonArray blocks, int i, JsonArray messages)
    {
        var parts = new JsonArray();
        for (var j = 0; j < blocks.Count; j++)
        {
            var block = blocks[j];
            var path = $"messages[{i}].content[{j}]";
            switch (GetString(Get(block, "type")))
            {
                case "text":
                    if (GetString(Get(block, "text")) is { Length: > 0 } text)
                    {
                        parts.Add(new JsonObject { ["type"] = "text", ["text"] = text });
                    }

                    break;
                case "image" or "document":
                    if (ToUrl(Get(block, "source")) is not { } url)
                    {
                        return new TranslationError($"{path}.source", "source must be base64 (with media_type) or url");
                    }

                    parts.Add(url.StartsWith("data:application/pdf", StringComparison.Ordinal)
                        ? new JsonObject { ["type"] = "file", ["file"] = new JsonObject { ["filename"] = "document.pdf", ["file_data"] = url } }
                        : new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = url } });
                    break;
                case "tool_result":
                    // OpenAI wants tool answers right after the assistant turn, before anything the user adds.
                    if (GetString(Get(block, "tool_use_id")) is not { Length: > 0 } id)
                    {
                        return new TranslationError($"{path}.tool_use_id", "tool_result blocks need a tool_use_id");
                    }

                    messages.Add(new JsonObject { ["role"] = "tool", ["tool_call_id"] = id, ["content"] = ToolResultText(block) });
                    break;
                case var type:
                    return new TranslationError($"{path}.type",
                        $"content block type '{type}' is not supported for this model; use text, image, document or tool_result");
            }
        }

        if (parts.Count > 0)
        {
            // A lone text part as a plain string suits servers that only accept string content.
            var content = parts.Count == 1 && GetString(parts[0]!["type"]) == "text" ? parts[0]!["text"]!.DeepClone() : parts;
            messages.Add(new JsonObject { ["role"] = "user", ["content"] = content });
        }

        return null;
    }

    private static TranslationError? MapAssistant(JsonArray blocks, int i, JsonArray messages)
    {
        var text = new StringBuilder();
        var toolCalls = new JsonArray();
        for (var j = 0; j < blocks.Count; j++)
        {
            var block = blocks[j];
            switch (GetString(Get(block, "type")))
            {
                case "text":
                    text.Append(GetString(Get(block, "text")));
                    break;
                case "tool_use":
                    toolCalls.Add(ToolCallFromToolUse(block));
                    break;
                case "thinking" or "redacted_thinking":
                    // OpenAI-compatible servers have no field for prior reasoning.
                    break;
                case var type:
                    return new TranslationError($"messages[{i}].content[{j}].type",
                        $"assistant content block type '{type}' is not supported for this model");
            }
        }

        if (text.Length == 0 && toolCalls.Count == 0)
        {
            return null;
        }

        var message = new JsonObject { ["role"] = "assistant", ["content"] = text.Length > 0 ? text.ToString() : null };
        if (toolCalls.Count > 0)
        {
            message["tool_calls"] = toolCalls;
        }

        messages.Add(message);
        return null;
    }

    private static string? ToUrl(JsonNode? source) => GetString(Get(source, "type")) switch
    {
        "base64" when GetString(Get(source, "media_type")) is { } mediaType && GetString(Get(source, "data")) is { } data
            => $"data:{mediaType};base64,{data}",
        "url" => GetString(Get(source, "url")),
        _ => null,
    };

    /// <summary>OpenAI tool messages carry text only; <c>is_error</c> has no field, so it is said in the text.</summary>
    private static string ToolResultText(JsonNode? block)
    {
        var content = Get(block, "content");
        var text = new StringBuilder();
        if (Get(block, "is_error") is JsonValue isError && isError.TryGetValue<bool>(out var failed) && failed)
        {
            text.Append("Error: ");
        }

        if (GetString(content) is { } plain)
        {
            text.Append(plain);
        }
        else if (content is JsonArray parts)
        {
            var start = text.Length;
            foreach (var part in parts)
            {
                if (GetString(Get(part, "type")) == "text")
                {
                    if (text.Length > start)
                    {
                        text.Append('\n');
                    }

                    text.Append(GetString(Get(part, "text")));
                }
            }
        }

        return text.ToString();
    }

    private static void AppendLine(StringBuilder builder, string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return;
        }

        if (builder.Length > 0)
        {
            builder.Append('\n');
        }

        builder.Append(text);
    }
}
