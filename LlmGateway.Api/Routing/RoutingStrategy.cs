using LlmGateway.Api.Configuration;

namespace LlmGateway.Api.Routing;

/// <summary>How the router orders a model group's deployments before failing over along that order.</summary>
public enum RoutingStrategy
{
    /// <summary><c>order</c>, then list position: the blueprint's default.</summary>
    Ordered,
    /// <summary>Weighted random (<c>weight</c>, default 1): LiteLLM's <c>simple-shuffle</c> when weights are given.</summary>
    Weighted,
    /// <summary>Fewest requests in flight on this replica (<c>least-busy</c>).</summary>
    LeastBusy,
    /// <summary>Lowest moving-average time to first byte (<c>latency-based-routing</c>).</summary>
    LowestLatency,
    /// <summary>Cheapest input + output price per token (<c>cost-based-routing</c>).</summary>
    LowestCost,
    /// <summary>Fewest tokens used this minute, shared across replicas (<c>usage-based-routing</c>).</summary>
    LowestUsage,
}

public static class RoutingStrategies
{
    /// <summary>
    /// Maps LiteLLM's names and ours. <c>simple-shuffle</c> is also what the config reports when
    /// <c>routing_strategy</c> is unset, so it means weighted only for a group that sets a <c>weight</c>; otherwise ordered.
    /// </summary>
    public static RoutingStrategy For(string name, ModelGroup group) => name.Trim().ToLowerInvariant() switch
    {
        RouterSettings.DefaultRoutingStrategy => group.Deployments.Any(d => d.Weight is not null) ? RoutingStrategy.Weighted : RoutingStrategy.Ordered,
        "weighted" or "weighted-shuffle" or "shuffle" => RoutingStrategy.Weighted,
        "least-busy" => RoutingStrategy.LeastBusy,
        "latency-based-routing" or "lowest-latency" => RoutingStrategy.LowestLatency,
        "cost-based-routing" or "lowest-cost" => RoutingStrategy.LowestCost,
        "usage-based-routing" or "usage-based-routing-v2" or "lowest-tpm" => RoutingStrategy.LowestUsage,
        _ => RoutingStrategy.Ordered,
    };

    public static bool IsKnown(string name) => name.Trim().ToLowerInvariant() is RouterSettings.DefaultRoutingStrategy
        or "ordered" or "order" or "in-order" or "weighted" or "weighted-shuffle" or "shuffle" or "least-busy"
        or "latency-based-routing" or "lowest-latency" or "cost-based-routing" or "lowest-cost"
        or "usage-based-routing" or "usage-based-routing-v2" or "lowest-tpm";
}
