using LlmGateway.Api.Contracts;
using LlmGateway.Api.Streaming;

namespace LlmGateway.Api.Translation;

/// <summary>
/// One client request answered by several upstream calls (legacy completions' prompts × <c>n</c> on a chat model): each
/// call's body in the format of <see cref="CallClient"/>, and how their answers become the client's one answer.
/// </summary>
/// <param name="ChoicesPerCall">The answers each call gives (its <c>n</c>): call <c>c</c>'s choice <c>j</c> is the client's choice c × this + j.</param>
public sealed record FanOutPlan(IClientAdapter CallClient, IReadOnlyList<ReadOnlyMemory<byte>> Calls, int ChoicesPerCall, IFanOutEncoder Encoder)
{
    /// <summary>How many times the calls send each prompt (n calls of one prompt bill it n times): the reservation's prompt estimate is multiplied by it.</summary>
    public int PromptCopies { get; init; } = 1;

    /// <summary>Calls upstream at once, at most.</summary>
    public int Concurrency { get; init; } = 4;

    /// <summary>Whether the client asked for the usage chunk (<c>stream_options.include_usage</c>).</summary>
    public bool IncludeUsage { get; init; }
}

/// <summary>Turns the answers of a fan-out's calls (in the call format) into the client's format, choices re-indexed.</summary>
public interface IFanOutEncoder
{
    /// <summary>The client's whole body from every call's whole answer, in call order.</summary>
    byte[] EncodeBody(IReadOnlyList<ReadOnlyMemory<byte>> answers, int choicesPerCall, ResponseIdentity identity, TokenUsage usage);

    /// <summary>One event's data of one call's stream as the client's chunks, its choices numbered from <paramref name="firstIndex"/>; a usage-only chunk writes nothing.</summary>
    void WriteEvent(ReadOnlySpan<byte> data, int firstIndex, ResponseIdentity identity, SseWriter output);

    /// <summary>The end of the merged stream: the usage chunk when asked for, then the format's end.</summary>
    void WriteEnd(ResponseIdentity identity, TokenUsage usage, decimal? cost, bool includeUsage, SseWriter output);
}
