using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Providers;
using LlmGateway.Api.Providers.Anthropic;
using LlmGateway.Api.Relay;
using LlmGateway.Api.Translation;
using Polly;
using Polly.Retry;

namespace LlmGateway.Api.Routing;

/// <summary>
/// Sends a validated request to the deployments of its model group in the router's order until one answers: a retryable
/// failure before the first byte reached the client moves on to the next deployment, then to the group's
/// <c>fallbacks</c>; after the first byte, never.
/// </summary>
public sealed class Failover(
    UpstreamAttempts attempts, DeploymentRouter router, RoutingMetrics metrics, ModelCatalog catalog, AnthropicBetas betas, ILogger<Failover> logger)
{
    // Extra passes over a group only when num_retries asks for more attempts than it has deployments.
    private readonly ResiliencePipeline<GroupOutcome> passRetry = new ResiliencePipelineBuilder<GroupOutcome>()
        .AddRetry(new RetryStrategyOptions<GroupOutcome>
        {
            MaxRetryAttempts = 16,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(200),
            MaxDelay = TimeSpan.FromSeconds(5),
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result is { CanRetry: true }),
            DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result?.RetryAfter),
        })
        .Build();

    /// <summary>Runs the request; when nothing answered, the client gets the error. Returns what happened.</summary>
    public async Task<ProxyOutcome> RunAsync(ProxyContext proxy, UpstreamCall call)
    {
        var run = new FailoverRun(call, UpstreamHeaders.From(proxy.Http.Request, betas));
        try
        {
            return await RunGroupsAsync(proxy, run);
        }
        catch (OperationCanceledException) when (proxy.Http.RequestAborted.IsCancellationRequested)
        {
            return run.Outcome; // the client left: what was tried so far is recorded, nothing more is
        }
    }

    private async Task<ProxyOutcome> RunGroupsAsync(ProxyContext proxy, FailoverRun run)
    {
        var call = run.Call;
        var outcome = await RunGroupAsync(proxy, proxy.Group, run);
        foreach (var name in FallbacksAfter(proxy.Group, outcome.Kind, call.Route))
        {
            if (run.Committed || !catalog.TryGetGroup(name, out var fallback) || run.Groups.Contains(name))
            {
                continue;
            }

            if (!call.Route.MayFallBackTo(fallback))
            {
                SkipFallback(proxy, name);
                continue;
            }

            logger.LogInformation("Model group {Group} falls back to {Fallback} after {Outcome}", proxy.Group.Name, name, outcome.Kind);
            var next = await RunGroupAsync(proxy, fallback, run);
            if (next.Kind is OutcomeKind.Done or OutcomeKind.Final)
            {
                outcome = next;
                break;
            }

            outcome = outcome.Kind == OutcomeKind.ContextWindow && next.Kind != OutcomeKind.ContextWindow ? next : outcome;
        }

        if (run.Committed || outcome.Kind == OutcomeKind.Done)
        {
            return run.Outcome;
        }

        var error = run.Failures.Count > 0 && outcome.Kind is not OutcomeKind.Final and not OutcomeKind.ContextWindow
            ? RoutingErrors.AllFailed(run.Groups, run.Failures, RetryAfter(run))
            : outcome.Error ?? RoutingErrors.Unsupported(proxy.Group.Name, call.Route.Operation == UpstreamOperation.Embeddings ? "embeddings" : "chat");
        await ErrorWriter.WriteAsync(proxy.Http, error, proxy.Format);
        return run.Outcome;
    }

    private IReadOnlyList<string> FallbacksAfter(ModelGroup group, OutcomeKind outcome, RouteRequest route) => outcome switch
    {
        OutcomeKind.ContextWindow => RoutingPolicy.FallbacksOf(router.Policy.ContextWindowFallbacks, group.Name),
        OutcomeKind.Exhausted => route.Fallbacks ?? RoutingPolicy.FallbacksOf(router.Policy.Fallbacks, group.Name),
        _ => [],
    };

    /// <summary>
    /// The fallback groups the request may reach, for its worst-case reservation: each fallback (after errors or for a
    /// context window) that exists, is not the request's own group, and the caller may use.
    /// </summary>
    public IReadOnlyList<ModelGroup> ReachableFallbacks(ModelGroup group, RouteRequest route)
    {
        var onError = FallbacksAfter(group, OutcomeKind.Exhausted, route);
        var onContext = FallbacksAfter(group, OutcomeKind.ContextWindow, route);
        if (onError.Count == 0 && onContext.Count == 0)
        {
            return [];
        }

        List<ModelGroup> groups = [];
        foreach (var name in onError.Concat(onContext))
        {
            if (catalog.TryGetGroup(name, out var fallback) && route.MayFallBackTo(fallback) && fallback != group && !groups.Contains(fallback))
            {
                groups.Add(fallback);
            }
        }

        return groups;
    }

    /// <summary>A fallback that may not serve the request (<see cref="RouteRequest.MayFallBackTo"/>) is never tried: skipped, logged, and named in a response header.</summary>
    private void SkipFallback(ProxyContext proxy, string name)
    {
        logger.LogWarning(
            "Model group {Group} does not fall back to {Fallback}: the caller may not use it, it does not allow a premium feature the request asks for, or the key has a per-model limit on it",
            proxy.Group.Name, name);
        var headers = proxy.Http.Response.Headers;
        headers[SkippedFallbacksHeader] = headers.TryGetValue(SkippedFallbacksHeader, out var before) && before.Count > 0
            ? $"{before}, {name}"
            : name;
    }

    /// <summary>The fallback groups skipped because they may not serve the request, comma-separated.</summary>
    public const string SkippedFallbacksHeader = "x-gateway-skipped-fallbacks";

    /// <summary>
    /// One model group: each available deployment once, in the router's order; with <c>num_retries</c> beyond that, more
    /// passes after a jittered backoff (Polly) that honours a short <c>Retry-After</c>.
    /// </summary>
    private async Task<GroupOutcome> RunGroupAsync(ProxyContext proxy, ModelGroup group, FailoverRun run)
    {
        run.Groups.Add(group.Name);
        var attemptsBefore = run.Attempts;
        if (router.Policy.NumRetries is null)
        {
            // One pass, nothing to retry (CanRetry needs num_retries): no resilience pipeline on the hot path.
            return await RunPassAsync(proxy, group, run, attemptsBefore);
        }

        return await passRetry.ExecuteAsync(
            async (state, _) => await RunPassAsync(state.proxy, state.group, state.run, state.attemptsBefore),
            (proxy, group, run, attemptsBefore), proxy.Http.RequestAborted);
    }

    private async Task<GroupOutcome> RunPassAsync(ProxyContext proxy, ModelGroup group, FailoverRun run, int attemptsBefore)
    {
        var maxAttempts = router.Policy.NumRetries is { } retries ? retries + 1 : int.MaxValue;
        var plan = await router.PlanAsync(group, run.Call.Route);
        var skipped = new List<SkippedDeployment>(plan.Skipped);
        ProviderFailure? last = null;
        foreach (var candidate in plan.Candidates)
        {
            if (run.Attempts - attemptsBefore >= maxAttempts)
            {
                break;
            }

            await using var lease = await router.EnterAsync(candidate);
            if (lease.Refused is { } reason)
            {
                skipped.Add(new SkippedDeployment(candidate.Deployment, reason,
                    reason == SkipReason.AtCapacity ? $"rpm {candidate.Deployment.Rpm} used this minute" : "cooling down"));
                continue;
            }

            var tried = await attempts.TryAsync(proxy, lease, run);
            if (tried.Error is { } invalid)
            {
                return GroupOutcome.Failed(invalid);
            }

            if (tried.Failure is not { } failure || run.Committed)
            {
                return GroupOutcome.Done;
            }

            last = failure;
            if (Stop(proxy, group, candidate.Deployment, failure, run) is { } stop)
            {
                return stop;
            }
        }

        if (last is not null)
        {
            var canRetry = run.Attempts - attemptsBefore < maxAttempts && router.Policy.NumRetries is not null
                && (last.RetryAfter is null || last.RetryAfter <= RoutingPolicy.MaxHonouredRetryAfter);
            return new GroupOutcome(OutcomeKind.Exhausted, null, canRetry, last.RetryAfter);
        }

        return NothingTried(group, skipped, plan.RetryAfter);
    }

    /// <summary>A failure that ends the group (the request's own fault, a context window, a possibly billed attempt), or null to go on.</summary>
    private GroupOutcome? Stop(ProxyContext proxy, ModelGroup group, DeploymentConfig deployment, ProviderFailure failure, FailoverRun run)
    {
        var sameFormat = proxy.Format == ClientFormat.Anthropic && deployment.Provider == ProviderKind.Anthropic;
        if (failure.Kind == FailureKind.ContextLengthExceeded)
        {
            return new GroupOutcome(OutcomeKind.ContextWindow, UpstreamErrors.ToClientError(failure, group.Name, run.Attempts, sameFormat));
        }

        if (!failure.IsRetryable)
        {
            if (failure.Kind is FailureKind.AuthenticationFailed or FailureKind.PermissionDenied)
            {
                // The client gets a 502 without the provider's text; the operator gets its status and type here, not its
                // message: a 401 may echo the provider key the gateway sent, a 403 (moderation) quote the prompt.
                logger.LogError("Deployment {Deployment} of model group {Group}: the provider refused the request as the gateway's credentials or permissions (HTTP {Status} {Type})",
                    deployment.Id, group.Name, failure.StatusCode, RoutingErrors.ErrorCode(failure.ErrorType) ?? "no error type");
            }

            return GroupOutcome.Failed(UpstreamErrors.ToClientError(failure, group.Name, run.Attempts, sameFormat));
        }

        if (failure.PossiblyBilled && deployment.NoRetryWhenPossiblyBilled)
        {
            return GroupOutcome.Failed(RoutingErrors.NotRetried(group.Name, deployment, failure));
        }

        metrics.Failover(group.Name, failure);
        return null;
    }

    /// <summary>No deployment of the group was tried: say why (capacity, context window, capability, all cooling down).</summary>
    private static GroupOutcome NothingTried(ModelGroup group, List<SkippedDeployment> skipped, TimeSpan? retryAfter)
    {
        if (skipped.Any(s => s.Reason == SkipReason.ContextWindow))
        {
            return new GroupOutcome(OutcomeKind.ContextWindow, RoutingErrors.ContextWindow(group.Name, skipped));
        }

        if (skipped.Any(s => s.Reason == SkipReason.Unavailable))
        {
            return new GroupOutcome(OutcomeKind.Exhausted, RoutingErrors.AllCoolingDown([group.Name], skipped, retryAfter ?? TimeSpan.FromSeconds(1)));
        }

        if (skipped.Any(s => s.Reason == SkipReason.AtCapacity))
        {
            return new GroupOutcome(OutcomeKind.Exhausted, RoutingErrors.AtCapacity(group.Name, TimeSpan.FromSeconds(60 - DateTimeOffset.UtcNow.Second)));
        }

        return skipped.Any(s => s.Reason == SkipReason.Capability)
            ? GroupOutcome.Failed(RoutingErrors.Capability(group.Name, skipped))
            : new GroupOutcome(OutcomeKind.Exhausted, null);
    }

    // The soonest any tried deployment may answer again: its provider's Retry-After, else the cooldown.
    private TimeSpan RetryAfter(FailoverRun run) =>
        run.Failures.Select(f => f.Failure.RetryAfter ?? router.Policy.Cooldown).DefaultIfEmpty(router.Policy.Cooldown).Min();
}
