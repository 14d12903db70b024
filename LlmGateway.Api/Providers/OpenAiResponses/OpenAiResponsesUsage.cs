using System.Text.Json;
using LlmGateway.Api.Contracts;
using static LlmGateway.Api.Contracts.JsonElementRead;

namespace LlmGateway.Api.Providers.OpenAiResponses;

/// <summary>
/// The usage of a Responses API <c>response</c> object: <c>input_tokens</c> (cache reads included, as
/// <c>input_tokens_details.cached_tokens</c>) and <c>output_tokens</c> (reasoning included, as
/// <c>output_tokens_details.reasoning_tokens</c>) are already in canonical terms; the hosted tools' calls (web search, file
/// search, code interpreter sessions) are counted from its output items.
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
        var (searches, fileSearches, sessions) = HostedCalls(response);
        return new TokenUsage(
            Int64Or(usage, "input_tokens", 0), Int64Or(usage, "output_tokens", 0),
            CachedTokens: Int64Or(input, "cached_tokens", 0), ReasoningTokens: Int64Or(output, "reasoning_tokens", 0),
            WebSearchRequests: searches)
        {
            FileSearchCalls = fileSearches, CodeInterpreterSessions = sessions,
        };
    }

    /// <summary>
    /// The hosted tools' billed units, from the response's output items: each <c>web_search_call</c> and <c>file_search_call</c>
    /// is a call; the code interpreter is billed per container, so its calls count once per distinct <c>container_id</c>
    /// (a call without one counts alone).
    /// </summary>
    private static (long Searches, long FileSearches, long Sessions) HostedCalls(JsonElement response)
    {
        if (!response.TryGetProperty("output", out var output) || output.ValueKind != JsonValueKind.Array)
        {
            return default;
        }

        var (searches, fileSearches, anonymous) = (0L, 0L, 0L);
        HashSet<string>? containers = null;
        foreach (var item in output.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
            {
                continue;
            }

            if (type.ValueEquals("web_search_call"u8))
            {
                searches++;
            }
            else if (type.ValueEquals("file_search_call"u8))
            {
                fileSearches++;
            }
            else if (type.ValueEquals("code_interpreter_call"u8))
            {
                if (item.TryGetProperty("container_id", out var container) && container.ValueKind == JsonValueKind.String)
                {
                    (containers ??= []).Add(container.GetString()!);
                }
                else
                {
                    anonymous++;
                }
            }
        }

        return (searches, fileSearches, anonymous + (containers?.Count ?? 0));
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
