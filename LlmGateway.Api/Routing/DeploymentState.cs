namespace LlmGateway.Api.Routing;

/// <summary>What every replica knows about one deployment: cooldown, half-open probation, active-check health, this minute's tokens.</summary>
public sealed record DeploymentState
{
    public static DeploymentState Fresh { get; } = new();

    public DateTimeOffset? CooldownUntil { get; init; }
    public string? CooldownReason { get; init; }
    /// <summary>It cooled down and has not answered since: once the cooldown ends, one probe request at a time.</summary>
    public bool Tripped { get; init; }
    public DateTimeOffset? LastFailed { get; init; }
    public string? LastError { get; init; }
    /// <summary>An active health check failed; stale after this time if no checker runs any more.</summary>
    public DateTimeOffset? UnhealthyUntil { get; init; }
    public long TokensThisMinute { get; init; }

    public bool IsCoolingDown(DateTimeOffset now) => CooldownUntil > now;

    public bool IsUnhealthy(DateTimeOffset now) => UnhealthyUntil > now;

    /// <summary>healthy, cooled_down or unhealthy (the <c>/model/info</c> words).</summary>
    public string Describe(DateTimeOffset now) =>
        IsCoolingDown(now) ? "cooled_down" : IsUnhealthy(now) ? "unhealthy" : "healthy";
}
