using System.Text.Json;
using LlmGateway.Api.Contracts;
using static LlmGateway.Api.Contracts.JsonElementRead;

namespace LlmGateway.Api.Messages;

/// <summary>
/// Turns an OpenAI(-compatible) chunk stream into Anthropic's SSE event sequence (wire-formats §10.5):
/// <c>message_start</c>, blocks (<c>content_block_start/delta/stop</c>), <c>message_delta</c>, <c>message_stop</c>.
/// Stateful: create one per upstream response.
/// </summary>
/// <param name="modelGroupName">The model the client asked for; <c>message.model</c>.</param>
/// <param name="messageId">The <c>msg_…</c> id of the message.</param>
public sealed class MessagesStreamMapper(string modelGroupName, string messageId)
{
    private enum BlockKind { None, Text, ToolUse }

    private readonly ReusableJsonWriter _json = new();
    private int _blockIndex = -1;
    private BlockKind _openBlock;
    private int _toolIndex = -1;
    private string? _toolId;
    private string? _stopReason;
    private bool _hasUsage;
    private bool _started;

    /// <summary>Token counts from the upstream's usage chunk, in Anthropic's terms.</summary>
    public StreamUsage Usage { get; private set; }

    /// <summary>Set when the upstream reported an error in-band or <see cref="Fail"/> was called.</summary>
    public StreamError? Error { get; private set; }

    /// <summary><c>message_stop</c> (or an <c>error</c> event) was emitted; later chunks are ignored.</summary>
    public bool IsComplete { get; private set; }

    /// <summary>Translates one upstream <c>data:</c> payload (not <c>[DONE]</c>) into zero or more Anthropic events.</summary>
    public void OnChunk(ReadOnlySpan<byte> openAiChunkJson, List<(string Event, string Data)> anthropicEventsOut)
    {
        if (IsComplete)
        {
            return;
        }

        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(openAiChunkJson);
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException)
        {
            Fail(new StreamError("api_error", "The upstream sent a chunk that is not valid JSON."), anthropicEventsOut);
            return;
        }

        using (document)
        {
            OnChunk(document.RootElement, anthropicEventsOut);
        }
    }

    /// <summary>Ends the message at upstream <c>[DONE]</c> or end of stream; does nothing if already complete.</summary>
    public void Complete(List<(string Event, string Data)> anthropicEventsOut)
    {
        if (!IsComplete)
        {
            Finish(anthropicEventsOut);
        }
    }

    /// <summary>Ends the stream with an Anthropic <c>error</c> event, e.g. when the upstream failed mid-stream.</summary>
    public void Fail(StreamError error, List<(string Event, string Data)> anthropicEventsOut)
    {
        if (IsComplete)
        {
            return;
        }

        Error = error;
        EnsureStarted(anthropicEventsOut);
        var w = _json.Begin();
        w.WriteStartObject();
        w.WriteString("type", "error");
        w.WriteStartObject("error");
        w.WriteString("type", error.Type);
        w.WriteString("message", error.Message);
        w.WriteEndObject();
        w.WriteEndObject();
        anthropicEventsOut.Add(("error", _json.End()));
        IsComplete = true;
    }

    private void OnChunk(JsonElement root, List<(string Event, string Data)> output)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        if (TryGetObject(root, "error", out var error))
        {
            Fail(new StreamError(StringOr(error, "type", "api_error"), StringOr(error, "message", "The upstream reported an error.")), output);
            return;
        }

        if (TryGetObject(root, "usage", out var usage))
        {
            var prompt = Int64Or(usage, "prompt_tokens", 0);
            var cached = TryGetObject(usage, "prompt_tokens_details", out var details) ? Int64Or(details, "cached_tokens", 0) : 0;
            Usage = new StreamUsage(Math.Max(0, prompt - cached), Int64Or(usage, "completion_tokens", 0), cached, 0);
            _hasUsage = true;
        }

        EnsureStarted(output);
        if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0)
        {
            OnChoice(choices[0], output);
        }

        // OpenAI sends usage after the finish chunk; hold message_delta until it arrives (or Complete).
        if (_stopReason is not null && _hasUsage)
        {
            Finish(output);
        }
    }

    private void OnChoice(JsonElement choice, List<(string Event, string Data)> output)
    {
        if (TryGetObject(choice, "delta", out var delta))
        {
            // A refusal is text the client should see, like content.
            foreach (var name in (ReadOnlySpan<string>)["content", "refusal"])
            {
                if (delta.TryGetProperty(name, out var text) && IsNonEmptyString(text))
                {
                    OpenBlock(BlockKind.Text, null, null, output);
                    WriteDelta("text_delta", "text", text, output);
                }
            }

            if (delta.TryGetProperty("tool_calls", out var toolCalls) && toolCalls.ValueKind == JsonValueKind.Array)
            {
                foreach (var call in toolCalls.EnumerateArray())
                {
                    OnToolCallDelta(call, output);
                }
            }
        }

        if (choice.TryGetProperty("finish_reason", out var finish) && finish.ValueKind == JsonValueKind.String)
        {
            _stopReason = StopReasons.ToAnthropicStopReason(finish.GetString());
            CloseBlock(output);
        }
    }

    private void OnToolCallDelta(JsonElement call, List<(string Event, string Data)> output)
    {
        if (call.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        var index = IndexOf(call) is >= 0 and var i ? i : 0;
        var id = StringOr(call, "id", "");
        TryGetObject(call, "function", out var function);

        // Some servers number every call 0 and tell them apart by id only.
        if (_openBlock != BlockKind.ToolUse || index != _toolIndex || (id.Length > 0 && id != _toolId))
        {
            _toolIndex = index;
            _toolId = id.Length > 0 ? id : $"toolu_{messageId}_{index}";
            OpenBlock(BlockKind.ToolUse, _toolId, StringOr(function, "name", ""), output);
        }

        if (function.ValueKind == JsonValueKind.Object && function.TryGetProperty("arguments", out var arguments)
            && IsNonEmptyString(arguments))
        {
            WriteDelta("input_json_delta", "partial_json", arguments, output);
        }
    }

    private void OpenBlock(BlockKind kind, string? toolId, string? toolName, List<(string Event, string Data)> output)
    {
        if (_openBlock == kind && kind == BlockKind.Text)
        {
            return;
        }

        CloseBlock(output);
        _openBlock = kind;
        _blockIndex++;
        var w = _json.Begin();
        w.WriteStartObject();
        w.WriteString("type", "content_block_start");
        w.WriteNumber("index", _blockIndex);
        w.WriteStartObject("content_block");
        if (kind == BlockKind.Text)
        {
            w.WriteString("type", "text");
            w.WriteString("text", "");
        }
        else
        {
            w.WriteString("type", "tool_use");
            w.WriteString("id", toolId);
            w.WriteString("name", toolName);
            w.WriteStartObject("input");
            w.WriteEndObject();
            // Anthropic sends it on every tool_use block; Anthropic's SDKs refuse a block without it.
            w.WriteStartObject("caller");
            w.WriteString("type", "direct");
            w.WriteEndObject();
        }

        w.WriteEndObject();
        w.WriteEndObject();
        output.Add(("content_block_start", _json.End()));
    }

    private void WriteDelta(string deltaType, string field, JsonElement value, List<(string Event, string Data)> output)
    {
        var w = _json.Begin();
        w.WriteStartObject();
        w.WriteString("type", "content_block_delta");
        w.WriteNumber("index", _blockIndex);
        w.WriteStartObject("delta");
        w.WriteString("type", deltaType);
        w.WritePropertyName(field);
        value.WriteTo(w);
        w.WriteEndObject();
        w.WriteEndObject();
        output.Add(("content_block_delta", _json.End()));
    }

    private void CloseBlock(List<(string Event, string Data)> output)
    {
        if (_openBlock == BlockKind.None)
        {
            return;
        }

        _openBlock = BlockKind.None;
        var w = _json.Begin();
        w.WriteStartObject();
        w.WriteString("type", "content_block_stop");
        w.WriteNumber("index", _blockIndex);
        w.WriteEndObject();
        output.Add(("content_block_stop", _json.End()));
    }

    private void EnsureStarted(List<(string Event, string Data)> output)
    {
        if (_started)
        {
            return;
        }

        _started = true;
        var w = _json.Begin();
        w.WriteStartObject();
        w.WriteString("type", "message_start");
        w.WriteStartObject("message");
        w.WriteString("id", messageId);
        w.WriteString("type", "message");
        w.WriteString("role", "assistant");
        w.WriteString("model", modelGroupName);
        w.WriteStartArray("content");
        w.WriteEndArray();
        w.WriteNull("stop_reason");
        w.WriteNull("stop_sequence");
        WriteUsage(w);
        w.WriteEndObject();
        w.WriteEndObject();
        output.Add(("message_start", _json.End()));
    }

    private void Finish(List<(string Event, string Data)> output)
    {
        EnsureStarted(output);
        CloseBlock(output);
        var w = _json.Begin();
        w.WriteStartObject();
        w.WriteString("type", "message_delta");
        w.WriteStartObject("delta");
        w.WriteString("stop_reason", _stopReason ?? "end_turn");
        w.WriteNull("stop_sequence");
        w.WriteEndObject();
        WriteUsage(w);
        w.WriteEndObject();
        output.Add(("message_delta", _json.End()));
        output.Add(("message_stop", """{"type":"message_stop"}"""));
        IsComplete = true;
    }

    private void WriteUsage(Utf8JsonWriter w)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("input_tokens", Usage.InputTokens);
        w.WriteNumber("output_tokens", Usage.OutputTokens);
        w.WriteNumber("cache_creation_input_tokens", Usage.CacheCreationInputTokens);
        w.WriteNumber("cache_read_input_tokens", Usage.CacheReadInputTokens);
        w.WriteEndObject();
    }
}
