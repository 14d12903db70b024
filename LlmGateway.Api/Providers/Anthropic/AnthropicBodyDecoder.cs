using System.Buffers;
using System.Text.Json;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Translation;
using static LlmGateway.Api.Contracts.JsonElementRead;

namespace LlmGateway.Api.Providers.Anthropic;

/// <summary>Reads a whole (non-streamed) Anthropic message into a <see cref="CanonicalResponse"/> (wire-formats §7).</summary>
public static class AnthropicBodyDecoder
{
    /// <summary>The answer in <paramref name="json"/>; null when it is not a message object.</summary>
    public static CanonicalResponse? Decode(ReadOnlySpan<byte> json)
    {
        using var document = Parse(json);
        var root = document?.RootElement ?? default;
        if (root.ValueKind != JsonValueKind.Object || StringOr(root, "type", "message") != "message")
        {
            return null;
        }

        var response = new CanonicalResponse
        {
            Id = StringOrNull(root, "id"),
            Model = StringOrNull(root, "model"),
            Finish = ToFinish(StringOrNull(root, "stop_reason")),
            StopSequence = StringOrNull(root, "stop_sequence"),
            Usage = ReadUsage(json),
        };
        if (root.TryGetProperty("content", out var blocks) && blocks.ValueKind == JsonValueKind.Array)
        {
            foreach (var block in blocks.EnumerateArray())
            {
                if (ToPart(block) is { } part)
                {
                    response.Content.Add(part);
                }
            }
        }

        return response;
    }

    /// <summary>
    /// The usage of a message body, a <c>message_start</c> or a <c>message_delta</c> payload, without parsing the rest;
    /// fields present replace those of <paramref name="previous"/> (stream counts are cumulative). Null when there is none.
    /// </summary>
    public static TokenUsage? ReadUsage(ReadOnlySpan<byte> json, TokenUsage? previous = null) => AnthropicUsageReader.Read(json, previous);

    /// <summary>The first JSON value in <paramref name="json"/>; null when it is not valid JSON.</summary>
    internal static JsonDocument? Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            return JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Anthropic <c>stop_reason</c> → the canonical finish; anything new is a natural stop.</summary>
    internal static FinishReason ToFinish(string? stopReason) => stopReason switch
    {
        "stop_sequence" => FinishReason.StopSequence,
        "max_tokens" => FinishReason.Length,
        "model_context_window_exceeded" => FinishReason.ContextWindow,
        "tool_use" => FinishReason.ToolCalls,
        "refusal" => FinishReason.ContentFilter,
        "pause_turn" => FinishReason.PauseTurn,
        _ => FinishReason.Stop,
    };

    /// <summary>A JSON value as compact UTF-8 JSON text (tool input becomes argument text).</summary>
    internal static string Compact(JsonElement value)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, TranslationJson.WriterOptions))
        {
            value.WriteTo(writer);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    internal static string? StringOrNull(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static ContentPart? ToPart(JsonElement block) => StringOr(block, "type", "") switch
    {
        "text" => new TextPart(StringOr(block, "text", "")),
        "tool_use" => new ToolCallPart(StringOr(block, "id", ""), StringOr(block, "name", ""),
            block.TryGetProperty("input", out var input) && input.ValueKind != JsonValueKind.Null ? Compact(input) : "{}"),
        "thinking" => new ReasoningPart(StringOr(block, "thinking", "")) { Signature = StringOrNull(block, "signature") },
        "redacted_thinking" => new ReasoningPart("") { RedactedData = StringOr(block, "data", "") },
        // server_tool_use and its results ran at Anthropic: the client has nothing to call or read back.
        _ => null,
    };
}
