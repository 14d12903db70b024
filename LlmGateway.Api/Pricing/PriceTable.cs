using System.Collections.Frozen;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;

namespace LlmGateway.Api.Pricing;

/// <summary>A model's price per token (USD). Unknown prices are flagged, never silently $0.</summary>
public readonly record struct Price(decimal Input, decimal Output, decimal? CachedInput, bool Known)
{
    public static readonly Price Unknown = new(0, 0, null, false);

    public decimal Cost(TokenUsage usage)
    {
        var cached = Math.Min(usage.CachedTokens, usage.PromptTokens);
        var cachedRate = CachedInput ?? Input;
        return (usage.PromptTokens - cached) * Input + cached * cachedRate + usage.CompletionTokens * Output;
    }
}

/// <summary>
/// Prices from <c>model_info</c>, else a built-in table of well-known Anthropic and OpenAI model ids
/// (list prices, USD per token, as published by the providers in 2025–2026).
/// </summary>
public sealed class PriceTable
{
    private static readonly FrozenDictionary<string, Price> BuiltIn = new Dictionary<string, Price>(StringComparer.OrdinalIgnoreCase)
    {
        ["claude-opus-4"] = new(0.000015m, 0.000075m, 0.0000015m, true),
        ["claude-opus-4-1"] = new(0.000015m, 0.000075m, 0.0000015m, true),
        ["claude-opus-4-5"] = new(0.000005m, 0.000025m, 0.0000005m, true),
        ["claude-sonnet-4"] = new(0.000003m, 0.000015m, 0.0000003m, true),
        ["claude-sonnet-4-5"] = new(0.000003m, 0.000015m, 0.0000003m, true),
        ["claude-3-7-sonnet"] = new(0.000003m, 0.000015m, 0.0000003m, true),
        ["claude-3-5-sonnet"] = new(0.000003m, 0.000015m, 0.0000003m, true),
        ["claude-haiku-4-5"] = new(0.000001m, 0.000005m, 0.0000001m, true),
        ["claude-3-5-haiku"] = new(0.0000008m, 0.000004m, 0.00000008m, true),
        ["claude-3-haiku"] = new(0.00000025m, 0.00000125m, 0.00000003m, true),
        ["gpt-4o"] = new(0.0000025m, 0.00001m, 0.00000125m, true),
        ["gpt-4o-mini"] = new(0.00000015m, 0.0000006m, 0.000000075m, true),
        ["gpt-4.1"] = new(0.000002m, 0.000008m, 0.0000005m, true),
        ["gpt-4.1-mini"] = new(0.0000004m, 0.0000016m, 0.0000001m, true),
        ["gpt-4.1-nano"] = new(0.0000001m, 0.0000004m, 0.000000025m, true),
        ["gpt-5"] = new(0.00000125m, 0.00001m, 0.000000125m, true),
        ["gpt-5-mini"] = new(0.00000025m, 0.000002m, 0.000000025m, true),
        ["o3"] = new(0.000002m, 0.000008m, 0.0000005m, true),
        ["o4-mini"] = new(0.0000011m, 0.0000044m, 0.000000275m, true),
        ["text-embedding-3-small"] = new(0.00000002m, 0, null, true),
        ["text-embedding-3-large"] = new(0.00000013m, 0, null, true),
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>The one price computation of an answer: what <paramref name="usage"/> costs on the deployment; null when its price is unknown.</summary>
    public decimal? CostOf(DeploymentConfig deployment, TokenUsage usage) => For(deployment) is { Known: true } price ? price.Cost(usage) : null;

    public Price For(DeploymentConfig deployment)
    {
        var info = deployment.ModelInfo;
        if (info.InputCostPerToken is not null || info.OutputCostPerToken is not null)
        {
            return new Price(info.InputCostPerToken ?? 0, info.OutputCostPerToken ?? 0, info.CacheReadInputTokenCost, true);
        }

        return Lookup(deployment.ProviderModel);
    }

    /// <summary>Exact id, else the id without its date suffix (claude-sonnet-4-20250514 → claude-sonnet-4).</summary>
    public static Price Lookup(string modelId)
    {
        if (BuiltIn.TryGetValue(modelId, out var price))
        {
            return price;
        }

        var dash = modelId.LastIndexOf('-');
        while (dash > 0)
        {
            var prefix = modelId[..dash];
            if (BuiltIn.TryGetValue(prefix, out price))
            {
                return price;
            }

            dash = prefix.LastIndexOf('-');
        }

        return Price.Unknown;
    }
}
