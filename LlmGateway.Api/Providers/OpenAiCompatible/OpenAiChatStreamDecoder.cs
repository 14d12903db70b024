using System.Text.Json;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Translation;
using static LlmGateway.Api.Contracts.JsonElementRead;

namespace LlmGateway.Api.Providers.OpenAiCompatible;

/// <summary>
/// Reads an OpenAI(-compatible) <c>chat.completion.chunk</c> stream (wire-formats §3) into canonical events: text,
/// refusal, reasoning (<c>reasoning_content</c>/<c>reasoning</c>) and tool-call blocks of choice 0, the finish reason,
/// usage, <c>[DONE]</c> and in-band errors. Stateful: create one per upstream response.
/// </summary>
/// <param name="fallbackIdPrefix">A tool call without an id gets <c>{prefix}{openai index}</c>, e.g. <c>toolu_msg_x_</c>.</param>
public sealed class OpenAiChatStreamDecoder(string fallbackIdPrefix) : IUpstreamStreamDecoder
{
    private bool _started;
    private bool _finished;
    private bool _ended;
    private int _nextIndex;
    private int _openIndex = -1;
    private BlockKind _openKind;
    private int _toolIndex = -1;
    private string? _toolId;

    public void Decode(string eventName, ReadOnlySpan<byte> data, List<ResponseEvent> output)
    {
        if (_ended)
        {
            return;
        }

        if (data.SequenceEqual("[DONE]"u8))
        {
            CloseBlock(output);
            End(ResponseCompleted.Instance, output);
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
            End(new ResponseFailed("api_error", "The upstream sent a chunk that is not valid JSON."), output);
            return;
        }

        using (document)
        {
            OnChunk(document.RootElement, data, output);
        }
    }

    /// <summary>OpenAI's <c>finish_reason</c> in canonical terms; anything unknown is a natural stop.</summary>
    internal static FinishReason FinishReasonOf(string? finishReason) => finishReason switch
    {
        "length" => FinishReason.Length,
        "tool_calls" or "function_call" => FinishReason.ToolCalls,
        "content_filter" => FinishReason.ContentFilter,
        _ => FinishReason.Stop,
    };

    private void OnChunk(JsonElement root, ReadOnlySpan<byte> data, List<ResponseEvent> output)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        if (root.TryGetProperty("error", out var error) && error.ValueKind is JsonValueKind.Object or JsonValueKind.String)
        {
            End(ErrorOf(error), output);
            return;
        }

        if (!_started)
        {
            _started = true;
            output.Add(new ResponseStarted(StringOr(root, "id", "") is { Length: > 0 } id ? id : null,
                StringOr(root, "model", "") is { Length: > 0 } model ? model : null));
        }

        // Usage first: a one-shot chunk's usage is then known before its blocks (and message_start) are written.
        if (TryGetObject(root, "usage", out _) && TokenUsage.TryReadOpenAi(data, out var usage, out _))
        {
            output.Add(new UsageReported(usage));
        }

        // Anything after the finish (content included) is dropped, as the client has seen the end.
        if (!_finished && FirstChoice(root) is { } choice)
        {
            OnChoice(choice, output);
        }
    }

    private static ResponseFailed ErrorOf(JsonElement error) => error.ValueKind == JsonValueKind.String
        ? new ResponseFailed("api_error", error.GetString()!)
        : new ResponseFailed(StringOr(error, "type", "api_error"), StringOr(error, "message", "The upstream reported an error."));

    private static JsonElement? FirstChoice(JsonElement root)
    {
        if (!root.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        foreach (var choice in choices.EnumerateArray())
        {
            // With n > 1 other choices arrive in their own chunks; only choice 0 is the answer.
            if (choice.ValueKind == JsonValueKind.Object && IndexOf(choice) is 0 or -1)
            {
                return choice;
            }
        }

        return null;
    }

    private void OnChoice(JsonElement choice, List<ResponseEvent> output)
    {
        if (TryGetObject(choice, "delta", out var delta))
        {
            // A chunk carrying several kinds is split thinking → text → tool calls (wire-formats §10.5).
            foreach (var name in (ReadOnlySpan<string>)["reasoning_content", "reasoning"])
            {
                if (delta.TryGetProperty(name, out var reasoning) && IsNonEmptyString(reasoning))
                {
                    Append(BlockKind.Reasoning, reasoning.GetString()!, false, output);
                }
            }

            foreach (var name in (ReadOnlySpan<string>)["content", "refusal"])
            {
                if (delta.TryGetProperty(name, out var text) && IsNonEmptyString(text))
                {
                    Append(BlockKind.Text, text.GetString()!, name == "refusal", output);
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
            _finished = true;
            CloseBlock(output);
            output.Add(new ResponseFinished(FinishReasonOf(finish.GetString())));
        }
    }

    private void Append(BlockKind kind, string text, bool refusal, List<ResponseEvent> output)
    {
        if (_openKind != kind || _openIndex < 0)
        {
            OpenBlock(new BlockStarted(_nextIndex, kind) { IsRefusal = refusal }, output);
        }

        output.Add(new BlockDelta(_openIndex, text));
    }

    private void OnToolCallDelta(JsonElement call, List<ResponseEvent> output)
    {
        if (call.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        var index = IndexOf(call) is >= 0 and var i ? i : 0;
        var id = StringOr(call, "id", "");
        TryGetObject(call, "function", out var function);

        // Some servers number every call 0 and tell them apart by id only.
        if (_openIndex < 0 || _openKind != BlockKind.ToolCall || index != _toolIndex || (id.Length > 0 && id != _toolId))
        {
            _toolIndex = index;
            _toolId = id.Length > 0 ? id : fallbackIdPrefix + index.ToString(System.Globalization.CultureInfo.InvariantCulture);
            OpenBlock(new BlockStarted(_nextIndex, BlockKind.ToolCall) { ToolCallId = _toolId, ToolName = StringOr(function, "name", "") }, output);
        }

        if (function.ValueKind == JsonValueKind.Object && function.TryGetProperty("arguments", out var arguments)
            && IsNonEmptyString(arguments))
        {
            output.Add(new BlockDelta(_openIndex, arguments.GetString()!));
        }
    }

    private void OpenBlock(BlockStarted start, List<ResponseEvent> output)
    {
        CloseBlock(output);
        _openIndex = start.Index;
        _openKind = start.Kind;
        _nextIndex++;
        output.Add(start);
    }

    private void CloseBlock(List<ResponseEvent> output)
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
}
