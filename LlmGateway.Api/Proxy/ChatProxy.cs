using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Messages;
using LlmGateway.Api.Providers;
using LlmGateway.Api.Providers.Anthropic;
using LlmGateway.Api.Routing;
using Polly;
using Polly.Retry;

namespace LlmGateway.Api.Proxy;

/// <summary>
/// Sends a validated request to the deployments of its model group in the router's order until one answers: a retryable
/// failure before the first byte reached the client moves on to the next deployment, then to the group's
/// <c>fallbacks</c>; after the first byte, never.
/// </summary>
public sealed class ChatProxy(
    UpstreamSender sender, ProviderRegistry providers, DeploymentRouter router, RoutingMetrics metrics, ModelCatalog catalog,
    GatewayConfig config, ILogger<ChatProxy> logger)
{
    private static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan MaxHonouredRetryAfter = TimeSpan.FromSeconds(10);

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

    public Task ChatCompletionsAsync(ProxyContext proxy, ChatRequest request) =>
        RunAsync(proxy, new RouteRequest(UpstreamOperation.Chat, request.Body), (deployment, provider) => provider.Format == WireFormat.OpenAi
            ? BodyRewriter.Rewrite(request.Body, new BodyRewriter.Options(deployment.ProviderModel)
            {
                ForceIncludeUsage = request.Stream,
                MaxTokensCeiling = deployment.MaxTokens,
                KeepMockResponse = deployment.Provider == ProviderKind.Mock,
            })
            : Translate(AnthropicRequestMapper.ToAnthropic(ParseObject(request.Body), deployment.ProviderModel, deployment.MaxTokens,
                config.LitellmSettings.DropParams)),
            (provider, upstream, idle) => (provider.Format, request.Stream) switch
            {
                (WireFormat.OpenAi, true) => OpenAiRelay.StreamAsync(proxy, upstream, request.IncludeUsage, idle),
                (WireFormat.OpenAi, false) => OpenAiRelay.BodyAsync(proxy, upstream, idle),
                (_, true) => AnthropicToOpenAiRelay.StreamAsync(proxy, upstream, request.IncludeUsage, idle),
                _ => AnthropicToOpenAiRelay.BodyAsync(proxy, upstream, idle),
            });

    public Task MessagesAsync(ProxyContext proxy, MessagesRequest request) =>
        RunAsync(proxy, new RouteRequest(UpstreamOperation.Chat, request.Body), (deployment, provider) => provider.Format == WireFormat.Anthropic
            ? BodyRewriter.Rewrite(request.Body, new BodyRewriter.Options(deployment.ProviderModel) { MaxTokensCeiling = deployment.MaxTokens })
            : Translate(MessagesRequestMapper.ToOpenAiChat(ParseObject(request.Body), deployment.ProviderModel), deployment),
            (provider, upstream, idle) => (provider.Format, request.Stream) switch
            {
                (WireFormat.Anthropic, true) => AnthropicRelay.StreamAsync(proxy, upstream, idle),
                (WireFormat.Anthropic, false) => AnthropicRelay.BodyAsync(proxy, upstream, idle),
                (_, true) => OpenAiToAnthropicRelay.StreamAsync(proxy, upstream, idle),
                _ => OpenAiToAnthropicRelay.BodyAsync(proxy, upstream, idle),
            });

    public Task EmbeddingsAsync(ProxyContext proxy, EmbeddingsRequest request) =>
        RunAsync(proxy, new RouteRequest(UpstreamOperation.Embeddings, request.Body),
            (deployment, _) => BodyRewriter.Rewrite(request.Body, new BodyRewriter.Options(deployment.ProviderModel)),
            (_, upstream, idle) => OpenAiRelay.BodyAsync(proxy, upstream, idle));

    private async Task RunAsync(
        ProxyContext proxy,
        RouteRequest route,
        Func<DeploymentConfig, IChatProvider, RequestBodyResult> buildBody,
        Func<IChatProvider, HttpResponseMessage, TimeSpan, Task<ProviderFailure?>> relay)
    {
        var run = new RoutingRun(route, UpstreamHeadersFrom(proxy.Http.Request), buildBody, relay);
        var outcome = await RunGroupAsync(proxy, proxy.Group, run);
        var fallbacks = outcome.Kind switch
        {
            OutcomeKind.ContextWindow => RoutingPolicy.FallbacksOf(router.Policy.ContextWindowFallbacks, proxy.Group.Name),
            OutcomeKind.Exhausted => RoutingPolicy.FallbacksOf(router.Policy.Fallbacks, proxy.Group.Name),
            _ => [],
        };
        foreach (var name in fallbacks)
        {
            if (proxy.Committed || !catalog.TryGetGroup(name, out var fallback) || run.Groups.Contains(name))
            {
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

        if (proxy.Committed || outcome.Kind == OutcomeKind.Done)
        {
            return;
        }

        var error = run.Failures.Count > 0 && outcome.Kind is not OutcomeKind.Final and not OutcomeKind.ContextWindow
            ? RoutingErrors.AllFailed(run.Groups, run.Failures, RetryAfter(run))
            : outcome.Error ?? RoutingErrors.Unsupported(proxy.Group.Name, Describe(route.Operation));
        await ErrorWriter.WriteAsync(proxy.Http, error, proxy.Format);
    }

    /// <summary>
    /// One model group: each available deployment once, in the router's order; with <c>num_retries</c> beyond that, more
    /// passes after a jittered backoff (Polly) that honours a short <c>Retry-After</c>.
    /// </summary>
    private async Task<GroupOutcome> RunGroupAsync(ProxyContext proxy, ModelGroup group, RoutingRun run)
    {
        run.Groups.Add(group.Name);
        var attemptsBefore = proxy.Attempts;
        if (router.Policy.NumRetries is null)
        {
            // One pass, nothing to retry (CanRetry needs num_retries): no resilience pipeline on the hot path.
            return await RunPassAsync(proxy, group, run, attemptsBefore);
        }

        return await passRetry.ExecuteAsync(
            async (state, _) => await RunPassAsync(state.proxy, state.group, state.run, state.attemptsBefore),
            (proxy, group, run, attemptsBefore), proxy.Http.RequestAborted);
    }

    private async Task<GroupOutcome> RunPassAsync(ProxyContext proxy, ModelGroup group, RoutingRun run, int attemptsBefore)
    {
        var policy = router.Policy;
        var maxAttempts = policy.NumRetries is { } retries ? retries + 1 : int.MaxValue;
        var plan = await router.PlanAsync(group, run.Route);
        var skipped = new List<SkippedDeployment>(plan.Skipped);
        ProviderFailure? last = null;
        foreach (var candidate in plan.Candidates)
        {
            if (proxy.Attempts - attemptsBefore >= maxAttempts)
            {
                break;
            }

            var deployment = candidate.Deployment;
            if (await router.TryEnterAsync(candidate) is { } reason)
            {
                skipped.Add(new SkippedDeployment(deployment, reason, reason == SkipReason.AtCapacity ? $"rpm {deployment.Rpm} used this minute" : "cooling down"));
                continue;
            }

            var provider = providers.For(deployment);
            var body = run.BuildBody(deployment, provider);
            if (body.Error is { } invalid)
            {
                await router.AbandonAsync(candidate);
                return GroupOutcome.Failed(invalid);
            }

            var failure = await AttemptAsync(proxy, candidate, provider, body.Bytes!, run);
            if (failure is null)
            {
                return GroupOutcome.Done;
            }

            last = failure;
            proxy.LastFailure = failure;
            run.Failures.Add((deployment, failure));
            if (proxy.Committed)
            {
                return GroupOutcome.Done;
            }

            if (failure.Kind == FailureKind.ContextLengthExceeded)
            {
                return new GroupOutcome(OutcomeKind.ContextWindow, UpstreamErrors.ToClientError(failure, group.Name, proxy.Attempts));
            }

            if (!failure.IsRetryable)
            {
                return GroupOutcome.Failed(UpstreamErrors.ToClientError(failure, group.Name, proxy.Attempts));
            }

            if (failure.PossiblyBilled && deployment.NoRetryWhenPossiblyBilled)
            {
                return GroupOutcome.Failed(RoutingErrors.NotRetried(group.Name, deployment, failure));
            }

            metrics.Failover(group.Name, failure);
        }

        if (last is not null)
        {
            var canRetry = proxy.Attempts - attemptsBefore < maxAttempts && policy.NumRetries is not null
                && (last.RetryAfter is null || last.RetryAfter <= MaxHonouredRetryAfter);
            return new GroupOutcome(OutcomeKind.Exhausted, null, canRetry, last.RetryAfter);
        }

        return NothingTried(group, skipped, plan.RetryAfter);
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

    /// <summary>One upstream attempt, in its own span; the outcome goes to the router (latency, cooldowns).</summary>
    private async Task<ProviderFailure?> AttemptAsync(ProxyContext proxy, RouteCandidate candidate, IChatProvider provider, byte[] body, RoutingRun run)
    {
        var deployment = candidate.Deployment;
        proxy.Deployment = deployment;
        proxy.Attempts++;
        using var activity = GatewayTelemetry.ActivitySource.StartActivity("upstream attempt", ActivityKind.Client);
        activity?.SetTag("gen_ai.system", ProviderRegistry.Name(deployment.Provider));
        activity?.SetTag("gen_ai.request.model", deployment.ProviderModel);
        activity?.SetTag("llmgateway.deployment", deployment.Id);
        activity?.SetTag("llmgateway.attempt", proxy.Attempts);
        using var busy = router.Track(deployment);
        proxy.UpstreamStarted = proxy.Timings.StartUpstream();
        proxy.Timings.UpstreamFirstByte = TimeSpan.Zero;
        ProviderFailure? failure;
        TimeSpan timeToHeaders;
        try
        {
            using var upstream = await sender.SendAsync(provider, deployment, run.Route.Operation, body, run.Headers, proxy.Http.RequestAborted);
            timeToHeaders = upstream.TimeToHeaders;
            if (upstream.Failure is null)
            {
                // A half-open deployment that answers is back before its body is relayed: the client's next request may use it.
                await router.AnsweredAsync(candidate);
            }

            failure = upstream.Failure
                ?? await run.Relay(provider, upstream.Message!, deployment.StreamTimeout ?? deployment.Timeout ?? DefaultIdleTimeout);
        }
        catch (OperationCanceledException) when (proxy.Http.RequestAborted.IsCancellationRequested)
        {
            await router.AbandonAsync(candidate);
            throw;
        }

        proxy.Timings.Upstream = Stopwatch.GetElapsedTime(proxy.UpstreamStarted);
        if (failure is null && proxy.MidStreamFailure is { } broken)
        {
            // It broke after the first byte: the client got an SSE error event; nothing fails over, but the deployment is charged with it.
            activity?.SetStatus(ActivityStatusCode.Error, broken.Kind.ToString());
            activity?.SetTag("error.type", RoutingMetrics.ErrorClass(broken.Kind));
            await router.RecordFailureAsync(candidate, broken);
            return null;
        }

        if (failure is null)
        {
            activity?.SetTag("gen_ai.usage.input_tokens", proxy.Usage?.PromptTokens);
            activity?.SetTag("gen_ai.usage.output_tokens", proxy.Usage?.CompletionTokens);
            var firstByte = proxy.Timings.UpstreamFirstByte > TimeSpan.Zero ? proxy.Timings.UpstreamFirstByte : timeToHeaders;
            await router.RecordSuccessAsync(candidate, firstByte, proxy.Usage);
            return null;
        }

        activity?.SetStatus(ActivityStatusCode.Error, failure.Kind.ToString());
        activity?.SetTag("error.type", RoutingMetrics.ErrorClass(failure.Kind));
        logger.LogWarning("Deployment {Deployment} of {Group} failed: {Kind} {Status}", deployment.Id, deployment.ModelName, failure.Kind, failure.StatusCode);
        await router.RecordFailureAsync(candidate, failure);
        return failure;
    }

    private TimeSpan RetryAfter(RoutingRun run)
    {
        // The soonest any tried deployment may answer again: its provider's Retry-After, else the cooldown.
        return run.Failures.Select(f => f.Failure.RetryAfter ?? router.Policy.Cooldown).DefaultIfEmpty(router.Policy.Cooldown).Min();
    }

    private static string Describe(UpstreamOperation operation) => operation == UpstreamOperation.Embeddings ? "embeddings" : "chat";

    /// <summary>Only Anthropic's own version and beta flags pass, and only when they are plain tokens (no CR, LF or NUL).</summary>
    private static UpstreamHeaders UpstreamHeadersFrom(HttpRequest request) => new(
        SafeToken(request.Headers["anthropic-version"].ToString()),
        SafeToken(request.Headers["anthropic-beta"].ToString()));

    private static string? SafeToken(string value)
    {
        if (value.Length is 0 or > 512)
        {
            return null;
        }

        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ',' or ' '))
            {
                return null;
            }
        }

        return value;
    }

    private static JsonObject ParseObject(JsonBody body) => (JsonObject)JsonNode.Parse(body.Bytes.Span)!;

    private static RequestBodyResult Translate(TranslationResult<JsonObject> result, DeploymentConfig? deployment = null)
    {
        if (!result.IsSuccess)
        {
            return new RequestBodyResult(null, GatewayError.InvalidRequest(result.Error.Message, result.Error.Param, "unsupported_parameter"));
        }

        var json = result.Value;
        if (deployment?.MaxTokens is { } ceiling && json["max_tokens"]?.GetValue<long>() is { } requested && requested > ceiling)
        {
            json["max_tokens"] = ceiling;
        }

        return new RequestBodyResult(JsonSerializer.SerializeToUtf8Bytes(json, TranslationJson.Options), null);
    }
}

/// <summary>The body for one upstream, or why the request cannot go there.</summary>
public readonly record struct RequestBodyResult(byte[]? Bytes, GatewayError? Error)
{
    public static implicit operator RequestBodyResult(byte[] bytes) => new(bytes, null);
}
