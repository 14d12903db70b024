using System.Buffers;
using System.Text.Json;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Streaming;
using LlmGateway.Api.Translation;
using static LlmGateway.Api.ClientApis.ChatCompletions.ChatCompletionsUsageWriter;

namespace LlmGateway.Api.ClientApis.Completions;

/// <summary>
/// Writes canonical events as legacy <c>text_completion</c> chunks: one per text delta, one with the finish reason,
/// the usage chunk if asked (<c>stream_options.include_usage</c>), <c>[DONE]</c>. Reasoning and tool calls have no field
/// in this format and are left out. Stateful: one per response.
/// </summary>
public sealed class CompletionsStreamEncoder(ResponseIdentity identity, StreamEncoderOptions options) : IClientStreamEncoder
{
    private readonly ArrayBufferWriter<byte> _buffer = new(256);
    private readonly Utf8JsonWriter _writer = new(Stream.Null, TranslationJson.WriterOptions);
    private readonly HashSet<int> _textBlocks = [];
    private TokenUsage _usage;
    private bool _finished;
    private bool _ended;

    public void Write(ResponseEvent @event, SseWriter output)
    {
        if (_ended)
        {
            return;
        }

        switch (@event)
        {
            case BlockStarted { Kind: BlockKind.Text } text:
                _textBlocks.Add(text.Index);
                break;
            case BlockDelta { Text.Length: > 0 } delta when _textBlocks.Contains(delta.Index):
                Chunk(delta.Text, null, output);
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
        }
    }

    private void Finish(string reason, SseWriter output)
    {
        if (!_finished)
        {
            _finished = true;
            Chunk("", reason, output);
        }
    }

    private void Complete(SseWriter output)
    {
        Finish("stop", output);
        if (options.IncludeUsage)
        {
            WriteUsageChunk(Begin(), identity, "text_completion", _usage, options.CostOf?.Invoke(_usage));
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

    private void Chunk(string text, string? finishReason, SseWriter output)
    {
        var w = Begin();
        WriteEnvelope(w, identity, "text_completion");
        w.WriteStartArray("choices");
        CompletionsBodyEncoder.WriteChoice(w, text, finishReason);
        w.WriteEndArray();
        w.WriteEndObject();
        Send(output);
    }

    private Utf8JsonWriter Begin()
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        return _writer;
    }

    private void Send(SseWriter output)
    {
        _writer.Flush();
        output.Data(_buffer.WrittenSpan);
    }
}
