using LlmGateway.Api.Configuration;

namespace LlmGateway.Api.Pricing;

/// <summary>
/// What a request may cost at worst, reserved before the upstream call: prompt-token estimate × the dearest prompt
/// rate (input, or a cache write, which costs more) + choices × min(max_tokens, the model's max output) × output price,
/// at the dearest deployment of the group. <c>n</c> choices share one prompt but each writes its own output.
/// </summary>
public sealed class CostEstimator(PriceTable prices)
{
    private const int DefaultMaxOutputTokens = 4096;
    public (long Tokens, decimal Cost) WorstCase(ModelGroup group, long promptTokens, long? requestedMaxTokens, long choices = 1)
    {
        var worstCost = 0m;
        var worstTokens = promptTokens;
        foreach (var deployment in group.Deployments)
        {
            var modelMax = deployment.ModelInfo.MaxOutputTokens ?? deployment.ModelInfo.MaxTokens ?? deployment.MaxTokens;
            var output = requestedMaxTokens ?? deployment.MaxTokens ?? modelMax ?? DefaultMaxOutputTokens;
            if (modelMax is { } max)
            {
                output = Math.Min(output, max);
            }

            if (deployment.MaxTokens is { } ceiling)
            {
                output = Math.Min(output, ceiling);
            }

            output *= Math.Max(1, choices);
            var price = prices.For(deployment);
            worstCost = Math.Max(worstCost, promptTokens * price.WorstPromptRate + output * price.Output);
            worstTokens = Math.Max(worstTokens, promptTokens + output);
        }

        return (worstTokens, worstCost);
    }
}
