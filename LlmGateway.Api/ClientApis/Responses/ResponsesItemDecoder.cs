using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Translation;
using static LlmGateway.Api.Contracts.TranslationJson;

namespace LlmGateway.Api.ClientApis.Responses;

/// <summary>
/// Responses input items → canonical turns. Adjacent assistant items (reasoning, text, calls) form one assistant turn, as
/// Anthropic needs a thinking block in the same turn as its tool use; each tool output is its own tool turn.
/// </summary>
internal static class ResponsesItemDecoder
{
    /// <summary>Marks a Messages <c>redacted_thinking</c> block carried in <c>encrypted_content</c> (its data follows).</summary>
    public const string RedactedPrefix = "redacted_thinking:";

    public static TranslationError? Decode(JsonNode? input, List<CanonicalMessage> messages)
    {
        if (GetString(input) is { } text)
        {
            messages.Add(new CanonicalMessage(Role.User, [new TextPart(text)]));
            return null;
        }

        if (input is not JsonArray items)
        {
            return null;
        }

        for (var i = 0; i < items.Count; i++)
        {
            if (DecodeItem(items[i], $"input[{i}]", messages) is { } error)
            {
                return error;
            }
        }

        return null;
    }

    private static TranslationError? DecodeItem(JsonNode? item, string path, List<CanonicalMessage> messages)
    {
        var type = GetString(Get(item, "type")) ?? "message";
        switch (type)
        {
            case "message":
                return DecodeMessage(item!, path, messages);
            case "function_call" or "custom_tool_call":
                var freeform = type == "custom_tool_call";
                AddAssistant(messages, new ToolCallPart(GetString(Get(item, "call_id")) ?? "", GetString(Get(item, "name")) ?? "",
                    GetString(Get(item, freeform ? "input" : "arguments")) ?? "") { Freeform = freeform, Source = path });
                return null;
            case "function_call_output" or "custom_tool_call_output":
                messages.Add(new CanonicalMessage(Role.Tool,
                    [new ToolResultPart(GetString(Get(item, "call_id")) ?? "", Output(Get(item, "output"))) { Source = $"{path}.call_id" }]));
                return null;
            case "reasoning":
                AddAssistant(messages, Reasoning(item!));
                return null;
            default:
                return new TranslationError($"{path}.type",
                    $"input item type '{type}' is only served by OpenAI deployments; this model's deployments cannot take it");
        }
    }

    private static TranslationError? DecodeMessage(JsonNode item, string path, List<CanonicalMessage> messages)
    {
        var role = GetString(Get(item, "role")) switch
        {
            "system" => Role.System,
            "developer" => Role.Developer,
            "assistant" => Role.Assistant,
            _ => Role.User,
        };
        var parts = new List<ContentPart>();
        var content = Get(item, "content");
        if (GetString(content) is { } text)
        {
            parts.Add(new TextPart(text));
        }
        else if (content is JsonArray array)
        {
            for (var k = 0; k < array.Count; k++)
            {
                var part = Part(array[k], out var unsupported);
                if (part is null)
                {
                    return new TranslationError($"{path}.content[{k}]", unsupported!);
                }

                parts.Add(part);
            }
        }

        if (role == Role.Assistant)
        {
            parts.ForEach(p => AddAssistant(messages, p));
        }
        else if (parts.Count > 0)
        {
            messages.Add(new CanonicalMessage(role, parts));
        }

        return null;
    }

    private static ContentPart? Part(JsonNode? part, out string? unsupported)
    {
        unsupported = null;
        switch (GetString(Get(part, "type")))
        {
            case "input_text" or "output_text":
                return new TextPart(GetString(Get(part, "text")) ?? "");
            case "refusal":
                return new TextPart(GetString(Get(part, "refusal")) ?? "") { IsRefusal = true };
            case "input_image" when MediaSource.FromUrl(GetString(Get(part, "image_url"))) is { } image:
                return new ImagePart(image) { Detail = GetString(Get(part, "detail")) };
            case "input_file" when File(part) is { } file:
                return new DocumentPart(file, GetString(Get(part, "filename")));
            case var type:
                unsupported = type is "input_image" or "input_file"
                    ? $"{type} needs an https or base64 data URL here; file ids are only served by OpenAI deployments"
                    : $"content part type '{type}' is not supported for this model";
                return null;
        }
    }

    /// <summary><c>file_data</c> (a data URL, or bare base64 of a PDF) or <c>file_url</c>.</summary>
    private static MediaSource? File(JsonNode? part)
    {
        if (GetString(Get(part, "file_data")) is { } data)
        {
            return data.StartsWith("data:", StringComparison.OrdinalIgnoreCase) ? MediaSource.FromUrl(data) : MediaSource.Inline("application/pdf", data);
        }

        return MediaSource.FromUrl(GetString(Get(part, "file_url")));
    }

    private static List<ContentPart> Output(JsonNode? output)
    {
        if (GetString(output) is { } text)
        {
            return [new TextPart(text)];
        }

        var parts = new List<ContentPart>();
        if (output is JsonArray array)
        {
            foreach (var item in array)
            {
                if (Part(item, out _) is { } part)
                {
                    parts.Add(part);
                }
            }
        }

        return parts;
    }

    /// <summary>
    /// The summary is the reasoning text; <c>encrypted_content</c> is what its provider needs back: an Anthropic signature
    /// (or redacted data, marked), or OpenAI's encrypted reasoning. Both are kept: each upstream takes its own.
    /// </summary>
    private static ReasoningPart Reasoning(JsonNode item)
    {
        var summary = string.Concat((Get(item, "summary") as JsonArray ?? []).Select(s => GetString(Get(s, "text")) ?? ""));
        var encrypted = GetString(Get(item, "encrypted_content"));
        if (encrypted is not null && encrypted.StartsWith(RedactedPrefix, StringComparison.Ordinal))
        {
            return new ReasoningPart("") { RedactedData = encrypted[RedactedPrefix.Length..], Id = GetString(Get(item, "id")) };
        }

        return new ReasoningPart(summary) { Signature = encrypted, EncryptedContent = encrypted, Id = GetString(Get(item, "id")) };
    }

    private static void AddAssistant(List<CanonicalMessage> messages, ContentPart part)
    {
        if (messages.Count > 0 && messages[^1].Role == Role.Assistant)
        {
            messages[^1].Parts.Add(part);
        }
        else
        {
            messages.Add(new CanonicalMessage(Role.Assistant, [part]));
        }
    }
}
