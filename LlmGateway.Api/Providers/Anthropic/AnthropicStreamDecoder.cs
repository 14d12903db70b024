using System.Text.Json;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Translation;
using static LlmGateway.Api.Contracts.JsonElementRead;
using static LlmGateway.Api.Providers.Anthropic.AnthropicBodyDecoder;

namespace LlmGateway.Api.Providers.Anthropic;

/// <summary>
/// Reads one Anthropic SSE stream (wire-formats §8) into canonical <see cref="ResponseEvent"/>s.
/// Stateful: create one per upstream response. Canonical block indexes are Anthropic's own.
/// </summary>
public sealed class AnthropicStreamDecoder : IUpstreamStreamDecoder
{
    private static readonly ResponseFailed NotJson = new("api_error", "The upstream sent an event that is not valid JSON.");

    // A null kind marks a block with no canonical form (server tools): its deltas and stop are dropped.
    private readonly Dictionary<int, BlockKind?> _blocks = [];
    private TokenUsage? _usage;

    public void Decode(string eventName, ReadOnlySpan<byte> data, List<ResponseEvent> output)
    {
        using var document = Parse(data);
        if (document is null)
        {
            output.Add(NotJson);
            return;
        }

        var root = document.RootElement;
        if (root.ValueKind == JsonValueKind.Object)
        {
            Decode(string.IsNullOrEmpty(eventName) ? StringOr(root, "type", "") : eventName, root, data, output);
        }
    }

    private void Decode(string eventName, JsonElement root, ReadOnlySpan<byte> data, List<ResponseEvent> output)
    {
        switch (eventName)
        {
            case "message_start":
                TryGetObject(root, "message", out var message);
                output.Add(new ResponseStarted(StringOrNull(message, "id"), StringOrNull(message, "model")));
                ReportUsage(data, output);
                break;
            case "content_block_start":
                OnBlockStart(root, output);
                break;
            case "content_block_delta":
                OnBlockDelta(root, output);
                break;
            case "content_block_stop" when _blocks.TryGetValue(IndexOf(root), out var kind) && kind is not null:
                output.Add(new BlockStopped(IndexOf(root)));
                break;
            case "message_delta":
                if (TryGetObject(root, "delta", out var delta) && StringOrNull(delta, "stop_reason") is { } stopReason)
                {
                    output.Add(new ResponseFinished(ToFinish(stopReason), StringOrNull(delta, "stop_sequence")));
                }

                ReportUsage(data, output);
                break;
            case "message_stop":
                output.Add(ResponseCompleted.Instance);
                break;
            case "error":
                TryGetObject(root, "error", out var error);
                output.Add(new ResponseFailed(
                    StringOr(error, "type", "api_error"), StringOr(error, "message", "The upstream reported an error.")));
                break;
            default:
                // ping and event types added later carry nothing.
                break;
        }
    }

    private void ReportUsage(ReadOnlySpan<byte> data, List<ResponseEvent> output)
    {
        if (ReadUsage(data, _usage) is { } usage)
        {
            _usage = usage;
            output.Add(new UsageReported(usage));
        }
    }

    private void OnBlockStart(JsonElement root, List<ResponseEvent> output)
    {
        var index = IndexOf(root);
        if (!TryGetObject(root, "content_block", out var block))
        {
            return;
        }

        switch (StringOr(block, "type", ""))
        {
            case "text":
                Open(new BlockStarted(index, BlockKind.Text), StringOr(block, "text", ""), output);
                break;
            case "tool_use":
                // Anthropic streams input as deltas after an empty {}; a non-empty start input is sent whole.
                var hasInput = block.TryGetProperty("input", out var input) && input.ValueKind == JsonValueKind.Object
                    && input.EnumerateObject().Any();
                Open(new BlockStarted(index, BlockKind.ToolCall) { ToolCallId = StringOr(block, "id", ""), ToolName = StringOr(block, "name", "") },
                    hasInput ? Compact(input) : "", output);
                break;
            case "thinking":
                Open(new BlockStarted(index, BlockKind.Reasoning), StringOr(block, "thinking", ""), output);
                AddSignature(index, StringOr(block, "signature", ""), output);
                break;
            case "redacted_thinking":
                Open(new BlockStarted(index, BlockKind.Reasoning) { RedactedData = StringOr(block, "data", "") }, "", output);
                break;
            default:
                _blocks[index] = null;
                break;
        }
    }

    private void OnBlockDelta(JsonElement root, List<ResponseEvent> output)
    {
        var index = IndexOf(root);
        if (!TryGetObject(root, "delta", out var delta))
        {
            return;
        }

        var type = StringOr(delta, "type", "");
        if (type == "signature_delta")
        {
            if (_blocks.TryGetValue(index, out var open) && open == BlockKind.Reasoning)
            {
                AddSignature(index, StringOr(delta, "signature", ""), output);
            }

            return;
        }

        var (field, kind) = type switch
        {
            "text_delta" => ("text", BlockKind.Text),
            "input_json_delta" => ("partial_json", BlockKind.ToolCall),
            "thinking_delta" => ("thinking", BlockKind.Reasoning),
            _ => ((string?)null, default(BlockKind)), // citations_delta and delta types added later
        };
        if (field is null)
        {
            return;
        }

        if (!_blocks.TryGetValue(index, out var current) && kind != BlockKind.ToolCall)
        {
            // Text or thinking without its start: open the block rather than lose the text (a tool call needs its id).
            Open(new BlockStarted(index, kind), "", output);
            current = kind;
        }

        var text = StringOr(delta, field, "");
        if (current == kind && text.Length > 0)
        {
            output.Add(new BlockDelta(index, text));
        }
    }

    private void Open(BlockStarted start, string initial, List<ResponseEvent> output)
    {
        _blocks[start.Index] = start.Kind;
        output.Add(start);
        if (initial.Length > 0)
        {
            output.Add(new BlockDelta(start.Index, initial));
        }
    }

    private static void AddSignature(int index, string signature, List<ResponseEvent> output)
    {
        if (signature.Length > 0)
        {
            output.Add(new ReasoningSignature(index, signature));
        }
    }
}
