using System.Text.Json;
using LlmGateway.Api.Contracts;

namespace LlmGateway.Api.Providers.Anthropic;

/// <summary>
/// Reads Anthropic's <c>usage</c> (of a message, a <c>message_start</c> or a <c>message_delta</c>) into the canonical
/// <see cref="TokenUsage"/> with a forward-only reader, skipping content. Anthropic's counts are cumulative: a field
/// present replaces the earlier value, an absent one keeps it.
/// </summary>
internal static class AnthropicUsageReader
{
    /// <summary>The usage in <paramref name="json"/> merged over <paramref name="previous"/>; null when there is none or the JSON is invalid.</summary>
    public static TokenUsage? Read(ReadOnlySpan<byte> json, TokenUsage? previous = null)
    {
        var counts = Counts.From(previous ?? default);
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            return FindUsage(ref reader, ref counts, lookInMessage: true) ? counts.ToUsage() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // message_start nests its usage in "message"; bodies and message_delta carry it at the top.
    private static bool FindUsage(ref Utf8JsonReader reader, ref Counts counts, bool lookInMessage)
    {
        var found = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isUsage = reader.ValueTextEquals("usage"u8);
            var isMessage = lookInMessage && reader.ValueTextEquals("message"u8);
            reader.Read();
            if (reader.TokenType == JsonTokenType.StartObject && isUsage)
            {
                ReadCounts(ref reader, ref counts);
                found = true;
            }
            else if (reader.TokenType == JsonTokenType.StartObject && isMessage)
            {
                found |= FindUsage(ref reader, ref counts, lookInMessage: false);
            }
            else
            {
                reader.Skip();
            }
        }

        return found;
    }

    // usage.cache_creation splits the writes by time to live: { "ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens" };
    // usage.server_tool_use counts the server tools' billed calls: { "web_search_requests", "web_fetch_requests" }.
    private static void ReadCounts(ref Utf8JsonReader reader, ref Counts counts)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = Counts.FieldOf(ref reader);
            var isNested = reader.ValueTextEquals("cache_creation"u8) || reader.ValueTextEquals("server_tool_use"u8);
            reader.Read();
            if (field >= 0 && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value))
            {
                counts.Set(field, value);
            }
            else if (isNested && reader.TokenType == JsonTokenType.StartObject)
            {
                ReadCounts(ref reader, ref counts);
            }
            else
            {
                reader.Skip();
            }
        }
    }

    /// <summary>Anthropic's counts in its own terms: <see cref="Input"/> is the uncached part of the prompt.</summary>
    private struct Counts
    {
        public long Input;
        public long Output;
        public long CacheRead;
        public long CacheWrite;
        public long CacheWrite1h;
        public long WebSearches;
        public long WebFetches;

        public static Counts From(TokenUsage usage) => new()
        {
            Input = usage.UncachedPromptTokens, Output = usage.CompletionTokens, CacheRead = usage.CachedTokens, CacheWrite = usage.CacheWriteTokens,
            CacheWrite1h = usage.CacheWrite1hTokens, WebSearches = usage.WebSearchRequests, WebFetches = usage.WebFetchRequests,
        };

        public readonly TokenUsage ToUsage() =>
            new(Input + CacheRead + CacheWrite, Output, CacheRead, CacheWriteTokens: CacheWrite, CacheWrite1hTokens: Math.Min(CacheWrite1h, CacheWrite),
                WebSearchRequests: WebSearches, WebFetchRequests: WebFetches);

        /// <summary>Which count the reader's property name stands for; -1 for any other field.</summary>
        public static int FieldOf(ref Utf8JsonReader reader) =>
            reader.ValueTextEquals("input_tokens"u8) ? 0
            : reader.ValueTextEquals("output_tokens"u8) ? 1
            : reader.ValueTextEquals("cache_read_input_tokens"u8) ? 2
            : reader.ValueTextEquals("cache_creation_input_tokens"u8) ? 3
            : reader.ValueTextEquals("ephemeral_1h_input_tokens"u8) ? 4
            : reader.ValueTextEquals("web_search_requests"u8) ? 5
            : reader.ValueTextEquals("web_fetch_requests"u8) ? 6
            : -1;

        public void Set(int field, long value)
        {
            if (field == 0)
            {
                Input = value;
            }
            else if (field == 1)
            {
                Output = value;
            }
            else if (field == 2)
            {
                CacheRead = value;
            }
            else if (field == 3)
            {
                CacheWrite = value;
            }
            else if (field == 4)
            {
                CacheWrite1h = value;
            }
            else if (field == 5)
            {
                WebSearches = value;
            }
            else
            {
                WebFetches = value;
            }
        }
    }
}
