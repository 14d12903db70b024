using System.Text.Json;
using LlmGateway.Api.Contracts;

namespace LlmGateway.Api.Providers.Anthropic;

/// <summary>Anthropic's usage from a message, a <c>message_start</c> or a <c>message_delta</c> (whose counts are cumulative), in canonical terms.</summary>
public static class AnthropicUsage
{
    /// <summary>The usage so far updated by <paramref name="json"/>: a count present replaces the earlier one.</summary>
    public static TokenUsage? Merge(TokenUsage? current, ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object)
            {
                root = message;
            }

            return root.ValueKind == JsonValueKind.Object && root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object
                ? Merge(current, usage)
                : current;
        }
        catch (JsonException)
        {
            return current;
        }
    }

    public static TokenUsage Merge(TokenUsage? current, JsonElement usage)
    {
        var known = current ?? default;
        var input = Read(usage, "input_tokens", known.UncachedPromptTokens);
        var read = Read(usage, "cache_read_input_tokens", known.CachedTokens);
        var write = Read(usage, "cache_creation_input_tokens", known.CacheWriteTokens);
        return new TokenUsage(input + read + write, Read(usage, "output_tokens", known.CompletionTokens), read, known.ReasoningTokens, write);
    }

    private static long Read(JsonElement usage, string name, long fallback) =>
        usage.TryGetProperty(name, out var value) && value.TryGetInt64(out var number) ? number : fallback;
}
