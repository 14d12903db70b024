using System.Runtime.CompilerServices;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;
using Microsoft.Extensions.Options;

namespace LlmGateway.Api.Pricing;

/// <summary>Prices (section <c>Gateway:Pricing</c>).</summary>
public sealed class PricingOptions
{
    /// <summary>
    /// <c>refuse</c> (default): a caller under a budget (its key's, team's or user's <c>max_budget</c>) gets a 403 for a
    /// deployment whose price is unknown, which would cost $0 against the budget; <c>allow</c>: served, recorded with
    /// <c>price_unknown</c> and $0.
    /// </summary>
    public string UnknownPrice { get; set; } = "refuse";

    public const int DefaultHostedToolCallCeiling = 10;

    /// <summary>
    /// The hosted tool calls (web searches, web fetches) reserved for a tool the client gave no <c>max_uses</c>, per request;
    /// default 10. The gateway also sends it upstream as that tool's <c>max_uses</c> (docs/spend.md).
    /// </summary>
    public int HostedToolCallCeiling { get; set; } = DefaultHostedToolCallCeiling;

    public bool Refuses => !string.Equals(UnknownPrice, "allow", StringComparison.OrdinalIgnoreCase);

    public static bool IsValid(PricingOptions options) =>
        options.UnknownPrice.Equals("refuse", StringComparison.OrdinalIgnoreCase) || options.UnknownPrice.Equals("allow", StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// Whether a budgeted caller may reach a deployment: not when its price is unknown and the policy refuses, since every
/// token of it would cost $0 against the budget. <c>mock/</c> deployments cost nothing and are always priced.
/// </summary>
public sealed class UnknownPricePolicy(PriceTable prices, IOptions<PricingOptions> options)
{
    // A group's deployments never change (a reload brings new groups, and the old ones go with it): found once per group.
    private readonly ConditionalWeakTable<ModelGroup, DeploymentConfig[]> unpricedByGroup = new();

    public bool Refuses { get; } = options.Value.Refuses;

    public bool IsUnpriced(DeploymentConfig deployment) => deployment.Provider != ProviderKind.Mock && !prices.For(deployment).Known;

    /// <summary>The 403 for a budgeted caller on a group with an unpriced deployment, or null.</summary>
    public GatewayError? Refusal(ModelGroup group)
    {
        if (!Refuses)
        {
            return null;
        }

        var unpriced = unpricedByGroup.GetValue(group, g => [.. g.Deployments.Where(IsUnpriced)]);
        return unpriced.Length == 0 ? null : Refused(group.Name, unpriced);
    }

    /// <summary>The 403 for a budgeted caller reaching one unpriced deployment (a fallback group's), or null.</summary>
    public GatewayError? Refusal(DeploymentConfig deployment) =>
        Refuses && IsUnpriced(deployment) ? Refused(deployment.ModelName, [deployment]) : null;

    private static GatewayError Refused(string group, IEnumerable<DeploymentConfig> unpriced) =>
        new(StatusCodes.Status403Forbidden, "permission_denied",
            $"Model group '{group}' has no known price for deployment {string.Join(", ", unpriced.Select(d => $"'{d.Id}' ({d.ProviderModel})"))}, " +
            "so its use cannot be charged to your budget. An admin can set model_info.input_cost_per_token and output_cost_per_token " +
            "for it, or allow unpriced use with Gateway:Pricing:UnknownPrice=allow.",
            "model", "price_unknown");
}
