namespace LlmGateway.Api.Configuration;

/// <summary>A deployment's <c>model_info</c>: prices (USD per token) and limits, all optional.</summary>
public sealed record ModelInfo
{
    /// <summary>The id given in <c>model_info.id</c>, if any.</summary>
    public string? Id { get; init; }
    public decimal? InputCostPerToken { get; init; }
    public decimal? OutputCostPerToken { get; init; }
    /// <summary>A prompt token read from the provider's prompt cache.</summary>
    public decimal? CacheReadInputTokenCost { get; init; }
    /// <summary>A prompt token written to the prompt cache (Anthropic: for five minutes).</summary>
    public decimal? CacheCreationInputTokenCost { get; init; }
    /// <summary>A prompt token written to Anthropic's prompt cache for an hour (LiteLLM's <c>cache_creation_input_token_cost_above_1hr</c>).</summary>
    public decimal? CacheCreationInputTokenCostAbove1Hr { get; init; }
    /// <summary>A prompt token when the prompt is over 200,000 tokens (Anthropic's long context: every token of such a request).</summary>
    public decimal? InputCostPerTokenAbove200k { get; init; }
    public decimal? OutputCostPerTokenAbove200k { get; init; }
    /// <summary>An audio prompt token (LiteLLM's <c>input_cost_per_audio_token</c>; OpenAI's audio models bill audio 8–66× text); null: the table's, else the input rate.</summary>
    public decimal? InputCostPerAudioToken { get; init; }
    /// <summary>An audio output token (LiteLLM's <c>output_cost_per_audio_token</c>); null: the table's, else the output rate.</summary>
    public decimal? OutputCostPerAudioToken { get; init; }
    /// <summary>OpenAI's <c>service_tier: "priority"</c> rates.</summary>
    public decimal? InputCostPerTokenPriority { get; init; }
    public decimal? OutputCostPerTokenPriority { get; init; }
    /// <summary>
    /// One hosted web search (LiteLLM's <c>search_context_cost_per_query</c>: a number, or its map by
    /// <c>search_context_size_low|medium|high</c>, of which the medium rate is used); null: the built-in fee (Pricing/HostedToolFees.cs).
    /// </summary>
    public decimal? SearchContextCostPerQuery { get; init; }
    /// <summary>One hosted web fetch (the gateway's own <c>web_fetch_cost_per_query</c>); null: the built-in fee ($0: Anthropic bills tokens only).</summary>
    public decimal? WebFetchCostPerQuery { get; init; }
    /// <summary>1,000 hosted file search calls (LiteLLM's <c>file_search_cost_per_1k_calls</c>); null: the built-in fee (OpenAI: $2.50).</summary>
    public decimal? FileSearchCostPer1kCalls { get; init; }
    /// <summary>One code interpreter session, a container (LiteLLM's <c>code_interpreter_cost_per_session</c>); null: the built-in fee (OpenAI: $0.03).</summary>
    public decimal? CodeInterpreterCostPerSession { get; init; }
    public int? MaxTokens { get; init; }
    public int? MaxInputTokens { get; init; }
    public int? MaxOutputTokens { get; init; }
    /// <summary>LiteLLM's mode, e.g. <c>chat</c> or <c>embedding</c>.</summary>
    public string? Mode { get; init; }
    public bool? SupportsVision { get; init; }
    public bool? SupportsFunctionCalling { get; init; }
    /// <summary>
    /// Request features that change what the provider bills, allowed on this deployment (the gateway's own
    /// <c>allowed_premium</c>: <c>service_tier</c>, <c>context-1m</c>, <c>web_search</c>, …); anything else is refused.
    /// </summary>
    public IReadOnlyList<string> AllowedPremium { get; init; } = [];
    /// <summary>LiteLLM's <c>access_groups</c>: a key or team whose <c>models</c> names one may use this model.</summary>
    public IReadOnlyList<string> AccessGroups { get; init; } = [];
    /// <summary>LiteLLM's <c>blocked</c>: the deployment is kept but serves nothing (left out of its group, not probed).</summary>
    public bool Blocked { get; init; }

    /// <summary>No information given.</summary>
    public static ModelInfo Empty { get; } = new();
}
