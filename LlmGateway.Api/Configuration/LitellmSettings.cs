namespace LlmGateway.Api.Configuration;

/// <summary>
/// <c>litellm_settings</c>. <c>set_verbose</c> is not supported (logging is configured with
/// <c>Logging:LogLevel</c>) and is reported as ignored.
/// </summary>
public sealed record LitellmSettings
{
    /// <summary>Drop request parameters a provider does not support instead of failing; default false.</summary>
    public bool DropParams { get; init; }
    /// <summary>Response caching on or off; default false.</summary>
    public bool Cache { get; init; }
    public CacheParams CacheParams { get; init; } = new();
    public int? NumRetries { get; init; }
    /// <summary><c>request_timeout</c> in seconds.</summary>
    public double? RequestTimeout { get; init; }
    public IReadOnlyList<FallbackRule> Fallbacks { get; init; } = [];
    public IReadOnlyList<FallbackRule> ContextWindowFallbacks { get; init; } = [];
    public int? AllowedFails { get; init; }
    /// <summary><c>cooldown_time</c> in seconds.</summary>
    public double? CooldownTime { get; init; }
    /// <summary><c>max_end_user_budget</c>: the budget (USD, lifetime) of every end user with no customer row; null: none.</summary>
    public decimal? MaxEndUserBudget { get; init; }
}
