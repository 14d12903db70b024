using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using static LlmGateway.Api.Contracts.TranslationJson;

namespace LlmGateway.Api.Providers.Anthropic;

/// <summary>OpenAI <c>messages</c> → Anthropic <c>system</c> blocks and alternating user/assistant turns.</summary>
internal static class AnthropicMessageMapper
{
    public static TranslationError? Map(JsonArray messages, JsonArray system, JsonArray turns)
    {
        for (var i = 0; i < messages.Count; i++)
        {
            if (messages[i] is not JsonObject message)
            {
                return new TranslationError($"messages[{i}]", $"messages[{i}] must be an object");
            }

            var role = GetString(message["role"]);
            var error = role switch
            {
                "system" or "developer" => AppendSystem(message["content"], i, system),
                "user" => AppendUser(message["content"], i, turns),
                "assistant" => AppendAssistant(message, i, turns),
                "tool" => AppendToolResult(message, i, turns),
                _ => new TranslationError($"messages[{i}].role",
                    $"role '{role}' is not supported; use system, developer, user, assistant or tool"),
            };
            if (error is not null)
            {
                return error;
            }
        }

        TrimFinalAssistantText(turns);
        return null;
    }

    private static TranslationError? AppendSystem(JsonNode? content, int i, JsonArray system)
    {
        if (GetString(content) is { } text)
        {
            AddText(system, text, null);
            return null;
        }

        if (content is not JsonArray parts)
        {
            return IsNull(content) ? null : new TranslationError($"messages[{i}].content", "system content must be a string or an array of text parts");
        }

        for (var j = 0; j < parts.Count; j++)
        {
            if (parts[j] is not JsonObject part || GetString(part["type"]) != "text")
            {
                return new TranslationError($"messages[{i}].content[{j}]", "system and developer messages may only contain text parts");
            }

            AddText(system, GetString(part["text"]), part["cache_control"]);
        }

        return null;
    }

    private static TranslationError? AppendUser(JsonNode? content, int i, JsonArray turns)
    {
        var blocks = new List<JsonNode?>();
        if (GetString(content) is { } text)
        {
            AddText(blocks, text, null);
        }
        else if (content is JsonArray parts)
        {
            for (var j = 0; j < parts.Count; j++)
            {
                var error = AnthropicContentMapper.AddUserPart(parts[j], $"messages[{i}].content[{j}]", blocks);
                if (error is not null)
                {
                    return error;
                }
            }
        }

        if (blocks.Count == 0)
        {
            return new TranslationError($"messages[{i}].content", $"messages[{i}].content must not be empty; Anthropic models reject empty user messages");
        }

        AddTurn(turns, "user", blocks);
        return null;
    }

    private static TranslationError? AppendAssistant(JsonObject message, int i, JsonArray turns)
    {
        var blocks = new List<JsonNode?>();
        var content = message["content"];
        if (GetString(content) is { } text)
        {
            AddText(blocks, text, null);
        }
        else if (content is JsonArray parts)
        {
            foreach (var part in parts)
            {
                // Refusal parts are text the model said; Anthropic has no separate field for them.
                AddText(blocks, GetString(Get(part, "text")) ?? GetString(Get(part, "refusal")), Get(part, "cache_control"));
            }
        }

        if (message["tool_calls"] is JsonArray toolCalls)
        {
            for (var j = 0; j < toolCalls.Count; j++)
            {
                var error = AnthropicContentMapper.AddToolUse(toolCalls[j], $"messages[{i}].tool_calls[{j}]", blocks);
                if (error is not null)
                {
                    return error;
                }
            }
        }

        // An assistant turn with nothing in it carries no meaning and Anthropic rejects empty content.
        if (blocks.Count > 0)
        {
            AddTurn(turns, "assistant", blocks);
        }

        return null;
    }

    private static TranslationError? AppendToolResult(JsonObject message, int i, JsonArray turns)
    {
        if (GetString(message["tool_call_id"]) is not { Length: > 0 } toolCallId)
        {
            return new TranslationError($"messages[{i}].tool_call_id", "tool messages must have a tool_call_id");
        }

        var result = new JsonObject { ["type"] = "tool_result", ["tool_use_id"] = toolCallId };
        var content = message["content"];
        if (GetString(content) is { Length: > 0 } text)
        {
            result["content"] = text;
        }
        else if (content is JsonArray parts)
        {
            var textBlocks = new JsonArray();
            foreach (var part in parts)
            {
                AddText(textBlocks, GetString(Get(part, "text")), Get(part, "cache_control"));
            }

            if (textBlocks.Count > 0)
            {
                result["content"] = textBlocks;
            }
        }

        AddTurn(turns, "user", [result]);
        return null;
    }

    internal static void AddText(IList<JsonNode?> blocks, string? text, JsonNode? cacheControl)
    {
        // Anthropic rejects empty and whitespace-only text blocks.
        if (string.IsNullOrWhiteSpace(text))
        {
            return;
        }

        var block = new JsonObject { ["type"] = "text", ["text"] = text };
        if (!IsNull(cacheControl))
        {
            block["cache_control"] = cacheControl!.DeepClone();
        }

        blocks.Add(block);
    }

    /// <summary>Anthropic needs alternating roles, and tool_result blocks first in their user turn.</summary>
    private static void AddTurn(JsonArray turns, string role, List<JsonNode?> blocks)
    {
        JsonArray content;
        if (turns.Count > 0 && turns[^1] is JsonObject last && GetString(last["role"]) == role)
        {
            content = (JsonArray)last["content"]!;
        }
        else
        {
            content = [];
            turns.Add(new JsonObject { ["role"] = role, ["content"] = content });
        }

        var insertAt = 0;
        while (insertAt < content.Count && IsToolResult(content[insertAt]))
        {
            insertAt++;
        }

        foreach (var block in blocks)
        {
            if (IsToolResult(block))
            {
                content.Insert(insertAt++, block);
            }
            else
            {
                content.Add(block);
            }
        }
    }

    private static bool IsToolResult(JsonNode? block) => GetString(Get(block, "type")) == "tool_result";

    // Anthropic rejects a final assistant (prefill) turn that ends in whitespace.
    private static void TrimFinalAssistantText(JsonArray turns)
    {
        if (turns.Count > 0 && turns[^1] is JsonObject last && GetString(last["role"]) == "assistant"
            && last["content"] is JsonArray { Count: > 0 } content && content[^1] is JsonObject block
            && GetString(block["type"]) == "text" && GetString(block["text"]) is { } text)
        {
            block["text"] = text.TrimEnd();
        }
    }
}
