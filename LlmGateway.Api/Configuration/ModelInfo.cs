namespace LlmGateway.Api.Configuration;

/// <summary>A deployment's <c>model_info</c>: prices (USD per token) and limits, all optional.</summary>
public sealed record ModelInfo
{
    /// <summary>The id given in <c>model_info.id</c>, if any.</summary>
    public string? Id { get; init; }
    public decimal? InputCostPerToken { get; init; }
    public decimal? OutputCostPerToken { get; init; }
    public decimal? CacheReadInputTokenCost { get; init; }
    public int? MaxTokens { get; init; }
    public int? MaxInputTokens { get; init; }
    public int? MaxOutputTokens { get; init; }
    /// <summary>LiteLLM's mode, e.g. <c>chat</c> or <c>embedding</c>.</summary>
    public string? Mode { get; init; }
    public bool? SupportsVision { get; init; }
    public bool? SupportsFunctionCalling { get; init; }

    /// <summary>No information given.</summary>
    public static ModelInfo Empty { get; } = new();
}
