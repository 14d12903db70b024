using LlmGateway.Api.Configuration;

namespace LlmGateway.Api.Pricing;

/// <summary>Warns once at start-up about deployments whose price is unknown: their ledger rows are flagged, never a silent $0.</summary>
internal sealed class UnknownPriceWarning(GatewayConfig config, UnknownPricePolicy policy, ILogger<UnknownPriceWarning> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var deployment in config.Deployments.Where(d => !WildcardGroups.IsPattern(d.ModelName) && policy.IsUnpriced(d)))
        {
            logger.LogWarning(
                "No price is known for {Provider}/{Model} (model group '{Group}'): set model_info.input_cost_per_token and " +
                "output_cost_per_token. {Policy}",
                deployment.Provider, deployment.ProviderModel, deployment.ModelName, policy.Refuses
                    ? "Callers under a budget are refused it (403, Gateway:Pricing:UnknownPrice=refuse); others are recorded with price_unknown = true and $0."
                    : "Its usage is recorded with price_unknown = true and costs $0 against budgets (Gateway:Pricing:UnknownPrice=allow).");
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
