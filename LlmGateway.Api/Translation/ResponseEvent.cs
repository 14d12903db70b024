using LlmGateway.Api.Contracts;

namespace LlmGateway.Api.Translation;

/// <summary>
/// One step of an answer in no client's format: upstream stream decoders produce them, client stream encoders
/// write them. A non-streamed answer is the same events folded (<see cref="CanonicalResponse"/>).
/// Blocks are numbered in order of appearance, from 0; a block is open from its start to its stop.
/// </summary>
public abstract record ResponseEvent;

/// <summary>The answer began; the upstream's own id and model (clients see the gateway's, see <see cref="ResponseIdentity"/>).</summary>
public sealed record ResponseStarted(string? Id = null, string? Model = null) : ResponseEvent;

public enum BlockKind
{
    Text,
    ToolCall,
    Reasoning,
}

/// <summary>A block opens: text, a tool call (with its id and name) or reasoning.</summary>
public sealed record BlockStarted(int Index, BlockKind Kind) : ResponseEvent
{
    public string? ToolCallId { get; init; }
    public string? ToolName { get; init; }
    public bool Freeform { get; init; }
    /// <summary>A redacted reasoning block carries only opaque data, no text.</summary>
    public string? RedactedData { get; init; }
    /// <summary>OpenAI's encrypted reasoning, or its reasoning item id.</summary>
    public string? EncryptedContent { get; init; }
    public string? ReasoningId { get; init; }
    /// <summary>A refusal text block (OpenAI's <c>refusal</c>).</summary>
    public bool IsRefusal { get; init; }
}

/// <summary>More of a block: text, tool-call argument JSON (a fragment) or reasoning text.</summary>
public sealed record BlockDelta(int Index, string Text) : ResponseEvent;

/// <summary>The signature of a reasoning block (Anthropic's <c>signature_delta</c>); returned unchanged on the next turn.</summary>
public sealed record ReasoningSignature(int Index, string Signature) : ResponseEvent;

public sealed record BlockStopped(int Index) : ResponseEvent;

/// <summary>The usage so far; each report replaces the earlier one (counts are cumulative).</summary>
public sealed record UsageReported(TokenUsage Usage) : ResponseEvent;

/// <summary>Why the model stopped. Usage may still follow; <see cref="ResponseCompleted"/> ends the answer.</summary>
public sealed record ResponseFinished(FinishReason Reason, string? StopSequence = null) : ResponseEvent;

/// <summary>The upstream's stream ended cleanly (<c>[DONE]</c>, <c>message_stop</c>).</summary>
public sealed record ResponseCompleted : ResponseEvent
{
    public static readonly ResponseCompleted Instance = new();
}

/// <summary>The upstream reported an error in the stream; nothing follows it.</summary>
public sealed record ResponseFailed(string Type, string Message) : ResponseEvent
{
    /// <summary>The HTTP status the provider gave the in-band error (<c>error.code</c> as vLLM and SGLang write it), if any.</summary>
    public int? Status { get; init; }
}

public enum FinishReason
{
    /// <summary>A natural end (OpenAI <c>stop</c>, Anthropic <c>end_turn</c>).</summary>
    Stop,
    StopSequence,
    /// <summary>The output limit (<c>length</c>, <c>max_tokens</c>).</summary>
    Length,
    /// <summary>The context window filled (<c>model_context_window_exceeded</c>).</summary>
    ContextWindow,
    ToolCalls,
    ContentFilter,
    /// <summary>Anthropic paused a long turn (<c>pause_turn</c>); the client continues it.</summary>
    PauseTurn,
}

/// <summary>What the client sees as the answer's id, model and creation time (the gateway's, not the upstream's).</summary>
public sealed record ResponseIdentity(string Id, string Model, long Created);
