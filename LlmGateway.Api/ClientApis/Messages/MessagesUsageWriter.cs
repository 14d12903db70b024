using System.Text.Json;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.ClientApis.Messages;

/// <summary>What the Anthropic Messages body and stream encoders both write: usage, stop reason, a message's envelope.</summary>
internal static class MessagesUsageWriter
{
    /// <summary>
    /// <c>usage</c> in Anthropic's terms: <c>input_tokens</c> excludes cache reads and writes (wire-formats §10.3); the
    /// writes split by time to live in <c>cache_creation</c> when there are some.
    /// </summary>
    public static void WriteUsage(Utf8JsonWriter w, TokenUsage usage)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("input_tokens", usage.UncachedPromptTokens);
        w.WriteNumber("output_tokens", usage.CompletionTokens);
        w.WriteNumber("cache_creation_input_tokens", usage.CacheWriteTokens);
        w.WriteNumber("cache_read_input_tokens", usage.CachedTokens);
        if (usage.CacheWriteTokens > 0)
        {
            w.WriteStartObject("cache_creation");
            w.WriteNumber("ephemeral_5m_input_tokens", usage.CacheWrite5mTokens);
            w.WriteNumber("ephemeral_1h_input_tokens", usage.CacheWrite1hTokens);
            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    public static string StopReason(FinishReason reason) => reason switch
    {
        FinishReason.StopSequence => "stop_sequence",
        FinishReason.Length => "max_tokens",
        FinishReason.ContextWindow => "model_context_window_exceeded",
        FinishReason.ToolCalls => "tool_use",
        FinishReason.ContentFilter => "refusal",
        FinishReason.PauseTurn => "pause_turn",
        _ => "end_turn",
    };

    /// <summary><c>id</c>, <c>type</c>, <c>role</c>, <c>model</c> of a message; the caller writes the rest.</summary>
    public static void WriteEnvelope(Utf8JsonWriter w, ResponseIdentity identity)
    {
        w.WriteString("id", identity.Id);
        w.WriteString("type", "message");
        w.WriteString("role", "assistant");
        w.WriteString("model", identity.Model);
    }

    /// <summary>A <c>tool_use</c> block's <c>type</c>, <c>id</c> and <c>name</c>; the caller writes <c>input</c> then <see cref="WriteCaller"/>.</summary>
    public static void WriteToolUseHead(Utf8JsonWriter w, string id, string name)
    {
        w.WriteString("type", "tool_use");
        w.WriteString("id", id);
        w.WriteString("name", name);
    }

    /// <summary>Anthropic sends it on every tool_use block; Anthropic's SDKs refuse a block without it.</summary>
    public static void WriteCaller(Utf8JsonWriter w)
    {
        w.WriteStartObject("caller");
        w.WriteString("type", "direct");
        w.WriteEndObject();
    }

    /// <summary>A <c>thinking</c> or <c>redacted_thinking</c> block's fields, with the text and signature given.</summary>
    public static void WriteThinking(Utf8JsonWriter w, string? redactedData, string thinking, string signature)
    {
        if (redactedData is not null)
        {
            w.WriteString("type", "redacted_thinking");
            w.WriteString("data", redactedData);
            return;
        }

        w.WriteString("type", "thinking");
        w.WriteString("thinking", thinking);
        w.WriteString("signature", signature);
    }
}
