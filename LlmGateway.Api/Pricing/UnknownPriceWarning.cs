using LlmGateway.Api.Configuration;

namespace LlmGateway.Api.Pricing;

/// <summary>Warns once at start-up about deployments whose price is unknown: their ledger rows are flagged, never a silent $0.</summary>
internal sealed class UnknownPriceWarning(GatewayConfig config, PriceTable prices, ILogger<UnknownPriceWarning> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var deployment in config.Deployments.Where(d => d.Provider != ProviderKind.Mock && !prices.For(d).Known))
        {
            logger.LogWarning(
                "No price is known for {Provider}/{Model} (model group '{Group}'): set model_info.input_cost_per_token and " +
                "output_cost_per_token. Its usage is recorded with price_unknown = true and costs $0 against budgets.",
                deployment.Provider, deployment.ProviderModel, deployment.ModelName);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
