using System.Text.Json;
using LlmGateway.Api.Translation;
using static LlmGateway.Api.Contracts.JsonElementRead;

namespace LlmGateway.Api.Providers.OpenAiResponses;

/// <summary>
/// Reads a Responses API SSE stream into canonical events: message text and refusals, function and custom tool calls,
/// reasoning items (whole at their <c>output_item.done</c>, where the summary and <c>encrypted_content</c> are complete),
/// usage and the end from <c>response.completed</c>/<c>response.incomplete</c>, <c>response.failed</c> and <c>error</c>
/// as in-band errors. Hosted tool items (web search, …) have no canonical form and are skipped. One per response.
/// </summary>
public sealed class OpenAiResponsesStreamDecoder : IUpstreamStreamDecoder
{
    private bool _started;
    private bool _ended;
    private bool _toolCalls;
    private int _nextIndex;
    private int _openIndex = -1;
    private (int Item, int Part) _openKey;
    private bool _openHasDelta;
    private int _lastTextItem = -1;

    public void Decode(string eventName, ReadOnlySpan<byte> data, List<ResponseEvent> output)
    {
        if (_ended)
        {
            return;
        }

        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(data);
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException)
        {
            End(new ResponseFailed("api_error", "The upstream sent an event that is not valid JSON."), output);
            return;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                Decode(eventName.Length > 0 ? eventName : StringOr(root, "type", ""), root, output);
            }
        }
    }

    private void Decode(string type, JsonElement root, List<ResponseEvent> output)
    {
        switch (type)
        {
            case "response.created" or "response.in_progress" or "response.queued":
                Start(root, output);
                break;
            case "response.output_item.added" when TryGetObject(root, "item", out var item):
                Start(root, output);
                OnItemAdded(item, IntOr(root, "output_index"), output);
                break;
            case "response.output_text.delta" or "response.refusal.delta":
                Start(root, output);
                OnText(root, type == "response.refusal.delta", output);
                break;
            case "response.function_call_arguments.delta" or "response.custom_tool_call_input.delta":
                OnArguments(root, output);
                break;
            case "response.output_item.done" when TryGetObject(root, "item", out var item):
                Start(root, output);
                OnItemDone(item, IntOr(root, "output_index"), output);
                break;
            case "response.completed" or "response.incomplete":
                Start(root, output);
                Finish(root, output);
                break;
            case "response.failed":
                TryGetObject(root, "response", out var response);
                TryGetObject(response, "error", out var error);
                End(ErrorOf(error), output);
                break;
            case "error":
                End(ErrorOf(TryGetObject(root, "error", out var nested) ? nested : root), output);
                break;
        }
    }

    private void Start(JsonElement root, List<ResponseEvent> output)
    {
        if (_started)
        {
            return;
        }

        _started = true;
        TryGetObject(root, "response", out var response);
        output.Add(new ResponseStarted(StringOrNull(response, "id"), StringOrNull(response, "model")));
    }

    private void OnItemAdded(JsonElement item, int itemIndex, List<ResponseEvent> output)
    {
        var type = StringOr(item, "type", "");
        if (type is not ("function_call" or "custom_tool_call"))
        {
            return;
        }

        _toolCalls = true;
        Open((itemIndex, -1), new BlockStarted(_nextIndex, BlockKind.ToolCall)
        {
            ToolCallId = StringOr(item, "call_id", StringOr(item, "id", "")),
            ToolName = StringOr(item, "name", ""),
            Freeform = type == "custom_tool_call",
        }, output);
    }

    private void OnText(JsonElement root, bool refusal, List<ResponseEvent> output)
    {
        var key = (IntOr(root, "output_index"), IntOr(root, "content_index"));
        if (_openIndex < 0 || _openKey != key)
        {
            Open(key, new BlockStarted(_nextIndex, BlockKind.Text) { IsRefusal = refusal }, output);
            _lastTextItem = key.Item1;
        }

        if (StringOr(root, "delta", "") is { Length: > 0 } delta)
        {
            output.Add(new BlockDelta(_openIndex, delta));
        }
    }

    private void OnArguments(JsonElement root, List<ResponseEvent> output)
    {
        if (_openIndex >= 0 && _openKey == (IntOr(root, "output_index"), -1) && StringOr(root, "delta", "") is { Length: > 0 } delta)
        {
            _openHasDelta = true;
            output.Add(new BlockDelta(_openIndex, delta));
        }
    }

    private void OnItemDone(JsonElement item, int itemIndex, List<ResponseEvent> output)
    {
        switch (StringOr(item, "type", ""))
        {
            case "function_call" or "custom_tool_call":
                if (_openIndex < 0 || _openKey != (itemIndex, -1))
                {
                    OnItemAdded(item, itemIndex, output); // a server that announced nothing before the whole item
                }

                var arguments = StringOr(item, "arguments", StringOr(item, "input", ""));
                if (!_openHasDelta && arguments.Length > 0)
                {
                    output.Add(new BlockDelta(_openIndex, arguments));
                }

                Close(output);
                break;
            case "message":
                if (_lastTextItem != itemIndex)
                {
                    WholeMessage(item, itemIndex, output);
                }

                Close(output);
                break;
            case "reasoning":
                Reasoning(item, output);
                break;
        }
    }

    /// <summary>A message item whose text came only in its <c>output_item.done</c>.</summary>
    private void WholeMessage(JsonElement item, int itemIndex, List<ResponseEvent> output)
    {
        var part = OpenAiResponsesBodyDecoder.MessageParts(item);
        for (var k = 0; k < part.Count; k++)
        {
            var text = (TextPart)part[k];
            Open((itemIndex, k), new BlockStarted(_nextIndex, BlockKind.Text) { IsRefusal = text.IsRefusal }, output);
            if (text.Text.Length > 0)
            {
                output.Add(new BlockDelta(_openIndex, text.Text));
            }
        }
    }

    private void Reasoning(JsonElement item, List<ResponseEvent> output)
    {
        var reasoning = OpenAiResponsesBodyDecoder.ReasoningOf(item);
        Open((-1, -1), new BlockStarted(_nextIndex, BlockKind.Reasoning)
        {
            ReasoningId = reasoning.Id, EncryptedContent = reasoning.EncryptedContent,
        }, output);
        if (reasoning.Text.Length > 0)
        {
            output.Add(new BlockDelta(_openIndex, reasoning.Text));
        }

        Close(output);
    }

    private void Finish(JsonElement root, List<ResponseEvent> output)
    {
        Close(output);
        TryGetObject(root, "response", out var response);
        if (OpenAiResponsesUsage.Of(response) is { } usage)
        {
            output.Add(new UsageReported(usage));
        }

        output.Add(new ResponseFinished(OpenAiResponsesBodyDecoder.FinishOf(response, _toolCalls)));
        End(ResponseCompleted.Instance, output);
    }

    private void Open((int, int) key, BlockStarted start, List<ResponseEvent> output)
    {
        Close(output);
        _openIndex = start.Index;
        _openKey = key;
        _openHasDelta = false;
        _nextIndex++;
        output.Add(start);
    }

    private void Close(List<ResponseEvent> output)
    {
        if (_openIndex < 0)
        {
            return;
        }

        output.Add(new BlockStopped(_openIndex));
        _openIndex = -1;
    }

    private void End(ResponseEvent last, List<ResponseEvent> output)
    {
        output.Add(last);
        _ended = true;
    }

    private static ResponseFailed ErrorOf(JsonElement error) => new(
        StringOrNull(error, "code") ?? StringOrNull(error, "type") ?? "api_error",
        StringOr(error, "message", "The upstream reported an error."));

    private static int IntOr(JsonElement element, string name) => (int)Int64Or(element, name, -1);

    private static string? StringOrNull(JsonElement element, string name) => StringOr(element, name, "") is { Length: > 0 } value ? value : null;
}
