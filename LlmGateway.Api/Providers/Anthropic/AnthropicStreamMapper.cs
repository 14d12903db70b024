using System.Text.Json;
using LlmGateway.Api.Contracts;
using static LlmGateway.Api.Contracts.JsonElementRead;

namespace LlmGateway.Api.Providers.Anthropic;

/// <summary>
/// Turns one Anthropic SSE stream into OpenAI <c>chat.completion.chunk</c> payloads (wire-formats §10.4).
/// Stateful: create one per upstream response.
/// </summary>
/// <param name="modelGroupName">The model the client asked for; every chunk's <c>model</c>.</param>
/// <param name="requestId">Every chunk's <c>id</c>.</param>
/// <param name="createdUnixSeconds">Every chunk's <c>created</c>.</param>
/// <param name="includeUsageChunk">The client sent <c>stream_options.include_usage: true</c>.</param>
public sealed class AnthropicStreamMapper(string modelGroupName, string requestId, long createdUnixSeconds, bool includeUsageChunk)
{
    private readonly ReusableJsonWriter _json = new();
    private readonly Dictionary<int, int> _toolIndexByBlock = [];
    private int _toolCount;
    private bool _roleSent;

    /// <summary>Whether <see cref="FinalUsageChunk"/> emits anything.</summary>
    public bool IncludeUsageChunk => includeUsageChunk;

    /// <summary>Token counts from <c>message_start</c>, updated by each (cumulative) <c>message_delta</c>.</summary>
    public StreamUsage Usage { get; private set; }

    /// <summary>The OpenAI finish reason once <c>message_delta</c> carried a stop reason.</summary>
    public string? FinishReason { get; private set; }

    /// <summary>Set by an <c>error</c> event: the caller emits <see cref="ErrorChunk"/> and ends the stream.</summary>
    public StreamError? Error { get; private set; }

    /// <summary><c>message_stop</c> arrived: the caller writes <see cref="FinalUsageChunk"/> (if any) and <c>[DONE]</c>.</summary>
    public bool IsComplete { get; private set; }

    /// <summary>Translates one SSE event; <paramref name="eventType"/> may be empty (then the data's <c>type</c> is used).</summary>
    public void OnEvent(string eventType, ReadOnlySpan<byte> data, List<string> openAiChunksOut)
    {
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(data);
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException)
        {
            Error = new StreamError("api_error", "The upstream sent an event that is not valid JSON.");
            return;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return;
            }

            if (string.IsNullOrEmpty(eventType))
            {
                eventType = StringOr(root, "type", "");
            }

            switch (eventType)
            {
                case "message_start":
                    if (TryGetObject(root, "message", out var message) && TryGetObject(message, "usage", out var startUsage))
                    {
                        Usage = MergeUsage(Usage, startUsage);
                    }

                    EnsureRole(openAiChunksOut);
                    break;
                case "content_block_start":
                    OnBlockStart(root, openAiChunksOut);
                    break;
                case "content_block_delta":
                    OnBlockDelta(root, openAiChunksOut);
                    break;
                case "message_delta":
                    OnMessageDelta(root, openAiChunksOut);
                    break;
                case "message_stop":
                    IsComplete = true;
                    break;
                case "error":
                    TryGetObject(root, "error", out var error);
                    Error = new StreamError(
                        StringOr(error, "type", "api_error"), StringOr(error, "message", "The upstream reported an error."));
                    break;
                default:
                    // ping, content_block_stop and event types added later carry nothing for OpenAI clients.
                    break;
            }
        }
    }

    /// <summary>The <c>choices: []</c> usage chunk to send before <c>[DONE]</c>, or null if the client did not ask for it.</summary>
    public string? FinalUsageChunk()
    {
        if (!includeUsageChunk)
        {
            return null;
        }

        var w = _json.Begin();
        WriteEnvelope(w);
        w.WriteStartArray("choices");
        w.WriteEndArray();
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", Usage.PromptTokens);
        w.WriteNumber("completion_tokens", Usage.OutputTokens);
        w.WriteNumber("total_tokens", Usage.TotalTokens);
        w.WriteStartObject("prompt_tokens_details");
        w.WriteNumber("cached_tokens", Usage.CacheReadInputTokens);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
        return _json.End();
    }

    /// <summary>The OpenAI error payload (<c>{"error":{…}}</c>) for <see cref="Error"/>, or null if there was none.</summary>
    public string? ErrorChunk()
    {
        if (Error is null)
        {
            return null;
        }

        var w = _json.Begin();
        w.WriteStartObject();
        w.WriteStartObject("error");
        w.WriteString("message", Error.Message);
        w.WriteString("type", Error.Type);
        w.WriteNull("param");
        w.WriteNull("code");
        w.WriteEndObject();
        w.WriteEndObject();
        return _json.End();
    }

    private void OnBlockStart(JsonElement root, List<string> output)
    {
        if (!TryGetObject(root, "content_block", out var block) || StringOr(block, "type", "") != "tool_use")
        {
            return;
        }

        EnsureRole(output);
        var toolIndex = _toolCount++;
        _toolIndexByBlock[IndexOf(root)] = toolIndex;
        var w = BeginChunk();
        w.WriteStartArray("tool_calls");
        w.WriteStartObject();
        w.WriteNumber("index", toolIndex);
        w.WriteString("id", StringOr(block, "id", ""));
        w.WriteString("type", "function");
        w.WriteStartObject("function");
        w.WriteString("name", StringOr(block, "name", ""));
        // Anthropic streams input as deltas after an empty {}; a non-empty start input is sent whole.
        var hasInput = block.TryGetProperty("input", out var input) && input.ValueKind == JsonValueKind.Object
            && input.EnumerateObject().Any();
        w.WriteString("arguments", hasInput ? input.GetRawText() : "");
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndArray();
        output.Add(EndChunk(w, null));
    }

    private void OnBlockDelta(JsonElement root, List<string> output)
    {
        if (!TryGetObject(root, "delta", out var delta))
        {
            return;
        }

        switch (StringOr(delta, "type", ""))
        {
            case "text_delta" when delta.TryGetProperty("text", out var text) && IsNonEmptyString(text):
            {
                EnsureRole(output);
                var w = BeginChunk();
                w.WritePropertyName("content");
                text.WriteTo(w);
                output.Add(EndChunk(w, null));
                break;
            }
            case "input_json_delta" when delta.TryGetProperty("partial_json", out var json) && IsNonEmptyString(json):
            {
                if (!_toolIndexByBlock.TryGetValue(IndexOf(root), out var toolIndex))
                {
                    return;
                }

                var w = BeginChunk();
                w.WriteStartArray("tool_calls");
                w.WriteStartObject();
                w.WriteNumber("index", toolIndex);
                w.WriteStartObject("function");
                w.WritePropertyName("arguments");
                json.WriteTo(w);
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteEndArray();
                output.Add(EndChunk(w, null));
                break;
            }
            default:
                // thinking_delta, signature_delta and citations_delta have no standard OpenAI field.
                break;
        }
    }

    private void OnMessageDelta(JsonElement root, List<string> output)
    {
        if (TryGetObject(root, "usage", out var usage))
        {
            Usage = MergeUsage(Usage, usage);
        }

        if (FinishReason is not null || !TryGetObject(root, "delta", out var delta)
            || !delta.TryGetProperty("stop_reason", out var stopReason) || stopReason.ValueKind != JsonValueKind.String)
        {
            return;
        }

        EnsureRole(output);
        FinishReason = StopReasons.ToOpenAiFinishReason(stopReason.GetString());
        output.Add(EndChunk(BeginChunk(), FinishReason));
    }

    private void EnsureRole(List<string> output)
    {
        if (_roleSent)
        {
            return;
        }

        _roleSent = true;
        var w = BeginChunk();
        w.WriteString("role", "assistant");
        w.WriteString("content", "");
        output.Add(EndChunk(w, null));
    }

    // Anthropic usage counts are cumulative: a present field replaces the earlier value.
    private static StreamUsage MergeUsage(StreamUsage current, JsonElement usage) => new(
        Int64Or(usage, "input_tokens", current.InputTokens),
        Int64Or(usage, "output_tokens", current.OutputTokens),
        Int64Or(usage, "cache_read_input_tokens", current.CacheReadInputTokens),
        Int64Or(usage, "cache_creation_input_tokens", current.CacheCreationInputTokens));

    private Utf8JsonWriter BeginChunk()
    {
        var w = _json.Begin();
        WriteEnvelope(w);
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        w.WriteStartObject("delta");
        return w;
    }

    private string EndChunk(Utf8JsonWriter w, string? finishReason)
    {
        w.WriteEndObject();
        w.WriteNull("logprobs");
        if (finishReason is null)
        {
            w.WriteNull("finish_reason");
        }
        else
        {
            w.WriteString("finish_reason", finishReason);
        }

        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
        return _json.End();
    }

    private void WriteEnvelope(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("id", requestId);
        w.WriteString("object", "chat.completion.chunk");
        w.WriteNumber("created", createdUnixSeconds);
        w.WriteString("model", modelGroupName);
    }
}
