using LlmGateway.Api.Configuration;
using Microsoft.Extensions.Options;

namespace LlmGateway.Api.Pricing;

/// <summary>
/// What a request may cost at worst, reserved before the upstream call, at the rates of its tier and prompt length (priority,
/// long context): prompt ceiling (<see cref="PromptCeiling"/>) × the dearest prompt
/// rate (input, or a cache write, which costs more) + choices × its output ceiling × output price, at the dearest
/// deployment of every model group the request may reach (its own and its fallbacks); inline audio at the audio input rate,
/// and the output at the audio output rate when the answer may be audio. <c>n</c> choices share one prompt
/// but each writes its own output. The output ceiling is the request's <c>max_tokens</c>, else the deployment's, else the
/// model's (<c>model_info</c>, else <see cref="OutputCeilings"/>), never below a thinking budget. Hosted tool calls add
/// their fees: each tool's <c>max_uses</c>, else <see cref="PricingOptions.HostedToolCallCeiling"/> calls
/// (<see cref="HostedToolCalls"/>); a search model searches once.
/// </summary>
public sealed class CostEstimator(PriceTable prices, IOptions<PricingOptions>? options = null)
{
    private readonly long toolCallCeiling = options?.Value.HostedToolCallCeiling ?? PricingOptions.DefaultHostedToolCallCeiling;

    /// <summary>The calls reserved, and sent upstream as the bound, for a hosted tool the client gave no <c>max_uses</c>.</summary>
    public int HostedToolCallCeiling => (int)toolCallCeiling;

    public (long Tokens, decimal Cost) WorstCase(ModelGroup group, long promptTokens, long? requestedMaxTokens, long choices = 1) =>
        WorstCase(group, [], new WorstCaseRequest(promptTokens, requestedMaxTokens, choices));

    /// <summary>The worst case over the request's group and the <paramref name="fallbacks"/> it may reach.</summary>
    public (long Tokens, decimal Cost) WorstCase(ModelGroup group, IReadOnlyList<ModelGroup> fallbacks, WorstCaseRequest request)
    {
        var worst = (Tokens: request.PromptTokens - request.InlineDocumentTokens - request.InlineAudioTokens, Cost: 0m);
        worst = Over(group, request, worst);
        foreach (var fallback in fallbacks)
        {
            worst = Over(fallback, request, worst);
        }

        return worst;
    }

    private (long Tokens, decimal Cost) Over(ModelGroup group, WorstCaseRequest request, (long Tokens, decimal Cost) worst)
    {
        foreach (var deployment in group.Deployments)
        {
            var output = OutputCeiling(deployment, request) * Math.Max(1, request.Choices);
            var prompt = PromptCeiling(deployment, request);
            var standard = prices.For(deployment);
            var price = (request.PriorityTier ? standard.AtPriority() : standard).ForPrompt(prompt);
            var tools = request.HostedTools.Worst(toolCallCeiling);
            var fees = price.HostedToolsCost(tools with { Searches = Math.Max(tools.Searches, HostedToolFees.SearchesEveryRequest(deployment) ? 1 : 0) });
            // The audio billed is at most its estimate and the whole prompt; what it costs beyond the dearest prompt rate is added.
            var audio = Math.Min(request.InlineAudioTokens, prompt) * Math.Max(0, price.InputAudioRate - price.WorstPromptRate);
            var outputRate = request.AudioOutput ? Math.Max(price.Output, price.OutputAudioRate) : price.Output;
            worst = (Math.Max(worst.Tokens, prompt + output), Math.Max(worst.Cost, prompt * price.WorstPromptRate + audio + output * outputRate + fees));
        }

        return worst;
    }

    /// <summary>
    /// The most prompt the request may be billed for on this deployment: the estimate, and for each document only referred to
    /// by URL or file id <see cref="PromptTokens.UnsizedDocumentTokens"/> instead of <see cref="PromptTokens.DocumentTokens"/>,
    /// bounded by the deployment's <c>max_input_tokens</c> (the provider refuses a longer prompt) — as is the part of the
    /// estimate that is inline PDFs' and audio clips' base64; never below the rest of the estimate.
    /// </summary>
    public static long PromptCeiling(DeploymentConfig deployment, WorstCaseRequest request)
    {
        var bounded = request.InlineDocumentTokens + request.InlineAudioTokens;
        if (request.UnsizedDocuments == 0 && bounded == 0)
        {
            return request.PromptTokens;
        }

        var unbounded = request.PromptTokens + request.UnsizedDocuments * (PromptTokens.UnsizedDocumentTokens - PromptTokens.DocumentTokens);
        return Math.Max(request.PromptTokens - bounded, Math.Min(unbounded, deployment.ModelInfo.MaxInputTokens ?? long.MaxValue));
    }

    /// <summary>The most output one choice of the request may produce on this deployment.</summary>
    public static long OutputCeiling(DeploymentConfig deployment, WorstCaseRequest request)
    {
        var modelMax = deployment.ModelInfo.MaxOutputTokens ?? deployment.ModelInfo.MaxTokens ?? deployment.MaxTokens
            ?? OutputCeilings.Of(deployment.ProviderModel);
        var output = request.MaxTokens ?? deployment.MaxTokens ?? modelMax ?? OutputCeilings.Unknown;
        if (modelMax is { } max)
        {
            output = Math.Min(output, max);
        }

        if (deployment.MaxTokens is { } ceiling)
        {
            output = Math.Min(output, ceiling); // the gateway clamps max_tokens to it upstream
        }

        // Anthropic's interleaved thinking may spend a budget_tokens beyond max_tokens: the budget is not clamped. A prediction's
        // rejected tokens are billed as output beyond max_tokens too.
        return Math.Max(output, request.ThinkingBudget ?? 0) + request.PredictionTokens;
    }
}
