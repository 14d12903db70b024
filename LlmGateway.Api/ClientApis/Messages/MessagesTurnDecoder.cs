using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Translation;
using static LlmGateway.Api.Contracts.TranslationJson;

namespace LlmGateway.Api.ClientApis.Messages;

/// <summary>Anthropic <c>system</c> and <c>messages</c> → canonical turns, in the order OpenAI-style upstreams need them.</summary>
internal static class MessagesTurnDecoder
{
    public static TranslationError? DecodeSystem(JsonNode? system, List<CanonicalMessage> messages) =>
        IsNull(system) ? null : DecodeSystemContent(system, "system", messages);

    public static TranslationError? DecodeTurns(JsonArray turns, List<CanonicalMessage> messages)
    {
        for (var i = 0; i < turns.Count; i++)
        {
            if (DecodeTurn(turns[i], i, messages) is { } error)
            {
                return error;
            }
        }

        return null;
    }

    private static TranslationError? DecodeTurn(JsonNode? node, int i, List<CanonicalMessage> messages)
    {
        var role = GetString(Get(node, "role"));
        var content = Get(node, "content");
        if (role == "system")
        {
            // Claude Code puts system entries inside messages for models it does not recognise.
            return DecodeSystemContent(content, $"messages[{i}].content", messages);
        }

        if (role is not ("user" or "assistant"))
        {
            return new TranslationError($"messages[{i}].role", $"role '{role}' is not supported; use user or assistant");
        }

        var canonicalRole = role == "user" ? Role.User : Role.Assistant;
        if (GetString(content) is { } text)
        {
            messages.Add(new CanonicalMessage(canonicalRole, [new TextPart(text)]));
            return null;
        }

        if (content is not JsonArray blocks)
        {
            return new TranslationError($"messages[{i}].content", "content must be a string or an array of content blocks");
        }

        return canonicalRole == Role.User ? DecodeUser(blocks, i, messages) : DecodeAssistant(blocks, i, messages);
    }

    /// <summary>A string or text blocks (each keeping its cache_control) as one system turn.</summary>
    private static TranslationError? DecodeSystemContent(JsonNode? content, string path, List<CanonicalMessage> messages)
    {
        if (GetString(content) is { } text)
        {
            messages.Add(new CanonicalMessage(Role.System, [new TextPart(text)]));
            return null;
        }

        if (content is not JsonArray blocks)
        {
            return new TranslationError(path, $"{path} must be a string or an array of text blocks");
        }

        var parts = new List<ContentPart>(blocks.Count);
        for (var k = 0; k < blocks.Count; k++)
        {
            if (GetString(Get(blocks[k], "type")) != "text")
            {
                return new TranslationError($"{path}[{k}].type", "system blocks must be text blocks");
            }

            parts.Add(Text(blocks[k]));
        }

        messages.Add(new CanonicalMessage(Role.System, parts));
        return null;
    }

    private static TranslationError? DecodeUser(JsonArray blocks, int i, List<CanonicalMessage> messages)
    {
        var parts = new List<ContentPart>(blocks.Count);
        for (var j = 0; j < blocks.Count; j++)
        {
            var block = blocks[j];
            var path = $"messages[{i}].content[{j}]";
            switch (GetString(Get(block, "type")))
            {
                case "text":
                    parts.Add(Text(block));
                    break;
                case "image" or "document":
                    if (Media(block) is not { } media)
                    {
                        return new TranslationError($"{path}.source", "source must be base64 (with media_type) or url");
                    }

                    parts.Add(media);
                    break;
                case "tool_result":
                    // OpenAI wants tool answers right after the assistant turn, before anything the user adds.
                    if (ToolResult(block) is not { } result)
                    {
                        return new TranslationError($"{path}.tool_use_id", "tool_result blocks need a tool_use_id");
                    }

                    messages.Add(new CanonicalMessage(Role.Tool, [result with { Source = $"{path}.tool_use_id" }]));
                    break;
                case var type:
                    return new TranslationError($"{path}.type",
                        $"content block type '{type}' is not supported for this model; use text, image, document or tool_result");
            }
        }

        return AddTurn(Role.User, parts, messages);
    }

    private static TranslationError? DecodeAssistant(JsonArray blocks, int i, List<CanonicalMessage> messages)
    {
        var parts = new List<ContentPart>(blocks.Count);
        for (var j = 0; j < blocks.Count; j++)
        {
            var block = blocks[j];
            if (AssistantPart(block) is not { } part)
            {
                return new TranslationError($"messages[{i}].content[{j}].type",
                    $"assistant content block type '{GetString(Get(block, "type"))}' is not supported for this model");
            }

            parts.Add(part is ToolCallPart call ? call with { Source = $"messages[{i}].content[{j}]" } : part);
        }

        return AddTurn(Role.Assistant, parts, messages);
    }

    /// <summary>Text, tool calls and reasoning (with the signature or redacted data its provider needs back); null for anything else.</summary>
    private static ContentPart? AssistantPart(JsonNode? block) => GetString(Get(block, "type")) switch
    {
        "text" => Text(block),
        "tool_use" => new ToolCallPart(GetString(Get(block, "id")) ?? "", GetString(Get(block, "name")) ?? "",
            Get(block, "input") is { } input ? Compact(input) : "{}") { CacheControl = CacheControlOf(block) },
        "thinking" => new ReasoningPart(GetString(Get(block, "thinking")) ?? "")
        {
            Signature = GetString(Get(block, "signature")), CacheControl = CacheControlOf(block),
        },
        "redacted_thinking" => new ReasoningPart("") { RedactedData = GetString(Get(block, "data")), CacheControl = CacheControlOf(block) },
        _ => null,
    };

    /// <summary>Adds the turn unless it is empty; turns with nothing in them are not sent anywhere.</summary>
    private static TranslationError? AddTurn(Role role, List<ContentPart> parts, List<CanonicalMessage> messages)
    {
        if (parts.Count > 0)
        {
            messages.Add(new CanonicalMessage(role, parts));
        }

        return null;
    }

    /// <summary>A tool_result block; its content is a string or text/image/document blocks (other blocks are skipped).</summary>
    private static ToolResultPart? ToolResult(JsonNode? block)
    {
        if (GetString(Get(block, "tool_use_id")) is not { Length: > 0 } id)
        {
            return null;
        }

        var content = new List<ContentPart>();
        var raw = Get(block, "content");
        if (GetString(raw) is { } plain)
        {
            content.Add(new TextPart(plain));
        }
        else if (raw is JsonArray items)
        {
            foreach (var item in items)
            {
                switch (GetString(Get(item, "type")))
                {
                    case "text":
                        content.Add(Text(item));
                        break;
                    case "image" or "document" when Media(item) is { } media:
                        content.Add(media);
                        break;
                }
            }
        }

        var isError = Get(block, "is_error")?.GetValueKind() == JsonValueKind.True;
        return new ToolResultPart(id, content) { IsError = isError, CacheControl = CacheControlOf(block) };
    }

    private static TextPart Text(JsonNode? block) =>
        new(GetString(Get(block, "text")) ?? "") { CacheControl = CacheControlOf(block) };

    /// <summary>An image or document block; null when its source is neither base64 (with media_type) nor a url.</summary>
    private static ContentPart? Media(JsonNode? block)
    {
        var source = Get(block, "source");
        MediaSource? media = GetString(Get(source, "type")) switch
        {
            "base64" when GetString(Get(source, "media_type")) is { } mediaType && GetString(Get(source, "data")) is { } data
                => MediaSource.Inline(mediaType, data),
            "url" when GetString(Get(source, "url")) is { } url => MediaSource.At(url),
            _ => null,
        };
        if (media is null)
        {
            return null;
        }

        return GetString(Get(block, "type")) == "document"
            ? new DocumentPart(media, GetString(Get(block, "title"))) { CacheControl = CacheControlOf(block) }
            : new ImagePart(media) { CacheControl = CacheControlOf(block) };
    }

    private static JsonNode? CacheControlOf(JsonNode? block) => Get(block, "cache_control")?.DeepClone();
}
