namespace LlmGateway.Api.Contracts;

/// <summary>The facts of a request the pipeline needs, whatever its wire format.</summary>
public readonly record struct RequestFacts(string Model, long? MaxTokens, bool Stream, string? User)
{
    /// <summary>chat_completions, messages or embeddings: set by the pipeline from its route.</summary>
    public string CallType { get; init; } = "";
}
