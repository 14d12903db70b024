using System.Collections.Frozen;

namespace LlmGateway.Api.Pricing;

/// <summary>
/// The most output tokens well-known models can write in one answer (reasoning included), as the providers publish them,
/// for the worst case of a request without <c>max_tokens</c> when <c>model_info</c> gives no ceiling. Where a beta raises
/// the limit (Claude 3.7 Sonnet's 128k output) the raised limit is used: a ceiling too low would under-reserve.
/// </summary>
public static class OutputCeilings
{
    /// <summary>A model neither <c>model_info</c> nor the table knows: LiteLLM's default output limit.</summary>
    public const long Unknown = 4096;

    private static readonly FrozenDictionary<string, long> BuiltIn = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase)
    {
        ["claude-opus-4"] = 32_000,
        ["claude-opus-4-1"] = 32_000,
        ["claude-opus-4-5"] = 64_000,
        ["claude-sonnet-4"] = 64_000,
        ["claude-sonnet-4-5"] = 64_000,
        ["claude-3-7-sonnet"] = 128_000,
        ["claude-3-5-sonnet"] = 8_192,
        ["claude-haiku-4-5"] = 64_000,
        ["claude-3-5-haiku"] = 8_192,
        ["claude-3-haiku"] = 4_096,
        ["claude-3-opus"] = 4_096,
        ["gpt-4o"] = 16_384,
        ["gpt-4o-mini"] = 16_384,
        ["gpt-4.1"] = 32_768,
        ["gpt-4.1-mini"] = 32_768,
        ["gpt-4.1-nano"] = 32_768,
        ["gpt-5"] = 128_000,
        ["gpt-5-mini"] = 128_000,
        ["gpt-5-nano"] = 128_000,
        ["o1"] = 100_000,
        ["o3"] = 100_000,
        ["o3-mini"] = 100_000,
        ["o4-mini"] = 100_000,
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>The table's ceiling for a provider model id; null when the table does not know it.</summary>
    public static long? Of(string modelId) => ModelIds.TryFind(BuiltIn, modelId, out var ceiling) ? ceiling : null;
}
