using System.Buffers;
using System.Text.Json;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Streaming;
using LlmGateway.Api.Translation;
using static LlmGateway.Api.ClientApis.ChatCompletions.ChatCompletionsUsageWriter;

namespace LlmGateway.Api.ClientApis.ChatCompletions;

/// <summary>
/// Writes canonical <see cref="ResponseEvent"/>s as OpenAI <c>chat.completion.chunk</c>s (wire-formats §3, §10.4):
/// the role chunk, content/refusal/reasoning_content deltas, tool calls numbered 0,1,2… in order, one finish chunk,
/// the usage chunk if asked, <c>[DONE]</c>. Stateful: create one per response.
/// </summary>
public sealed class ChatCompletionsStreamEncoder(ResponseIdentity identity, StreamEncoderOptions options) : IClientStreamEncoder
{
    // One buffer and writer for every chunk of the stream.
    private readonly ArrayBufferWriter<byte> _buffer = new(512);
    private readonly Utf8JsonWriter _writer = new(Stream.Null, TranslationJson.WriterOptions);
    private readonly Dictionary<int, Block> _blocks = [];
    private TokenUsage _usage;
    private int _toolCount;
    private bool _roleSent;
    private bool _finished;
    private bool _ended;

    public void Write(ResponseEvent @event, SseWriter output)
    {
        if (_ended)
        {
            return; // after [DONE] or an error the client reads nothing more
        }

        switch (@event)
        {
            case ResponseStarted:
                EnsureRole(output);
                break;
            case BlockStarted started:
                Open(started, output);
                break;
            case BlockDelta { Text.Length: > 0 } delta when _blocks.TryGetValue(delta.Index, out var block):
                WriteDelta(block, delta.Text, output);
                break;
            case UsageReported reported:
                _usage = reported.Usage;
                break;
            case ResponseFinished finished:
                Finish(FinishReasonOf(finished.Reason), output);
                break;
            case ResponseCompleted:
                Complete(output);
                break;
            case ResponseFailed failed:
                Fail(failed, output);
                break;
            default:
                // Signatures and block stops have no chat field.
                break;
        }
    }

    private void Open(BlockStarted started, SseWriter output)
    {
        var block = new Block(started.Kind, started.IsRefusal, started.Freeform, started.Kind == BlockKind.ToolCall ? _toolCount++ : -1);
        _blocks[started.Index] = block;
        if (started.Kind != BlockKind.ToolCall)
        {
            return;
        }

        EnsureRole(output);
        var w = BeginChunk();
        WriteToolCall(w, block, started.ToolCallId ?? "", started.ToolName ?? "", "");
        EndChunk(w, null, output);
    }

    private void WriteDelta(Block block, string text, SseWriter output)
    {
        EnsureRole(output);
        var w = BeginChunk();
        switch (block.Kind)
        {
            case BlockKind.ToolCall:
                WriteToolCall(w, block, null, null, text);
                break;
            case BlockKind.Reasoning:
                w.WriteString("reasoning_content", text);
                break;
            default:
                w.WriteString(block.IsRefusal ? "refusal" : "content", text);
                break;
        }

        EndChunk(w, null, output);
    }

    /// <summary>A call's first fragment carries its id, type and name; later ones only its index and more arguments.</summary>
    private static void WriteToolCall(Utf8JsonWriter w, Block block, string? id, string? name, string arguments)
    {
        w.WriteStartArray("tool_calls");
        w.WriteStartObject();
        w.WriteNumber("index", block.ToolIndex);
        if (id is not null)
        {
            w.WriteString("id", id);
            w.WriteString("type", block.Freeform ? "custom" : "function");
        }

        w.WriteStartObject(block.Freeform ? "custom" : "function");
        if (name is not null)
        {
            w.WriteString("name", name);
        }

        w.WriteString(block.Freeform ? "input" : "arguments", arguments);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndArray();
    }

    private void EnsureRole(SseWriter output)
    {
        if (_roleSent)
        {
            return;
        }

        _roleSent = true;
        var w = BeginChunk();
        w.WriteString("role", "assistant");
        w.WriteString("content", "");
        EndChunk(w, null, output);
    }

    private void Finish(string finishReason, SseWriter output)
    {
        if (_finished)
        {
            return;
        }

        EnsureRole(output);
        _finished = true;
        EndChunk(BeginChunk(), finishReason, output);
    }

    private void Complete(SseWriter output)
    {
        Finish("stop", output); // a stream that never said why it stopped ended naturally
        if (options.IncludeUsage)
        {
            WriteUsageChunk(Begin(), identity, "chat.completion.chunk", _usage, options.CostOf?.Invoke(_usage));
            Send(output);
        }

        output.Done();
        _ended = true;
    }

    private void Fail(ResponseFailed failed, SseWriter output)
    {
        WriteError(Begin(), failed);
        Send(output);
        output.Done();
        _ended = true;
    }

    private Utf8JsonWriter Begin()
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        return _writer;
    }

    private Utf8JsonWriter BeginChunk()
    {
        var w = Begin();
        WriteEnvelope(w, identity, "chat.completion.chunk");
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        w.WriteStartObject("delta");
        return w;
    }

    private void EndChunk(Utf8JsonWriter w, string? finishReason, SseWriter output)
    {
        w.WriteEndObject();
        w.WriteNull("logprobs");
        w.WriteString("finish_reason", finishReason); // null until the finish chunk
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
        Send(output);
    }

    private void Send(SseWriter output)
    {
        _writer.Flush();
        output.Data(_buffer.WrittenSpan);
    }

    /// <summary>An open block as the client sees it: a tool call's <see cref="ToolIndex"/> counts tool calls only.</summary>
    private readonly record struct Block(BlockKind Kind, bool IsRefusal, bool Freeform, int ToolIndex);
}
