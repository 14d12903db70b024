namespace LlmGateway.Api.Configuration;

/// <summary><c>router_settings</c>, kept as given; the router decides what each strategy means.</summary>
public sealed class RouterSettings
{
    /// <summary>LiteLLM's default strategy name; the gateway's router treats it as "in order, then fail over".</summary>
    public const string DefaultRoutingStrategy = "simple-shuffle";

    public string RoutingStrategy { get; init; } = DefaultRoutingStrategy;
    public int? NumRetries { get; init; }
    public int? AllowedFails { get; init; }
    /// <summary><c>cooldown_time</c> in seconds.</summary>
    public double? CooldownTime { get; init; }
    /// <summary><c>timeout</c> in seconds.</summary>
    public double? Timeout { get; init; }
}
