namespace LlmGateway.Api.Contracts;

/// <summary>
/// Token counts seen on a translated stream, in Anthropic's terms: <see cref="InputTokens"/> excludes
/// the cached parts, so the OpenAI prompt total is <see cref="PromptTokens"/>.
/// </summary>
public readonly record struct StreamUsage(
    long InputTokens,
    long OutputTokens,
    long CacheReadInputTokens,
    long CacheCreationInputTokens)
{
    /// <summary>All input tokens (uncached + cache read + cache write), as OpenAI's <c>prompt_tokens</c> counts them.</summary>
    public long PromptTokens => InputTokens + CacheReadInputTokens + CacheCreationInputTokens;

    public long TotalTokens => PromptTokens + OutputTokens;
}
