using System.Buffers;
using System.Text.Json;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Streaming;
using LlmGateway.Api.Translation;
using static LlmGateway.Api.ClientApis.Responses.ResponseObjectWriter;

namespace LlmGateway.Api.ClientApis.Responses;

/// <summary>
/// Writes an answer as OpenAI's Responses stream: <c>response.created</c>, <c>response.in_progress</c>, each output item
/// as <c>output_item.added</c> … deltas … <c>output_item.done</c>, then <c>response.completed</c> /
/// <c>response.incomplete</c>; a failure is an <c>error</c> event then <c>response.failed</c>. Every event carries
/// <c>type</c> (equal to its SSE name) and <c>sequence_number</c>. One per response.
/// </summary>
public sealed class ResponsesStreamEncoder(ResponseIdentity identity) : IClientStreamEncoder
{
    private readonly ArrayBufferWriter<byte> _buffer = new(512);
    private readonly Utf8JsonWriter _writer = new(Stream.Null, TranslationJson.WriterOptions);
    private readonly ResponseFolder _folder = new();
    private readonly Dictionary<int, Item> _items = [];
    private int _sequence;
    private int _closed;
    private bool _started;
    private bool _ended;

    public void Write(ResponseEvent @event, SseWriter output)
    {
        if (_ended)
        {
            return;
        }

        _folder.Add(@event);
        switch (@event)
        {
            case ResponseStarted:
                EnsureStarted(output);
                break;
            case BlockStarted started:
                Open(started, output);
                break;
            case BlockDelta { Text.Length: > 0 } delta when _items.TryGetValue(delta.Index, out var item):
                Delta(item, delta.Text, output);
                break;
            case BlockStopped stopped when _items.Remove(stopped.Index, out var item):
                Close(item, output);
                break;
            case ResponseCompleted:
                Complete(output);
                break;
            case ResponseFailed failed:
                Fail(failed, output);
                break;
            default:
                break; // usage, finish and signatures are folded, written with the item or the terminal event
        }
    }

    private void EnsureStarted(SseWriter output)
    {
        if (_started)
        {
            return;
        }

        _started = true;
        foreach (var name in (string[])["response.created", "response.in_progress"])
        {
            var w = Begin(name);
            w.WritePropertyName("response");
            WriteResponse(w, identity, "in_progress", null);
            Send(name, output);
        }
    }

    private void Open(BlockStarted started, SseWriter output)
    {
        EnsureStarted(output);
        var outputIndex = _items.Count + _closed;
        ContentPart part = started.Kind switch
        {
            BlockKind.ToolCall => new ToolCallPart(started.ToolCallId ?? "", started.ToolName ?? "", "") { Freeform = started.Freeform },
            BlockKind.Reasoning => new ReasoningPart(""),
            _ => new TextPart("") { IsRefusal = started.IsRefusal },
        };
        var item = new Item(started.Index, outputIndex, ItemId(part, identity, outputIndex), part);
        _items[started.Index] = item;
        var w = Begin("response.output_item.added");
        w.WriteNumber("output_index", outputIndex);
        w.WritePropertyName("item");
        WriteItem(w, part, item.Id, "in_progress");
        Send("response.output_item.added", output);
        if (part is TextPart text)
        {
            w = BeginPart("response.content_part.added", item);
            w.WritePropertyName("part");
            WriteContentPart(w, text.IsRefusal, "");
            Send("response.content_part.added", output);
        }
    }

    private void Delta(Item item, string text, SseWriter output)
    {
        string name;
        Utf8JsonWriter w;
        switch (item.Part)
        {
            case ToolCallPart call:
                name = call.Freeform ? "response.custom_tool_call_input.delta" : "response.function_call_arguments.delta";
                w = BeginItem(name, item);
                break;
            case ReasoningPart:
                if (!item.SummaryOpen)
                {
                    item.SummaryOpen = true;
                    w = BeginSummary("response.reasoning_summary_part.added", item);
                    w.WritePropertyName("part");
                    WriteSummaryPart(w, "");
                    Send("response.reasoning_summary_part.added", output);
                }

                name = "response.reasoning_summary_text.delta";
                w = BeginSummary(name, item);
                break;
            default:
                name = ((TextPart)item.Part).IsRefusal ? "response.refusal.delta" : "response.output_text.delta";
                w = BeginPart(name, item);
                break;
        }

        w.WriteString("delta", text);
        if (name == "response.output_text.delta")
        {
            w.WriteStartArray("logprobs");
            w.WriteEndArray();
        }

        Send(name, output);
    }

    private void Close(Item item, SseWriter output)
    {
        _closed++;
        var part = _folder.Result.Content.ElementAtOrDefault(item.OutputIndex) ?? item.Part;
        switch (part)
        {
            case ToolCallPart call:
                var args = BeginItem(call.Freeform ? "response.custom_tool_call_input.done" : "response.function_call_arguments.done", item);
                if (!call.Freeform)
                {
                    args.WriteString("name", call.Name);
                }

                args.WriteString(call.Freeform ? "input" : "arguments", call.Arguments.Length > 0 || call.Freeform ? call.Arguments : "{}");
                Send(call.Freeform ? "response.custom_tool_call_input.done" : "response.function_call_arguments.done", output);
                break;
            case ReasoningPart reasoning when item.SummaryOpen:
                var summary = BeginSummary("response.reasoning_summary_text.done", item);
                summary.WriteString("text", reasoning.Text);
                Send("response.reasoning_summary_text.done", output);
                summary = BeginSummary("response.reasoning_summary_part.done", item);
                summary.WritePropertyName("part");
                WriteSummaryPart(summary, reasoning.Text);
                Send("response.reasoning_summary_part.done", output);
                break;
            case TextPart text:
                var name = text.IsRefusal ? "response.refusal.done" : "response.output_text.done";
                var done = BeginPart(name, item);
                done.WriteString(text.IsRefusal ? "refusal" : "text", text.Text);
                Send(name, output);
                done = BeginPart("response.content_part.done", item);
                done.WritePropertyName("part");
                WriteContentPart(done, text.IsRefusal, text.Text);
                Send("response.content_part.done", output);
                break;
        }

        var w = Begin("response.output_item.done");
        w.WriteNumber("output_index", item.OutputIndex);
        w.WritePropertyName("item");
        WriteItem(w, part, item.Id, "completed");
        Send("response.output_item.done", output);
    }

    private void Complete(SseWriter output)
    {
        EnsureStarted(output);
        foreach (var item in _items.Values.OrderBy(i => i.OutputIndex).ToList())
        {
            _items.Remove(item.BlockIndex);
            Close(item, output);
        }

        var answer = _folder.Result;
        var (status, _) = StatusOf(answer.Finish);
        var name = status == "incomplete" ? "response.incomplete" : "response.completed";
        var w = Begin(name);
        w.WritePropertyName("response");
        WriteResponse(w, identity, status, answer);
        Send(name, output);
        _ended = true;
    }

    /// <summary>After the first byte a failure is said twice: OpenAI's in-band <c>error</c>, then the terminal <c>response.failed</c>.</summary>
    private void Fail(ResponseFailed failed, SseWriter output)
    {
        var w = Begin("error");
        w.WriteString("code", failed.Type);
        w.WriteString("message", failed.Message);
        w.WriteNull("param");
        Send("error", output);
        if (_started)
        {
            w = Begin("response.failed");
            w.WritePropertyName("response");
            WriteResponse(w, identity, "failed", _folder.Result, failed);
            Send("response.failed", output);
        }

        _ended = true;
    }

    private Utf8JsonWriter Begin(string type)
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        _writer.WriteStartObject();
        _writer.WriteString("type", type);
        _writer.WriteNumber("sequence_number", _sequence++);
        return _writer;
    }

    private Utf8JsonWriter BeginItem(string type, Item item)
    {
        var w = Begin(type);
        w.WriteString("item_id", item.Id);
        w.WriteNumber("output_index", item.OutputIndex);
        return w;
    }

    private Utf8JsonWriter BeginPart(string type, Item item)
    {
        var w = BeginItem(type, item);
        w.WriteNumber("content_index", 0);
        return w;
    }

    private Utf8JsonWriter BeginSummary(string type, Item item)
    {
        var w = BeginItem(type, item);
        w.WriteNumber("summary_index", 0);
        return w;
    }

    private void Send(string name, SseWriter output)
    {
        _writer.WriteEndObject();
        _writer.Flush();
        output.Event(name, _buffer.WrittenSpan);
    }

    /// <summary>An open output item: where it is in <c>output</c>, its id, its kind.</summary>
    private sealed record Item(int BlockIndex, int OutputIndex, string Id, ContentPart Part)
    {
        public bool SummaryOpen { get; set; }
    }
}
