using LlmGateway.Api.Contracts;

namespace LlmGateway.Api.Translation;

/// <summary>A whole answer in no client's format: the fold of its <see cref="ResponseEvent"/>s.</summary>
public sealed class CanonicalResponse
{
    public string? Id { get; set; }
    public string? Model { get; set; }
    /// <summary>Text, tool calls and reasoning, in the order the model produced them.</summary>
    public List<ContentPart> Content { get; } = [];
    public FinishReason? Finish { get; set; }
    public string? StopSequence { get; set; }
    public TokenUsage? Usage { get; set; }

    /// <summary>The events that build this answer, as a stream would have carried them.</summary>
    public IEnumerable<ResponseEvent> ToEvents()
    {
        yield return new ResponseStarted(Id, Model);
        if (Usage is { } startUsage)
        {
            yield return new UsageReported(startUsage);
        }

        for (var index = 0; index < Content.Count; index++)
        {
            switch (Content[index])
            {
                case TextPart text:
                    yield return new BlockStarted(index, BlockKind.Text) { IsRefusal = text.IsRefusal };
                    if (text.Text.Length > 0)
                    {
                        yield return new BlockDelta(index, text.Text);
                    }

                    break;
                case ToolCallPart call:
                    yield return new BlockStarted(index, BlockKind.ToolCall) { ToolCallId = call.Id, ToolName = call.Name, Freeform = call.Freeform };
                    if (call.Arguments.Length > 0)
                    {
                        yield return new BlockDelta(index, call.Arguments);
                    }

                    break;
                case ReasoningPart reasoning:
                    yield return new BlockStarted(index, BlockKind.Reasoning)
                    {
                        RedactedData = reasoning.RedactedData, EncryptedContent = reasoning.EncryptedContent, ReasoningId = reasoning.Id,
                    };
                    if (reasoning.Text.Length > 0)
                    {
                        yield return new BlockDelta(index, reasoning.Text);
                    }

                    if (reasoning.Signature is { } signature)
                    {
                        yield return new ReasoningSignature(index, signature);
                    }

                    break;
                default:
                    continue;
            }

            yield return new BlockStopped(index);
        }

        yield return new ResponseFinished(Finish ?? FinishReason.Stop, StopSequence);
        if (Usage is { } usage)
        {
            yield return new UsageReported(usage);
        }

        yield return ResponseCompleted.Instance;
    }
}
