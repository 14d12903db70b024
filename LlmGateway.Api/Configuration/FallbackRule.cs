namespace LlmGateway.Api.Configuration;

/// <summary>One entry of LiteLLM's <c>fallbacks</c> list: <c>{ModelGroup: [Fallbacks…]}</c>, tried in order.</summary>
public sealed record FallbackRule(string ModelGroup, IReadOnlyList<string> Fallbacks);
