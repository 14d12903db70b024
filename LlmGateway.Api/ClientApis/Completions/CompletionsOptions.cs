namespace LlmGateway.Api.ClientApis.Completions;

/// <summary>How legacy completions with several prompts or <c>n</c> &gt; 1 are fanned out to a chat model (section <c>Gateway:Completions</c>).</summary>
public sealed class CompletionsOptions
{
    /// <summary>The most answers (prompts × <c>n</c>) one request may ask of a chat model; beyond it a 400 (default 16).</summary>
    public int MaxFanOut { get; set; } = 16;

    /// <summary>The calls of one request that run upstream at once (default 4).</summary>
    public int MaxConcurrentCalls { get; set; } = 4;
}
