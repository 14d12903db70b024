using System.Text;
using System.Text.Json;
using LlmGateway.Api.Translation;
using static LlmGateway.Api.Contracts.JsonElementRead;

namespace LlmGateway.Api.Providers.OpenAiResponses;

/// <summary>Reads a whole Responses API <c>response</c> object (its <c>output</c> items) into a canonical answer.</summary>
public static class OpenAiResponsesBodyDecoder
{
    /// <summary>The answer in output order: reasoning, message text and refusals, tool calls; null when the body is not a response.</summary>
    public static CanonicalResponse? Decode(ReadOnlySpan<byte> json)
    {
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(json);
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException)
        {
            return null;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("output", out var items) || items.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            var response = new CanonicalResponse
            {
                Id = StringOr(root, "id", "") is { Length: > 0 } id ? id : null,
                Model = StringOr(root, "model", "") is { Length: > 0 } model ? model : null,
                Usage = OpenAiResponsesUsage.Of(root),
            };
            foreach (var item in items.EnumerateArray())
            {
                AddItem(item, response.Content);
            }

            response.Finish = FinishOf(root, response.Content.Exists(part => part is ToolCallPart));
            return response;
        }
    }

    /// <summary>Why the answer ended: <c>incomplete</c> by its reason (the output limit unless a content filter), else tool calls or a stop.</summary>
    public static FinishReason FinishOf(JsonElement response, bool toolCalls)
    {
        if (StringOr(response, "status", "") == "incomplete")
        {
            TryGetObject(response, "incomplete_details", out var details);
            return StringOr(details, "reason", "") == "content_filter" ? FinishReason.ContentFilter : FinishReason.Length;
        }

        return toolCalls ? FinishReason.ToolCalls : FinishReason.Stop;
    }

    /// <summary>A message item's <c>output_text</c> and <c>refusal</c> parts.</summary>
    public static List<ContentPart> MessageParts(JsonElement item)
    {
        var parts = new List<ContentPart>();
        if (!item.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.Array)
        {
            return parts;
        }

        foreach (var part in content.EnumerateArray())
        {
            switch (StringOr(part, "type", ""))
            {
                case "output_text":
                    parts.Add(new TextPart(StringOr(part, "text", "")));
                    break;
                case "refusal":
                    parts.Add(new TextPart(StringOr(part, "refusal", "")) { IsRefusal = true });
                    break;
            }
        }

        return parts;
    }

    /// <summary>A reasoning item: its summary texts joined, its id and <c>encrypted_content</c> kept for the next turn.</summary>
    public static ReasoningPart ReasoningOf(JsonElement item)
    {
        var text = new StringBuilder();
        if (item.TryGetProperty("summary", out var summary) && summary.ValueKind == JsonValueKind.Array)
        {
            foreach (var part in summary.EnumerateArray())
            {
                if (StringOr(part, "text", "") is { Length: > 0 } piece)
                {
                    text.Append(text.Length > 0 ? "\n\n" : "").Append(piece);
                }
            }
        }

        return new ReasoningPart(text.ToString())
        {
            Id = StringOr(item, "id", "") is { Length: > 0 } id ? id : null,
            EncryptedContent = StringOr(item, "encrypted_content", "") is { Length: > 0 } encrypted ? encrypted : null,
        };
    }

    private static void AddItem(JsonElement item, List<ContentPart> content)
    {
        switch (StringOr(item, "type", ""))
        {
            case "message":
                content.AddRange(MessageParts(item));
                break;
            case "function_call":
                content.Add(new ToolCallPart(StringOr(item, "call_id", ""), StringOr(item, "name", ""), StringOr(item, "arguments", "")));
                break;
            case "custom_tool_call":
                content.Add(new ToolCallPart(StringOr(item, "call_id", ""), StringOr(item, "name", ""), StringOr(item, "input", "")) { Freeform = true });
                break;
            case "reasoning":
                content.Add(ReasoningOf(item));
                break;
        }
    }
}
