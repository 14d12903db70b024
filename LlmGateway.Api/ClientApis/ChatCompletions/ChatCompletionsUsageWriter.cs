using System.Text.Json;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.ClientApis.ChatCompletions;

/// <summary>The parts a <c>chat.completion</c> body and its chunks share: the envelope, the finish reason and <c>usage</c>.</summary>
internal static class ChatCompletionsUsageWriter
{
    /// <summary>Opens the object and writes <c>id</c>, <c>object</c>, <c>created</c> and <c>model</c> (the gateway's, not the upstream's).</summary>
    public static void WriteEnvelope(Utf8JsonWriter w, ResponseIdentity identity, string objectType)
    {
        w.WriteStartObject();
        w.WriteString("id", identity.Id);
        w.WriteString("object", objectType);
        w.WriteNumber("created", identity.Created);
        w.WriteString("model", identity.Model);
    }

    /// <summary>
    /// <c>usage</c> in OpenAI's terms: cached reads and cache writes inside <c>prompt_tokens</c> (wire-formats §10.3),
    /// reads as <c>prompt_tokens_details.cached_tokens</c>; cache writes, which OpenAI has no field for, as LiteLLM
    /// reports them (<c>cache_creation_input_tokens</c>, <c>cache_read_input_tokens</c>) when there are some;
    /// reasoning and audio tokens only when there are some, <c>cost</c> (USD) only when known.
    /// </summary>
    public static void WriteUsage(Utf8JsonWriter w, TokenUsage usage, decimal? cost)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", usage.PromptTokens);
        w.WriteNumber("completion_tokens", usage.CompletionTokens);
        w.WriteNumber("total_tokens", usage.TotalTokens);
        w.WriteStartObject("prompt_tokens_details");
        w.WriteNumber("cached_tokens", usage.CachedTokens);
        if (usage.AudioPromptTokens > 0)
        {
            w.WriteNumber("audio_tokens", usage.AudioPromptTokens);
        }

        w.WriteEndObject();
        if (usage.CacheWriteTokens > 0)
        {
            w.WriteNumber("cache_creation_input_tokens", usage.CacheWriteTokens);
            w.WriteNumber("cache_read_input_tokens", usage.CachedTokens);
        }

        if (usage.ReasoningTokens > 0 || usage.AudioCompletionTokens > 0)
        {
            w.WriteStartObject("completion_tokens_details");
            w.WriteNumber("reasoning_tokens", usage.ReasoningTokens);
            if (usage.AudioCompletionTokens > 0)
            {
                w.WriteNumber("audio_tokens", usage.AudioCompletionTokens);
            }

            w.WriteEndObject();
        }

        if (cost is { } usd)
        {
            w.WriteNumber("cost", usd);
        }

        w.WriteEndObject();
    }

    /// <summary>The canonical finish as <c>finish_reason</c>: a stop sequence or a paused turn is a plain stop to a chat client.</summary>
    public static string FinishReasonOf(FinishReason reason) => reason switch
    {
        FinishReason.Length or FinishReason.ContextWindow => "length",
        FinishReason.ToolCalls => "tool_calls",
        FinishReason.ContentFilter => "content_filter",
        _ => "stop",
    };

    /// <summary>The last chunk of a stream whose client asked for usage: no choices, the usage (and its cost when known).</summary>
    public static void WriteUsageChunk(Utf8JsonWriter w, ResponseIdentity identity, string objectType, TokenUsage usage, decimal? cost)
    {
        WriteEnvelope(w, identity, objectType);
        w.WriteStartArray("choices");
        w.WriteEndArray();
        WriteUsage(w, usage, cost);
        w.WriteEndObject();
    }

    /// <summary>OpenAI's in-stream error, <c>{"error":{"message","type","param","code"}}</c>.</summary>
    public static void WriteError(Utf8JsonWriter w, ResponseFailed failed)
    {
        w.WriteStartObject();
        w.WriteStartObject("error");
        w.WriteString("message", failed.Message);
        w.WriteString("type", failed.Type);
        w.WriteNull("param");
        w.WriteNull("code");
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
