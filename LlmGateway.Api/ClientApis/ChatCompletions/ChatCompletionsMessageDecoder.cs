using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Translation;
using static LlmGateway.Api.Contracts.TranslationJson;

namespace LlmGateway.Api.ClientApis.ChatCompletions;

/// <summary>
/// Chat completions <c>messages</c> → canonical turns, one per message and in order, so that
/// <c>Messages[i]</c> is the client's <c>messages[i]</c> and encoders can name it in errors.
/// </summary>
internal static class ChatCompletionsMessageDecoder
{
    public static TranslationError? Decode(JsonArray messages, List<CanonicalMessage> output)
    {
        for (var i = 0; i < messages.Count; i++)
        {
            var path = $"messages[{i}]";
            if (messages[i] is not JsonObject message)
            {
                return new TranslationError(path, $"{path} must be an object");
            }

            var role = GetString(message["role"]);
            var parts = new List<ContentPart>();
            var (canonicalRole, error) = role switch
            {
                "system" => (Role.System, ReadInstructions(message["content"], path, parts)),
                "developer" => (Role.Developer, ReadInstructions(message["content"], path, parts)),
                "user" => (Role.User, ReadContent(message["content"], path, parts)),
                "assistant" => (Role.Assistant, ReadAssistant(message, path, parts)),
                "tool" => (Role.Tool, ReadToolResult(message, path, parts)),
                _ => (Role.User, new TranslationError($"{path}.role",
                    $"role '{role}' is not supported; use system, developer, user, assistant or tool")),
            };
            if (error is not null)
            {
                return error;
            }

            output.Add(new CanonicalMessage(canonicalRole, parts) { Name = GetString(message["name"]) });
        }

        return null;
    }

    /// <summary>System and developer content: a string or text parts only, as OpenAI requires.</summary>
    private static TranslationError? ReadInstructions(JsonNode? content, string path, List<ContentPart> parts)
    {
        var error = ReadContent(content, path, parts);
        var other = parts.FindIndex(part => part is not TextPart);
        return error ?? (other < 0 ? null
            : new TranslationError($"{path}.content[{other}]", "system and developer messages may only contain text parts"));
    }

    /// <summary>User and tool content: a string, or text, image and file parts.</summary>
    private static TranslationError? ReadContent(JsonNode? content, string path, List<ContentPart> parts)
    {
        if (GetString(content) is { } text)
        {
            parts.Add(new TextPart(text));
            return null;
        }

        if (content is not JsonArray items)
        {
            return IsNull(content) ? null
                : new TranslationError($"{path}.content", $"{path}.content must be a string or an array of content parts");
        }

        for (var j = 0; j < items.Count; j++)
        {
            var part = ChatCompletionsMessagePartDecoder.Read(items[j], $"{path}.content[{j}]");
            if (!part.IsSuccess)
            {
                return part.Error;
            }

            parts.Add(part.Value);
        }

        return null;
    }

    /// <summary>Reasoning first (as the model produced it), then text and refusals, then tool calls.</summary>
    private static TranslationError? ReadAssistant(JsonObject message, string path, List<ContentPart> parts)
    {
        ReadReasoning(message, parts);
        var content = message["content"];
        if (GetString(content) is { } text)
        {
            parts.Add(new TextPart(text));
        }
        else if (content is JsonArray items)
        {
            // Parts that are neither text nor refusal carry nothing an assistant turn can replay.
            foreach (var item in items)
            {
                if (GetString(Get(item, "text")) is { } itemText)
                {
                    parts.Add(ChatCompletionsMessagePartDecoder.Text(itemText, item));
                }
                else if (GetString(Get(item, "refusal")) is { } refusal)
                {
                    parts.Add(ChatCompletionsMessagePartDecoder.Text(refusal, item) with { IsRefusal = true });
                }
            }
        }

        if (GetString(message["refusal"]) is { Length: > 0 } messageRefusal)
        {
            parts.Add(new TextPart(messageRefusal) { IsRefusal = true });
        }

        if (message["tool_calls"] is JsonArray calls)
        {
            for (var j = 0; j < calls.Count; j++)
            {
                var call = ChatCompletionsMessagePartDecoder.ReadToolCall(calls[j], $"{path}.tool_calls[{j}]");
                if (!call.IsSuccess)
                {
                    return call.Error;
                }

                parts.Add(call.Value);
            }
        }

        return null;
    }

    /// <summary>
    /// LiteLLM's <c>thinking_blocks</c> (Anthropic thinking with its signature, as LiteLLM returns it), else the plain
    /// <c>reasoning_content</c> some servers send, which has no signature.
    /// </summary>
    private static void ReadReasoning(JsonObject message, List<ContentPart> parts)
    {
        if (message["thinking_blocks"] is JsonArray { Count: > 0 } blocks)
        {
            foreach (var block in blocks)
            {
                parts.Add(GetString(Get(block, "type")) == "redacted_thinking"
                    ? new ReasoningPart("") { RedactedData = GetString(Get(block, "data")) }
                    : new ReasoningPart(GetString(Get(block, "thinking")) ?? "") { Signature = GetString(Get(block, "signature")) });
            }
        }
        else if (GetString(message["reasoning_content"]) is { Length: > 0 } reasoning)
        {
            parts.Add(new ReasoningPart(reasoning));
        }
    }

    private static TranslationError? ReadToolResult(JsonObject message, string path, List<ContentPart> parts)
    {
        if (GetString(message["tool_call_id"]) is not { Length: > 0 } callId)
        {
            return new TranslationError($"{path}.tool_call_id", "tool messages must have a tool_call_id");
        }

        var content = new List<ContentPart>();
        var error = ReadContent(message["content"], path, content);
        parts.Add(new ToolResultPart(callId, content) { Source = $"{path}.tool_call_id" });
        return error;
    }
}
