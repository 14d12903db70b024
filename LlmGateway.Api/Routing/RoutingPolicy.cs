using LlmGateway.Api.Configuration;

namespace LlmGateway.Api.Routing;

/// <summary>The router's settings, resolved once from <c>litellm_settings</c>, <c>router_settings</c> and <c>general_settings</c>.</summary>
public sealed class RoutingPolicy
{
    public const int DefaultAllowedFails = 3;
    public static readonly TimeSpan DefaultCooldown = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan DefaultHealthCheckInterval = TimeSpan.FromSeconds(30);
    public const int DefaultHealthCheckConcurrency = 4;

    public RoutingPolicy(GatewayConfig config)
    {
        var litellm = config.LitellmSettings;
        var router = config.RouterSettings;
        StrategyName = router.RoutingStrategy;
        NumRetries = router.NumRetries ?? litellm.NumRetries;
        AllowedFails = Math.Max(1, router.AllowedFails ?? litellm.AllowedFails ?? DefaultAllowedFails);
        Cooldown = (router.CooldownTime ?? litellm.CooldownTime) is { } seconds && seconds > 0 ? TimeSpan.FromSeconds(seconds) : DefaultCooldown;
        HealthCheckInterval = config.GeneralSettings.HealthCheckInterval is { } interval ? TimeSpan.FromSeconds(interval) : DefaultHealthCheckInterval;
        Fallbacks = config.LitellmSettings.Fallbacks;
        ContextWindowFallbacks = config.LitellmSettings.ContextWindowFallbacks;
    }

    public string StrategyName { get; }

    /// <summary>Extra attempts across a group after the first; null = each available deployment once.</summary>
    public int? NumRetries { get; }

    /// <summary>Retryable failures within a minute before a deployment cools down (429/503/529 cool at once).</summary>
    public int AllowedFails { get; }

    public TimeSpan Cooldown { get; }

    public TimeSpan HealthCheckInterval { get; }

    public int HealthCheckConcurrency { get; init; } = DefaultHealthCheckConcurrency;

    public IReadOnlyList<FallbackRule> Fallbacks { get; }

    public IReadOnlyList<FallbackRule> ContextWindowFallbacks { get; }

    /// <summary>Longest provider <c>Retry-After</c> honoured as a cooldown.</summary>
    public static readonly TimeSpan MaxCooldown = TimeSpan.FromHours(1);

    /// <summary>A provider's Retry-After beyond this is not waited for by <c>num_retries</c> passes: the client hears it instead.</summary>
    public static readonly TimeSpan MaxHonouredRetryAfter = TimeSpan.FromSeconds(10);

    public static IReadOnlyList<string> FallbacksOf(IReadOnlyList<FallbackRule> rules, string group) =>
        rules.FirstOrDefault(r => r.ModelGroup == group)?.Fallbacks ?? [];
}
