namespace LlmGateway.Api.Contracts;

/// <summary>The facts of a request the pipeline needs, whatever its wire format.</summary>
/// <param name="EndUser">Who the body says the request is for (chat's <c>user</c>, Messages' <c>metadata.user_id</c> reduced to the developer).</param>
public readonly record struct RequestFacts(string Model, long? MaxTokens, bool Stream, string? EndUser)
{
    /// <summary>chat_completions, messages or embeddings: set by the pipeline from its route.</summary>
    public string CallType { get; init; } = "";

    /// <summary>How many answers the request asks for (chat's <c>n</c>): each is billed its own output.</summary>
    public long Choices { get; init; } = 1;
}
