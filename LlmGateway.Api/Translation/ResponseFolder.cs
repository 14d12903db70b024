using System.Text;

namespace LlmGateway.Api.Translation;

/// <summary>Folds a stream of <see cref="ResponseEvent"/>s into the <see cref="CanonicalResponse"/> it describes.</summary>
public sealed class ResponseFolder
{
    private readonly CanonicalResponse response = new();
    private readonly SortedDictionary<int, Block> blocks = [];

    /// <summary>The stream completed without an error: <see cref="Result"/> is a whole answer.</summary>
    public bool IsComplete { get; private set; }

    public bool Failed { get; private set; }

    public void Add(ResponseEvent @event)
    {
        switch (@event)
        {
            case ResponseStarted started:
                response.Id ??= started.Id;
                response.Model ??= started.Model;
                break;
            case BlockStarted started:
                blocks[started.Index] = new Block(started);
                break;
            case BlockDelta delta when blocks.TryGetValue(delta.Index, out var block):
                block.Text.Append(delta.Text);
                break;
            case ReasoningSignature signature when blocks.TryGetValue(signature.Index, out var block):
                block.Signature = (block.Signature ?? "") + signature.Signature;
                break;
            case UsageReported usage:
                response.Usage = usage.Usage;
                break;
            case ResponseFinished finished:
                response.Finish = finished.Reason;
                response.StopSequence = finished.StopSequence;
                break;
            case ResponseCompleted:
                IsComplete = !Failed;
                break;
            case ResponseFailed:
                Failed = true;
                IsComplete = false;
                break;
        }
    }

    /// <summary>The answer so far.</summary>
    public CanonicalResponse Result
    {
        get
        {
            response.Content.Clear();
            foreach (var block in blocks.Values)
            {
                response.Content.Add(block.ToPart());
            }

            return response;
        }
    }

    public static CanonicalResponse Fold(IEnumerable<ResponseEvent> events)
    {
        var folder = new ResponseFolder();
        foreach (var e in events)
        {
            folder.Add(e);
        }

        return folder.Result;
    }

    private sealed class Block(BlockStarted start)
    {
        public StringBuilder Text { get; } = new();
        public string? Signature { get; set; }

        public ContentPart ToPart() => start.Kind switch
        {
            BlockKind.ToolCall => new ToolCallPart(start.ToolCallId ?? "", start.ToolName ?? "", Text.ToString()) { Freeform = start.Freeform },
            BlockKind.Reasoning => new ReasoningPart(Text.ToString())
            {
                Signature = Signature, RedactedData = start.RedactedData, EncryptedContent = start.EncryptedContent, Id = start.ReasoningId,
            },
            _ => new TextPart(Text.ToString()) { IsRefusal = start.IsRefusal },
        };
    }
}
