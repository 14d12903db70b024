using System.Text.Json;

namespace LlmGateway.Api.Contracts;

/// <summary>
/// Token counts of one response, as billed and in every format's terms at once (the canonical usage): cached reads
/// (<see cref="CachedTokens"/>) and cache writes (<see cref="CacheWriteTokens"/>) are part of <see cref="PromptTokens"/>,
/// the writes kept for an hour (<see cref="CacheWrite1hTokens"/>) part of the cache writes, reasoning tokens part of
/// <see cref="CompletionTokens"/>. Hosted tools billed per call ride along: <see cref="WebSearchRequests"/> (Anthropic's
/// <c>usage.server_tool_use.web_search_requests</c>, OpenAI's <c>web_search_call</c> output items) and
/// <see cref="WebFetchRequests"/> (Anthropic's <c>web_fetch_requests</c>), <see cref="FileSearchCalls"/> (OpenAI's
/// <c>file_search_call</c> output items) and <see cref="CodeInterpreterSessions"/> (the containers of OpenAI's
/// <c>code_interpreter_call</c> output items). Audio, which OpenAI's audio models bill at their
/// own rates, is part of the counts it is in: <see cref="AudioPromptTokens"/> of <see cref="PromptTokens"/>,
/// <see cref="AudioCompletionTokens"/> of <see cref="CompletionTokens"/> (<c>prompt_tokens_details.audio_tokens</c>,
/// <c>completion_tokens_details.audio_tokens</c>).
/// </summary>
public readonly record struct TokenUsage(
    long PromptTokens, long CompletionTokens, long CachedTokens = 0, long ReasoningTokens = 0, long CacheWriteTokens = 0, long CacheWrite1hTokens = 0,
    long WebSearchRequests = 0, long WebFetchRequests = 0, long AudioPromptTokens = 0, long AudioCompletionTokens = 0)
{
    /// <summary>OpenAI's hosted file search calls (<c>file_search_call</c> output items), billed per call.</summary>
    public long FileSearchCalls { get; init; }

    /// <summary>OpenAI's code interpreter containers the answer used (distinct <c>container_id</c>s of its <c>code_interpreter_call</c> items), billed per session.</summary>
    public long CodeInterpreterSessions { get; init; }

    public long TotalTokens => PromptTokens + CompletionTokens;

    /// <summary>Cache writes kept for five minutes (Anthropic's default time to live): the writes not kept for an hour.</summary>
    public long CacheWrite5mTokens => Math.Max(0, CacheWriteTokens - CacheWrite1hTokens);

    /// <summary>Prompt tokens neither read from nor written to a prompt cache (Anthropic's <c>input_tokens</c>).</summary>
    public long UncachedPromptTokens => Math.Max(0, PromptTokens - CachedTokens - CacheWriteTokens);

    /// <summary>The usage of a whole (non-stream) OpenAI body, if it has one.</summary>
    public static TokenUsage? OfOpenAiBody(ReadOnlySpan<byte> json) => TryReadOpenAi(json, out var usage, out _) ? usage : null;

    /// <summary>
    /// Reads <c>usage</c> and whether <c>choices</c> is empty from an OpenAI response or chunk, skipping everything else.
    /// Returns false when there is no usage object.
    /// </summary>
    public static bool TryReadOpenAi(ReadOnlySpan<byte> json, out TokenUsage usage, out bool choicesEmpty)
    {
        usage = default;
        choicesEmpty = false;
        var found = false;
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("usage"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        usage = ReadUsageObject(ref reader);
                        found = true;
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else if (reader.ValueTextEquals("choices"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartArray)
                    {
                        reader.Read();
                        choicesEmpty = reader.TokenType == JsonTokenType.EndArray;
                        if (!choicesEmpty)
                        {
                            SkipToEndOfArray(ref reader);
                        }
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            return false;
        }

        return found;
    }

    private static TokenUsage ReadUsageObject(ref Utf8JsonReader reader)
    {
        long prompt = 0, completion = 0, cached = 0, reasoning = 0, audioPrompt = 0, audioCompletion = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("prompt_tokens"u8))
            {
                prompt = ReadNumber(ref reader);
            }
            else if (reader.ValueTextEquals("completion_tokens"u8))
            {
                completion = ReadNumber(ref reader);
            }
            else if (reader.ValueTextEquals("prompt_tokens_details"u8))
            {
                (cached, audioPrompt) = ReadNested(ref reader, "cached_tokens"u8);
            }
            else if (reader.ValueTextEquals("completion_tokens_details"u8))
            {
                (reasoning, audioCompletion) = ReadNested(ref reader, "reasoning_tokens"u8);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return new TokenUsage(prompt, completion, cached, reasoning, AudioPromptTokens: audioPrompt, AudioCompletionTokens: audioCompletion);
    }

    private static long ReadNumber(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value) ? value : 0;
    }

    /// <summary>The count named <paramref name="name"/> and <c>audio_tokens</c> of a details object.</summary>
    private static (long Named, long Audio) ReadNested(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return default;
        }

        (long Named, long Audio) result = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals(name))
            {
                result.Named = ReadNumber(ref reader);
            }
            else if (reader.ValueTextEquals("audio_tokens"u8))
            {
                result.Audio = ReadNumber(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return result;
    }

    private static void SkipToEndOfArray(ref Utf8JsonReader reader)
    {
        // Positioned on the first element's token.
        reader.Skip();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            reader.Skip();
        }
    }
}
