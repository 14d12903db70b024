using System.Globalization;
using System.Text;
using System.Text.Json;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Translation;
using static LlmGateway.Api.Contracts.JsonElementRead;

namespace LlmGateway.Api.Providers.OpenAiCompatible;

/// <summary>Reads a whole OpenAI(-compatible) <c>chat.completion</c> (wire-formats §2, first choice) into a canonical answer.</summary>
public static class OpenAiChatBodyDecoder
{
    /// <summary>
    /// The answer: reasoning first, then the text (or the refusal), then the tool calls; finish reason, usage, id and model.
    /// Null when <paramref name="json"/> is not a completion object. A tool call without an id gets <c>{prefix}{position}</c>.
    /// </summary>
    public static CanonicalResponse? Decode(ReadOnlySpan<byte> json, string fallbackIdPrefix = "toolu_")
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
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("choices", out var choices)
                || choices.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            var response = new CanonicalResponse
            {
                Id = StringOr(root, "id", "") is { Length: > 0 } id ? id : null,
                Model = StringOr(root, "model", "") is { Length: > 0 } model ? model : null,
                Usage = TokenUsage.OfOpenAiBody(json),
            };
            if (choices.GetArrayLength() > 0 && choices[0] is { ValueKind: JsonValueKind.Object } choice)
            {
                if (TryGetObject(choice, "message", out var message))
                {
                    AddContent(message, response.Content, fallbackIdPrefix);
                }

                if (choice.TryGetProperty("finish_reason", out var finish) && finish.ValueKind == JsonValueKind.String)
                {
                    response.Finish = OpenAiChatStreamDecoder.FinishReasonOf(finish.GetString());
                }
            }

            return response;
        }
    }

    private static void AddContent(JsonElement message, List<ContentPart> content, string fallbackIdPrefix)
    {
        var reasoning = StringOr(message, "reasoning_content", "") is { Length: > 0 } r ? r : StringOr(message, "reasoning", "");
        if (reasoning.Length > 0)
        {
            content.Add(new ReasoningPart(reasoning));
        }

        // A refusal is the text the client should see; the finish reason says why.
        if (ContentText(message) is { Length: > 0 } text)
        {
            content.Add(new TextPart(text));
        }
        else if (StringOr(message, "refusal", "") is { Length: > 0 } refusal)
        {
            content.Add(new TextPart(refusal) { IsRefusal = true });
        }

        if (!message.TryGetProperty("tool_calls", out var calls) || calls.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        var position = 0;
        foreach (var call in calls.EnumerateArray())
        {
            TryGetObject(call, "function", out var function);
            var id = StringOr(call, "id", "") is { Length: > 0 } callId ? callId : fallbackIdPrefix + position.ToString(CultureInfo.InvariantCulture);
            content.Add(new ToolCallPart(id, StringOr(function, "name", ""), StringOr(function, "arguments", "")));
            position++;
        }
    }

    private static string? ContentText(JsonElement message)
    {
        if (!message.TryGetProperty("content", out var content))
        {
            return null;
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString();
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        // Some OpenAI-compatible servers answer with content parts instead of a string.
        var text = new StringBuilder();
        foreach (var part in content.EnumerateArray())
        {
            text.Append(StringOr(part, "text", ""));
        }

        return text.ToString();
    }
}
