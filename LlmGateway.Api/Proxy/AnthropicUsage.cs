using System.Text.Json;
using LlmGateway.Api.Contracts;

namespace LlmGateway.Api.Proxy;

/// <summary>Anthropic's usage, from a message, a <c>message_start</c> or a <c>message_delta</c> (whose counts are cumulative).</summary>
public static class AnthropicUsage
{
    /// <summary>The usage of a whole (non-stream) Anthropic message body.</summary>
    public static TokenUsage? OfBody(ReadOnlySpan<byte> json) => TokenUsage.From(Merge(default, json));

    public static StreamUsage Merge(StreamUsage current, ReadOnlySpan<byte> json)
    {
        try
        {
            using var document = JsonDocument.Parse(json.ToArray());
            var root = document.RootElement;
            if (root.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object)
            {
                root = message;
            }

            if (!root.TryGetProperty("usage", out var usage) || usage.ValueKind != JsonValueKind.Object)
            {
                return current;
            }

            return new StreamUsage(
                Read(usage, "input_tokens", current.InputTokens),
                Read(usage, "output_tokens", current.OutputTokens),
                Read(usage, "cache_read_input_tokens", current.CacheReadInputTokens),
                Read(usage, "cache_creation_input_tokens", current.CacheCreationInputTokens));
        }
        catch (JsonException)
        {
            return current;
        }
    }

    private static long Read(JsonElement usage, string name, long fallback) =>
        usage.TryGetProperty(name, out var value) && value.TryGetInt64(out var number) ? number : fallback;
}
