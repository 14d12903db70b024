using System.Collections.Concurrent;
using LlmGateway.Api.Translation;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Providers;

namespace LlmGateway.Api.Routing;

/// <summary>
/// Chooses the order in which a model group's deployments are tried (the routing strategy), leaves out those that
/// cannot or should not serve the request, and turns each attempt's outcome into shared cooldown state.
/// </summary>
public sealed class DeploymentRouter(
    RoutingPolicy policy, DeploymentStateStore store, DeploymentStats stats, RoutingMetrics metrics,
    IDeploymentAlertSink alerts, ProviderRegistry providers, DeploymentPings pings, ILogger<DeploymentRouter> logger)
{
    private static readonly TimeSpan MinProbeLock = TimeSpan.FromSeconds(10);
    // Kept with the group it was worked out for: a group rebuilt with other deployments (/model/new) gets it again.
    private readonly ConcurrentDictionary<string, (ModelGroup Group, RoutingStrategy Strategy)> strategies = new(StringComparer.Ordinal);

    public RoutingPolicy Policy => policy;

    /// <summary>A group's strategy, made again when the group changed (models stored at run time); a wildcard's concrete groups share their pattern's.</summary>
    public RoutingStrategy StrategyFor(ModelGroup group)
    {
        var basis = group.Pattern ?? group;
        if (strategies.TryGetValue(group.MetricName, out var known) && ReferenceEquals(known.Group, basis))
        {
            return known.Strategy;
        }

        var strategy = RoutingStrategies.For(policy.StrategyName, basis);
        strategies[group.MetricName] = (basis, strategy);
        return strategy;
    }

    public async Task<RoutePlan> PlanAsync(ModelGroup group, RouteRequest request)
    {
        var states = await store.ReadAsync(group.DeploymentIds);
        var now = store.Now;
        var available = new List<RouteCandidate>();
        var unavailable = new List<(DeploymentConfig Deployment, DeploymentState State)>();
        var skipped = new List<SkippedDeployment>();
        TimeSpan? retryAfter = null;
        foreach (var deployment in group.Deployments)
        {
            var state = states.GetValueOrDefault(deployment.Id, DeploymentState.Fresh);
            if (WhyNot(deployment, request, state) is { } skip)
            {
                skipped.Add(skip);
            }
            else if (state.IsCoolingDown(now) || state.IsUnhealthy(now))
            {
                unavailable.Add((deployment, state));
                var wait = (state.CooldownUntil ?? state.UnhealthyUntil ?? now) - now;
                retryAfter = retryAfter is { } r && r < wait ? r : wait;
                skipped.Add(new SkippedDeployment(deployment, SkipReason.Unavailable, state.Describe(now)));
            }
            else
            {
                available.Add(new RouteCandidate(deployment, IsProbe: state.Tripped));
            }
        }

        var ordered = Prefer(Order(StrategyFor(group), available, states), request.PreferredDeploymentId);
        if (ordered.Count == 0 && unavailable.Count > 0)
        {
            // Everything is cooling down: rather than refuse untried, try the one that failed least recently (one request at a time).
            var lastResort = unavailable.OrderBy(u => u.State.LastFailed ?? DateTimeOffset.MinValue).First().Deployment;
            ordered = [new RouteCandidate(lastResort, IsProbe: true, IsLastResort: true)];
        }

        return new RoutePlan(group, ordered, skipped, retryAfter);
    }

    /// <summary>The preferred deployment first, if it is among the available ones; the rest keep the strategy's order.</summary>
    private static List<RouteCandidate> Prefer(List<RouteCandidate> ordered, string? preferred)
    {
        var index = preferred is null ? -1 : ordered.FindIndex(c => c.Deployment.Id == preferred);
        if (index > 0)
        {
            var candidate = ordered[index];
            ordered.RemoveAt(index);
            ordered.Insert(0, candidate);
        }

        return ordered;
    }

    /// <summary>Takes the deployment for one attempt (<see cref="DeploymentLease"/>); a refused lease says why it cannot be tried.</summary>
    public async Task<DeploymentLease> EnterAsync(RouteCandidate candidate)
    {
        var (entered, refused) = await TryEnterAsync(candidate);
        return new(this, entered, refused);
    }

    /// <summary>
    /// Takes the deployment's half-open lock (probes) and a slot of its rpm; a reason to skip it when it cannot have them. A
    /// half-open deployment is probed with the gateway's own ping (<see cref="DeploymentPings"/>) while the lock is held:
    /// answered, it is back everywhere and the request goes as any other; not answered, it cools down again and the request
    /// skips it. Only when the ping cannot tell (no ping for this deployment, or one the provider refused as a request) is the
    /// request itself the probe, as is the last resort of a group whose every deployment is cooling down.
    /// </summary>
    private async Task<(RouteCandidate Entered, SkipReason? Refused)> TryEnterAsync(RouteCandidate candidate)
    {
        var deployment = candidate.Deployment;
        if (candidate.IsProbe)
        {
            if (!await store.TryAcquireProbeAsync(deployment.Id, ProbeLock()))
            {
                return (candidate, SkipReason.Unavailable);
            }

            if (!candidate.IsLastResort && await pings.PingAsync(deployment) is { } ping)
            {
                if (ping.Healthy)
                {
                    await AnsweredAsync(candidate);
                    candidate = candidate with { IsProbe = false };
                }
                else if (ping.Failure is { IsRetryable: true } failure)
                {
                    await CountFailureAsync(candidate, failure);
                    return (candidate, SkipReason.Unavailable);
                }
            }
        }

        if (deployment.Rpm is { } rpm && !await store.TryCountRequestAsync(deployment.Id, rpm))
        {
            if (candidate.IsProbe)
            {
                await store.ReleaseProbeAsync(deployment.Id);
            }

            return (candidate, SkipReason.AtCapacity);
        }

        return (candidate, null);
    }

    internal IDisposable Track(DeploymentConfig deployment) => stats.Start(deployment.Id);

    /// <summary>
    /// The deployment answered with a success status: a tripped (half-open) deployment is closed again everywhere at
    /// once, before the body is relayed, so the client's next request — and every replica's — may use it.
    /// </summary>
    internal async Task AnsweredAsync(RouteCandidate candidate)
    {
        var deployment = candidate.Deployment;
        if (candidate.IsProbe || store.Local(deployment.Id).Tripped)
        {
            await store.RecoverAsync(deployment.Id);
            await store.ReleaseProbeAsync(deployment.Id);
            logger.LogInformation("Deployment {Deployment} of {Group} answered again: back in routing", deployment.Id, deployment.ModelName);
        }
    }

    internal async Task RecordSuccessAsync(RouteCandidate candidate, TimeSpan firstByte, TokenUsage? usage)
    {
        var deployment = candidate.Deployment;
        stats.RecordLatency(deployment.Id, firstByte);

        var usageBased = strategies.TryGetValue(deployment.ModelName, out var known) && known.Strategy == RoutingStrategy.LowestUsage;
        if (usage is { } used && (deployment.Tpm is not null || usageBased))
        {
            await store.AddTokensAsync(deployment.Id, used.TotalTokens);
        }
    }

    /// <summary>
    /// Counts a failure: 429, 503 and 529 (and any failure of a half-open probe) cool the deployment down at once, other
    /// retryable failures after <c>allowed_fails</c> within a minute; the request's own errors (4xx) never do. A timeout the
    /// request's own length may explain is judged first by the gateway's ping, off the request's path (the request fails over
    /// meanwhile): counted only when the deployment does not answer it either.
    /// </summary>
    internal Task RecordFailureAsync(RouteCandidate candidate, ProviderFailure failure)
    {
        if (failure.Ambiguous && failure.Kind == FailureKind.Timeout && failure.NothingReceived)
        {
            _ = JudgeTimeoutAsync(candidate, failure);
            return Task.CompletedTask;
        }

        return CountFailureAsync(candidate, failure);
    }

    /// <summary>
    /// The ping answered: the deployment serves (a half-open one is back, as when a request is answered) and the timeout was
    /// the request's; it did not: the timeout counts. A half-open probe's lock is held until the verdict.
    /// </summary>
    private async Task JudgeTimeoutAsync(RouteCandidate candidate, ProviderFailure failure)
    {
        try
        {
            if (await pings.AnswersAsync(candidate.Deployment))
            {
                await AnsweredAsync(candidate);
            }
            else
            {
                await CountFailureAsync(candidate, failure);
            }
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Judging a timeout of deployment {Deployment} failed", candidate.Deployment.Id);
            if (candidate.IsProbe)
            {
                await store.ReleaseProbeAsync(candidate.Deployment.Id);
            }
        }
    }

    private async Task CountFailureAsync(RouteCandidate candidate, ProviderFailure failure)
    {
        var deployment = candidate.Deployment;
        var error = $"{ProviderName(deployment)} → {RoutingErrors.Classify(failure)}";
        try
        {
            // One tenant's oversized request, or an answer that started and then stalled, says nothing about the
            // deployment's capacity: cooling it down would refuse every other tenant (docs/security.md).
            if (!failure.IsRetryable || failure.RequestLevel || (failure.Kind == FailureKind.Timeout && !failure.NothingReceived))
            {
                return;
            }

            var immediate = failure.Kind is FailureKind.RateLimited or FailureKind.Overloaded || candidate.IsProbe;
            if (!immediate && await store.CountFailureAsync(deployment.Id) < policy.AllowedFails)
            {
                await store.NoteFailureAsync(deployment.Id, error);
                return;
            }

            var cooldown = policy.Cooldown;
            if (failure.RetryAfter is { } retryAfter && retryAfter > cooldown)
            {
                cooldown = retryAfter < RoutingPolicy.MaxCooldown ? retryAfter : RoutingPolicy.MaxCooldown;
            }

            await store.CoolDownAsync(deployment.Id, store.Now + cooldown, error);
            metrics.Cooldown(deployment, failure);
            alerts.DeploymentCooledDown(deployment, failure, cooldown);
            logger.LogWarning("Deployment {Deployment} of {Group} cools down for {Seconds:0.#} s after {Kind}",
                deployment.Id, deployment.ModelName, cooldown.TotalSeconds, failure.Kind);
        }
        finally
        {
            if (candidate.IsProbe)
            {
                await store.ReleaseProbeAsync(deployment.Id);
            }
        }
    }

    /// <summary>Releases what <see cref="TryEnterAsync"/> took when the attempt ended without an outcome (client gone).</summary>
    internal Task AbandonAsync(RouteCandidate candidate) =>
        candidate.IsProbe ? store.ReleaseProbeAsync(candidate.Deployment.Id) : Task.CompletedTask;

    public static string ProviderName(DeploymentConfig deployment) => $"{ProviderRegistry.Name(deployment.Provider)}/{deployment.ProviderModel}";

    private SkippedDeployment? WhyNot(DeploymentConfig deployment, RouteRequest request, DeploymentState state)
    {
        var info = deployment.ModelInfo;
        var embedding = string.Equals(info.Mode, "embedding", StringComparison.OrdinalIgnoreCase);
        if (!providers.For(deployment).Supports(request.Operation)
            || (info.Mode is not null && embedding != (request.Operation == UpstreamOperation.Embeddings)))
        {
            return new SkippedDeployment(deployment, SkipReason.Unsupported, $"mode {info.Mode ?? "chat"}");
        }

        if (info.SupportsVision == false && request.UsesVision)
        {
            return new SkippedDeployment(deployment, SkipReason.Capability, "images");
        }

        if (info.SupportsFunctionCalling == false && request.UsesTools)
        {
            return new SkippedDeployment(deployment, SkipReason.Capability, "tools");
        }

        if (info.MaxInputTokens is { } max && request.FittingPromptTokens > max)
        {
            return new SkippedDeployment(deployment, SkipReason.ContextWindow, $"about {request.FittingPromptTokens} prompt tokens, max_input_tokens {max}");
        }

        return deployment.Tpm is { } tpm && state.TokensThisMinute >= tpm
            ? new SkippedDeployment(deployment, SkipReason.AtCapacity, $"tpm {tpm} used this minute")
            : null;
    }

    private List<RouteCandidate> Order(RoutingStrategy strategy, List<RouteCandidate> available, IReadOnlyDictionary<string, DeploymentState> states) => strategy switch
    {
        RoutingStrategy.Weighted => WeightedShuffle(available),
        RoutingStrategy.LeastBusy => [.. available.OrderBy(c => stats.InFlight(c.Deployment.Id))],
        RoutingStrategy.LowestLatency => [.. available.OrderBy(c => stats.LatencyMs(c.Deployment.Id) ?? 0)],
        RoutingStrategy.LowestCost => [.. available.OrderBy(c => Price(c.Deployment))],
        RoutingStrategy.LowestUsage => [.. available.OrderBy(c => states.GetValueOrDefault(c.Deployment.Id)?.TokensThisMinute ?? 0)],
        _ => available,
    };

    private static decimal Price(DeploymentConfig deployment) =>
        deployment.ModelInfo is { InputCostPerToken: { } input, OutputCostPerToken: { } output } ? input + output : decimal.MaxValue;

    /// <summary>A random order in which each deployment comes first with probability weight / total weight.</summary>
    private static List<RouteCandidate> WeightedShuffle(List<RouteCandidate> available)
    {
        var pool = new List<RouteCandidate>(available);
        var result = new List<RouteCandidate>(available.Count);
        while (pool.Count > 0)
        {
            var total = pool.Sum(c => Math.Max(0, c.Deployment.Weight ?? 1));
            var pick = Random.Shared.NextDouble() * total;
            var index = 0;
            for (; index < pool.Count - 1; index++)
            {
                pick -= Math.Max(0, pool[index].Deployment.Weight ?? 1);
                if (pick < 0)
                {
                    break;
                }
            }

            result.Add(pool[index]);
            pool.RemoveAt(index);
        }

        return result;
    }

    private TimeSpan ProbeLock() => policy.Cooldown > MinProbeLock ? policy.Cooldown : MinProbeLock;
}
