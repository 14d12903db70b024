namespace LlmGateway.Api.Translation;

/// <summary>The wire format an upstream speaks.</summary>
public enum WireFormat
{
    OpenAi,
    Anthropic,
    OpenAiResponses,
    /// <summary>OpenAI's legacy text completions: passed through to a deployment with <c>use_completions_api</c>, else translated.</summary>
    OpenAiCompletions,
}

public enum UpstreamOperation
{
    Chat,
    Embeddings,
    /// <summary>Anthropic's <c>/v1/messages/count_tokens</c>.</summary>
    CountTokens,
}
