using System.Buffers;
using System.Text.Json;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Streaming;
using LlmGateway.Api.Translation;
using static LlmGateway.Api.ClientApis.Messages.MessagesUsageWriter;

namespace LlmGateway.Api.ClientApis.Messages;

/// <summary>
/// Writes an answer as Anthropic's Messages stream (wire-formats §8): one <c>message_start</c>, then each block as
/// <c>content_block_start</c>/<c>_delta</c>/<c>_stop</c> (one open at a time), then <c>message_delta</c> with the stop
/// reason and usage and <c>message_stop</c> at the end; or an <c>error</c> event. One per response.
/// </summary>
/// <param name="identity">The gateway's message id (<c>msg_…</c>) and the model the client asked for.</param>
public sealed class MessagesStreamEncoder(ResponseIdentity identity) : IClientStreamEncoder
{
    private enum OpenBlock { None, Text, ToolUse, Thinking, RedactedThinking }

    private readonly ArrayBufferWriter<byte> _buffer = new(512);
    private Utf8JsonWriter? _json;
    private TokenUsage _usage;
    private string? _stopReason;
    private string? _stopSequence;
    private bool _started;
    private bool _ended;
    private OpenBlock _open;
    private int _openIndex = -1;
    private int _clientIndex = -1;

    public void Write(ResponseEvent @event, SseWriter output)
    {
        if (_ended)
        {
            return;
        }

        switch (@event)
        {
            // message_start waits for the first block (or the end) so that usage reported with the start is in it.
            case ResponseStarted:
                break;
            case UsageReported usage:
                _usage = usage.Usage;
                break;
            case BlockStarted start:
                EnsureStarted(output);
                CloseBlock(output);
                StartBlock(start, output);
                break;
            case BlockDelta delta when delta.Index == _openIndex:
                WriteDelta(delta.Text, output);
                break;
            case ReasoningSignature signature when signature.Index == _openIndex && _open == OpenBlock.Thinking:
                WriteDelta("signature_delta", "signature", signature.Signature, output);
                break;
            case BlockStopped stop when stop.Index == _openIndex:
                CloseBlock(output);
                break;
            case ResponseFinished finished:
                _stopReason = StopReason(finished.Reason);
                _stopSequence = finished.Reason == FinishReason.StopSequence ? finished.StopSequence : null;
                break;
            case ResponseCompleted:
                Finish(output);
                break;
            case ResponseFailed failed:
                Fail(failed, output);
                break;
        }
    }

    private Utf8JsonWriter Begin(string type)
    {
        _buffer.ResetWrittenCount();
        var w = _json ??= new Utf8JsonWriter(_buffer, TranslationJson.WriterOptions);
        w.Reset(_buffer);
        w.WriteStartObject();
        w.WriteString("type", type);
        return w;
    }

    private void Emit(string name, SseWriter output)
    {
        _json!.WriteEndObject();
        _json.Flush();
        output.Event(name, _buffer.WrittenSpan);
    }

    private void EnsureStarted(SseWriter output)
    {
        if (_started)
        {
            return;
        }

        _started = true;
        var w = Begin("message_start");
        w.WriteStartObject("message");
        WriteEnvelope(w, identity);
        w.WriteStartArray("content");
        w.WriteEndArray();
        w.WriteNull("stop_reason");
        w.WriteNull("stop_sequence");
        WriteUsage(w, _usage);
        w.WriteEndObject();
        Emit("message_start", output);
    }

    private void StartBlock(BlockStarted start, SseWriter output)
    {
        _openIndex = start.Index;
        _clientIndex++;
        var w = Begin("content_block_start");
        w.WriteNumber("index", _clientIndex);
        w.WriteStartObject("content_block");
        switch (start.Kind)
        {
            case BlockKind.ToolCall:
                _open = OpenBlock.ToolUse;
                WriteToolUseHead(w, start.ToolCallId ?? "", start.ToolName ?? "");
                w.WriteStartObject("input");
                w.WriteEndObject();
                WriteCaller(w);
                break;
            case BlockKind.Reasoning:
                _open = start.RedactedData is null ? OpenBlock.Thinking : OpenBlock.RedactedThinking;
                WriteThinking(w, start.RedactedData, "", "");
                break;
            default:
                _open = OpenBlock.Text;
                w.WriteString("type", "text");
                w.WriteString("text", "");
                break;
        }

        w.WriteEndObject();
        Emit("content_block_start", output);
    }

    private void WriteDelta(string text, SseWriter output)
    {
        switch (_open)
        {
            case OpenBlock.Text:
                WriteDelta("text_delta", "text", text, output);
                break;
            case OpenBlock.ToolUse:
                WriteDelta("input_json_delta", "partial_json", text, output);
                break;
            case OpenBlock.Thinking:
                WriteDelta("thinking_delta", "thinking", text, output);
                break;
        }
    }

    private void WriteDelta(string deltaType, string field, string value, SseWriter output)
    {
        var w = Begin("content_block_delta");
        w.WriteNumber("index", _clientIndex);
        w.WriteStartObject("delta");
        w.WriteString("type", deltaType);
        w.WriteString(field, value);
        w.WriteEndObject();
        Emit("content_block_delta", output);
    }

    private void CloseBlock(SseWriter output)
    {
        if (_open == OpenBlock.None)
        {
            return;
        }

        _open = OpenBlock.None;
        _openIndex = -1;
        var w = Begin("content_block_stop");
        w.WriteNumber("index", _clientIndex);
        Emit("content_block_stop", output);
    }

    private void Finish(SseWriter output)
    {
        EnsureStarted(output);
        CloseBlock(output);
        var w = Begin("message_delta");
        w.WriteStartObject("delta");
        w.WriteString("stop_reason", _stopReason ?? "end_turn");
        if (_stopSequence is null)
        {
            w.WriteNull("stop_sequence");
        }
        else
        {
            w.WriteString("stop_sequence", _stopSequence);
        }

        w.WriteEndObject();
        WriteUsage(w, _usage);
        Emit("message_delta", output);
        Begin("message_stop");
        Emit("message_stop", output);
        _ended = true;
    }

    private void Fail(ResponseFailed failed, SseWriter output)
    {
        EnsureStarted(output);
        var w = Begin("error");
        w.WriteStartObject("error");
        w.WriteString("type", failed.Type);
        w.WriteString("message", failed.Message);
        w.WriteEndObject();
        Emit("error", output);
        _ended = true;
    }
}
