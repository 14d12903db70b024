using System.Text.Json;
using LlmGateway.Api.Contracts;
using static LlmGateway.Api.Contracts.JsonElementRead;

namespace LlmGateway.Api.Providers.OpenAiResponses;

/// <summary>
/// The usage of a Responses API <c>response</c> object: <c>input_tokens</c> (cache reads included, as
/// <c>input_tokens_details.cached_tokens</c>) and <c>output_tokens</c> (reasoning included, as
/// <c>output_tokens_details.reasoning_tokens</c>) are already in canonical terms; the web searches are counted from its output items.
/// </summary>
internal static class OpenAiResponsesUsage
{
    /// <summary>The response's usage; null when it has none.</summary>
    public static TokenUsage? Of(JsonElement response)
    {
        if (!TryGetObject(response, "usage", out var usage))
        {
            return null;
        }

        TryGetObject(usage, "input_tokens_details", out var input);
        TryGetObject(usage, "output_tokens_details", out var output);
        return new TokenUsage(
            Int64Or(usage, "input_tokens", 0), Int64Or(usage, "output_tokens", 0),
            CachedTokens: Int64Or(input, "cached_tokens", 0), ReasoningTokens: Int64Or(output, "reasoning_tokens", 0),
            WebSearchRequests: WebSearchCalls(response));
    }

    /// <summary>The hosted web search's calls, billed one by one: the response's <c>web_search_call</c> output items.</summary>
    private static long WebSearchCalls(JsonElement response)
    {
        if (!response.TryGetProperty("output", out var output) || output.ValueKind != JsonValueKind.Array)
        {
            return 0;
        }

        var calls = 0L;
        foreach (var item in output.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
                && type.ValueEquals("web_search_call"u8))
            {
                calls++;
            }
        }

        return calls;
    }

    /// <summary>The usage of a terminal stream event (<c>{"type":…,"response":{…}}</c>) or of a whole response body.</summary>
    public static TokenUsage? Read(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            return Of(TryGetObject(root, "response", out var response) ? response : root);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
